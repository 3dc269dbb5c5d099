import { z } from 'zod';
import type { ApiContext } from '../context';
import { defineRoute } from '../route';

const check = z.object({ up: z.boolean(), ms: z.number(), error: z.string().optional() });
const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.object({ temporal: check, database: check }),
});

async function probe(fn: () => Promise<unknown>, timeoutMs = 3000): Promise<z.infer<typeof check>> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { up: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { up: false, ms: Math.round(performance.now() - started), error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(ctx: ApiContext) {
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      tag: 'operations',
      security: 'public',
      summary: 'Whether Temporal and the database answer; 503 when either does not',
      response: healthSchema,
      errors: { 503: { description: 'Temporal or the database is down', schema: healthSchema } },
      handler: async (_input, _req, res) => {
        const [temporal, database] = await Promise.all([
          probe(() => ctx.temporal.workflowService.getSystemInfo({})),
          probe(() => ctx.prisma.$queryRaw`SELECT 1`),
        ]);
        const up = temporal.up && database.up;
        res.status(up ? 200 : 503).json({ status: up ? 'ok' : 'degraded', checks: { temporal, database } });
      },
    }),
  ];
}
