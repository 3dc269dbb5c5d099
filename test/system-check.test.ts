import { randomUUID } from 'node:crypto';
import { workflowIds } from '../common/temporal';
import { startStack, type TestStack } from './support/stack';
import { eventually } from './support/eventually';

/**
 * The stack proven end to end: HTTP request -> workflow -> activities -> database -> mail
 * captured by a real SMTP server -> a person follows the link -> the workflow completes.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ SYSTEM_CHECK_TIMEOUT: '3s' });
});
afterAll(() => stack.stop());

const inbox = () => `ops-${randomUUID()}@example.org`;

async function post(path: string, body: unknown) {
  const res = await fetch(`${stack.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(path.startsWith('http') ? path : `${stack.baseUrl}${path}`, { headers });
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, type, body: type.includes('json') ? ((await res.json()) as Record<string, any>) : await res.text() };
}

test('a system check emails a link; following it confirms the check in the workflow and the database', async () => {
  const to = inbox();
  const started = await post('/api/system-checks', { email: to });
  expect(started.status).toBe(202);
  const { checkId } = started.body;
  expect(started.body.statusUrl).toBe(`/api/system-checks/${checkId}`);

  const [mail] = await stack.mailbox.waitFor(to);
  expect(mail!.subject).toBe('Prior authorization platform: system check');
  const link = mail!.links.find((l) => l.includes('/confirm'));
  expect(link).toMatch(new RegExp(`^${stack.baseUrl}/api/system-checks/${checkId}/confirm\\?token=[\\w-]{20,}$`));

  // The email leaves before the activity records MAILED, so the mirror may lag a moment.
  const mailed = await eventually(() => get(`/api/system-checks/${checkId}`), (r) => typeof r.body === 'object' && r.body.state === 'MAILED');
  expect(mailed.body).toMatchObject({ checkId, state: 'MAILED' });

  // A person clicks the link in a mail client: the browser asks for a page.
  const page = await get(link!, { accept: 'text/html' });
  expect(page.status).toBe(200);
  expect(page.type).toContain('text/html');
  expect(page.body).toContain('System check confirmed');

  const done = await get(`/api/system-checks/${checkId}`);
  expect(done.body).toMatchObject({ checkId, state: 'CONFIRMED' });
  const result = await stack.temporal.workflow.getHandle(workflowIds.systemCheck(checkId)).result();
  expect(result.state).toBe('CONFIRMED');

  const row = await stack.prisma.systemCheck.findUniqueOrThrow({ where: { id: checkId } });
  expect(row).toMatchObject({ status: 'CONFIRMED', recipient: to, workflowId: workflowIds.systemCheck(checkId) });
  expect(row.mailedAt).toBeInstanceOf(Date);
  expect(row.confirmedAt!.getTime()).toBeGreaterThanOrEqual(row.mailedAt!.getTime());
  const delivery = await stack.prisma.emailDelivery.findUniqueOrThrow({
    where: { workflowId_purpose: { workflowId: row.workflowId, purpose: 'system-check' } },
  });
  expect(delivery).toMatchObject({ status: 'SENT', attempts: 1, recipient: to, messageId: mail!.messageId });

  // The link is single use.
  const again = await get(link!);
  expect(again.status).toBe(409);
  expect(again.body).toMatchObject({ error: { code: 'cannot_confirm', message: expect.stringContaining('confirmed') } });
  expect(await stack.mailbox.list(to)).toHaveLength(1);
});

test('a link with the wrong token is refused and leaves the check waiting', async () => {
  const to = inbox();
  const { body } = await post('/api/system-checks', { email: to });
  const [mail] = await stack.mailbox.waitFor(to);
  const link = mail!.links[0]!;

  const forged = await get(link.replace(/token=.*/, 'token=not-the-token'));
  expect(forged.status).toBe(409);
  expect(forged.body).toMatchObject({ error: { code: 'cannot_confirm', message: 'The confirmation link is not valid for this check' } });
  const waiting = await eventually(() => get(`/api/system-checks/${body.checkId}`), (r) => typeof r.body === 'object' && r.body.state === 'MAILED');
  expect(waiting.body).toMatchObject({ state: 'MAILED' });

  const missing = await get(link.replace(/\?token=.*/, ''));
  expect(missing.status).toBe(400);
  expect(missing.body).toMatchObject({ error: { code: 'validation_failed', details: { problems: [{ field: 'query.token' }] } } });

  expect((await get(link)).status).toBe(200);
});

test('an unconfirmed check expires after its policy time, in the workflow and the mirror', async () => {
  const to = inbox();
  const { body } = await post('/api/system-checks', { email: to });
  const handle = stack.temporal.workflow.getHandle(workflowIds.systemCheck(body.checkId));
  expect((await handle.result()).state).toBe('EXPIRED');
  const row = await stack.prisma.systemCheck.findUniqueOrThrow({ where: { id: body.checkId } });
  expect(row.status).toBe('EXPIRED');

  const [mail] = await stack.mailbox.waitFor(to);
  const late = await get(mail!.links[0]!);
  expect(late.status).toBe(409);
  expect(late.body).toMatchObject({ error: { message: expect.stringContaining('expired') } });
});

test('bad input is refused with every problem and starts nothing', async () => {
  const before = await stack.prisma.systemCheck.count();
  const bad = await post('/api/system-checks', { email: 'not an address', extra: 1 });
  expect(bad.status).toBe(400);
  expect(bad.body.error.code).toBe('validation_failed');
  expect(bad.body.error.details.problems).toEqual([{ field: 'body.email', message: expect.stringContaining('email') }]);

  const unknown = await get(`/api/system-checks/${randomUUID()}`);
  expect(unknown.status).toBe(404);
  expect(unknown.body).toMatchObject({ error: { code: 'not_found' } });
  expect(await stack.prisma.systemCheck.count()).toBe(before);
});
