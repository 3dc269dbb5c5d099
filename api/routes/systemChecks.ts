import { randomBytes, randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { z } from 'zod';
import { searchAttributes } from '../../common/searchAttributes';
import { workflowIds } from '../../common/temporal';
import {
  confirmSystemCheckUpdate,
  systemCheckStatusQuery,
  systemCheckWorkflow,
  type SystemCheckView,
} from '../../workflows/systemCheck';
import type { ApiContext } from '../context';
import { HttpError } from '../errors';
import { escapeHtml, page } from '../html';
import { defineRoute } from '../route';

const viewSchema = z.object({
  checkId: z.uuid(),
  state: z.enum(['PENDING', 'MAILED', 'CONFIRMED', 'EXPIRED']),
  mailedAt: z.iso.datetime().optional(),
  confirmedAt: z.iso.datetime().optional(),
});
const checkIdParams = z.object({ checkId: z.uuid('checkId must be the UUID returned when the check was started') });

export function systemCheckRoutes(ctx: ApiContext) {
  const handleOf = (checkId: string) => ctx.temporal.workflow.getHandle(workflowIds.systemCheck(checkId));

  async function view(checkId: string): Promise<SystemCheckView> {
    try {
      return await handleOf(checkId).query(systemCheckStatusQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new HttpError(404, 'not_found', `No system check ${checkId}`);
      throw err;
    }
  }

  return [
    defineRoute({
      method: 'post',
      path: '/api/system-checks',
      tag: 'operations',
      security: 'public',
      summary: 'Start a system check: the platform emails a link that proves mail and workflows work end to end',
      body: z.object({ email: z.email('email must be an email address that can receive the check') }),
      status: 202,
      response: viewSchema.extend({ statusUrl: z.string() }),
      handler: async ({ body }) => {
        const checkId = randomUUID();
        const token = randomBytes(24).toString('base64url');
        const confirmUrl = `${ctx.config.PUBLIC_BASE_URL}/api/system-checks/${checkId}/confirm?token=${token}`;
        await ctx.temporal.workflow.start(systemCheckWorkflow, {
          taskQueue: ctx.config.TEMPORAL_TASK_QUEUE,
          workflowId: workflowIds.systemCheck(checkId),
          args: [{ checkId, recipient: body.email, token, confirmUrl, timeout: ctx.config.SYSTEM_CHECK_TIMEOUT }],
          typedSearchAttributes: [
            { key: searchAttributes.RecordType, value: 'SYSTEM_CHECK' },
            { key: searchAttributes.RecordStatus, value: 'PENDING' },
          ],
        });
        return { checkId, state: 'PENDING' as const, statusUrl: `/api/system-checks/${checkId}` };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/system-checks/:checkId',
      tag: 'operations',
      security: 'public',
      summary: "A system check's state, read from its workflow",
      params: checkIdParams,
      response: viewSchema,
      errors: { 404: 'No such check' },
      handler: async ({ params }) => view(params.checkId),
    }),
    defineRoute({
      method: 'get',
      path: '/api/system-checks/:checkId/confirm',
      tag: 'operations',
      security: 'public',
      summary: 'The emailed link: confirms the check (a page for people, JSON for programs)',
      params: checkIdParams,
      query: z.object({ token: z.string().min(1, 'token is missing: use the whole link from the email') }),
      response: viewSchema,
      alsoProduces: ['text/html'],
      errors: { 404: 'No such check', 409: 'The link is wrong, already used, or the check expired' },
      handler: async ({ params, query }, req, res) => {
        const current = await view(params.checkId); // 404 before the update when the check does not exist
        // PENDING too: the email can arrive before the workflow records that it was sent.
        if (current.state !== 'MAILED' && current.state !== 'PENDING') {
          throw new HttpError(409, 'cannot_confirm', `This check is ${current.state.toLowerCase()}; start a new one to check again`);
        }
        let result: SystemCheckView;
        try {
          result = await handleOf(params.checkId).executeUpdate(confirmSystemCheckUpdate, { args: [query.token] });
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError) {
            throw new HttpError(409, 'cannot_confirm', err.cause?.message ?? 'The check cannot be confirmed');
          }
          if (err instanceof WorkflowNotFoundError) {
            throw new HttpError(409, 'cannot_confirm', 'This check has ended; start a new one to check again');
          }
          throw err;
        }
        if (req.accepts(['json', 'html']) === 'html') {
          res
            .status(200)
            .type('html')
            .send(
              page(
                'System check confirmed',
                `<p>Mail and workflows work end to end.</p>` +
                  `<p>Check ${escapeHtml(result.checkId)} confirmed at ${escapeHtml(result.confirmedAt ?? '')}.</p>`,
              ),
            );
          return;
        }
        return result;
      },
    }),
  ];
}
