import { z } from 'zod';
import { allow } from '../auth';
import type { ApiContext } from '../context';
import { defineRoute } from '../route';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// ISO 8601 has a year 0000; PostgreSQL's timestamps do not (it was a 500).
const dateTime = (name: string) =>
  z.iso.datetime({ error: `${name} must be an ISO date-time` }).refine((s) => !s.startsWith('0000-'), `${name} must be in the year 1 or later`);

/** Support searches the append-only audit log (who, what, when, from where; never a secret). */
export function auditRoutes(ctx: ApiContext) {
  return [
    defineRoute({
      method: 'get',
      path: '/api/support/audit',
      tag: 'support',
      summary: 'Search the audit log by actor, action (prefix), subject and time, newest first',
      security: allow(ctx, 'SUPPORT', 'ADMIN'),
      query: z.object({
        actor: z.string().trim().max(200).optional().describe('user:<id>, anonymous or system'),
        action: z.string().trim().max(100).optional().describe('An action or its prefix: "session." finds every sign-in event'),
        subjectType: z.string().trim().max(50).optional(),
        subjectId: z.string().trim().max(100).optional(),
        from: dateTime('from').optional(),
        to: dateTime('to').optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      response: z.object({
        events: z.array(
          z.object({
            id: z.string(),
            at: z.iso.datetime(),
            actor: z.string(),
            actorName: z.string().nullable().describe('The username behind user:<id>'),
            action: z.string(),
            subjectType: z.string(),
            subjectId: z.string(),
            details: z.unknown(),
            ip: z.string().nullable(),
          }),
        ),
      }),
      handler: async ({ query }) => {
        const rows = await ctx.prisma.auditEvent.findMany({
          where: {
            ...(query.actor ? { actor: query.actor } : {}),
            ...(query.action ? { action: { startsWith: query.action } } : {}),
            ...(query.subjectType ? { subjectType: query.subjectType } : {}),
            ...(query.subjectId ? { subjectId: query.subjectId } : {}),
            ...(query.from || query.to ? { at: { ...(query.from ? { gte: new Date(query.from) } : {}), ...(query.to ? { lte: new Date(query.to) } : {}) } } : {}),
          },
          orderBy: { id: 'desc' },
          take: query.limit,
        });
        const ids = [...new Set(rows.flatMap((e) => (e.actor.startsWith('user:') ? [e.actor.slice(5)] : [])))].filter((id) => UUID.test(id));
        const users = await ctx.prisma.user.findMany({ where: { id: { in: ids } }, select: { id: true, username: true, releasedUsername: true } });
        const names = new Map(users.map((u) => [`user:${u.id}`, u.username ?? u.releasedUsername]));
        return {
          events: rows.map((e) => ({
            id: e.id.toString(),
            at: e.at.toISOString(),
            actor: e.actor,
            actorName: names.get(e.actor) ?? null,
            action: e.action,
            subjectType: e.subjectType,
            subjectId: e.subjectId,
            details: e.details,
            ip: e.ip,
          })),
        };
      },
    }),
  ];
}
