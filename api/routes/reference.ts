import { z } from 'zod';
import { codeKey, CODE_SYSTEMS } from '../../domain/codes';
import { npiValid } from '../../domain/npi';
import { ACCESS_ROLES } from '../../domain/access';
import { allow, plansOf, sessionOf } from '../auth';
import { codeSearcher } from '../codeSearch';
import type { ApiContext } from '../context';
import { HttpError } from '../errors';
import { defineRoute } from '../route';

const PROGRAMS = ['IMAGING', 'REHAB'] as const;
const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : null);

const codeSchema = z.object({
  system: z.enum(CODE_SYSTEMS),
  code: z.string(),
  display: z.string(),
  description: z.string(),
  billable: z.boolean(),
  program: z.enum(PROGRAMS).nullable(),
  procedureGroup: z.string().nullable(),
  modality: z.string().nullable(),
  unit: z.string().nullable(),
});

const providerSchema = z.object({
  npi: z.string(),
  kind: z.enum(['ORDERING_PHYSICIAN', 'SERVICING_FACILITY']),
  name: z.string(),
  specialty: z.string(),
  tin: z.string().nullable(),
  address: z.object({ line1: z.string(), city: z.string(), state: z.string(), zip: z.string() }),
  phone: z.string(),
  services: z.array(z.string()),
  networks: z.array(z.object({ planId: z.string(), inNetwork: z.boolean() })),
});

/** Reference data an office needs to fill in a request: codes, plans and programs, members, providers. */
export function referenceRoutes(ctx: ApiContext) {
  const { prisma } = ctx;
  const codes = codeSearcher(prisma, ctx.log);

  return [
    defineRoute({
      method: 'get',
      path: '/api/codes',
      tag: 'reference',
      security: 'public',
      summary: 'Search diagnosis and procedure codes by code ("M54.5", "M545") or by words in any order, typos tolerated, ranked',
      query: z.object({
        q: z.string().trim().min(2, 'q must have at least 2 characters: a code or some words').max(100, 'q must be at most 100 characters'),
        system: z.enum(CODE_SYSTEMS, { error: `system must be one of ${CODE_SYSTEMS.join(', ')}` }).optional(),
        program: z.enum(PROGRAMS, { error: 'program must be IMAGING or REHAB' }).optional().describe('Procedure codes of one program'),
        billable: z.enum(['true', 'false'], { error: 'billable must be true or false' }).optional(),
        limit: z.coerce.number({ error: 'limit must be a number' }).int().min(1, 'limit must be 1 to 50').max(50, 'limit must be 1 to 50').default(20),
      }),
      response: z.object({ codes: z.array(codeSchema.extend({ score: z.number() })) }),
      handler: async ({ query }) => ({
        codes: await codes.search({
          q: query.q,
          system: query.system,
          program: query.program,
          billableOnly: query.billable === 'true',
          limit: query.limit,
        }),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/codes/:system/:code',
      tag: 'reference',
      security: 'public',
      summary: 'One code, written with or without its dot',
      params: z.object({ system: z.enum(CODE_SYSTEMS, { error: `system must be one of ${CODE_SYSTEMS.join(', ')}` }), code: z.string().max(10) }),
      response: codeSchema,
      errors: { 404: 'No such code' },
      handler: async ({ params }) => {
        const row = await prisma.code.findUnique({ where: { system_code: { system: params.system, code: codeKey(params.code) } } });
        if (!row) throw new HttpError(404, 'unknown_code', `There is no ${params.system} code ${params.code}`);
        const { searchText: _, ...code } = row;
        return code;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/health-plans',
      tag: 'reference',
      security: 'public',
      summary: 'Health plans, and the programs each runs by state with start (and end) dates',
      response: z.object({
        healthPlans: z.array(
          z.object({
            id: z.string(),
            name: z.string(),
            orderValidityDays: z.number(),
            programs: z.array(z.object({ program: z.enum(PROGRAMS), state: z.string(), startsOn: z.string(), endsOn: z.string().nullable() })),
          }),
        ),
      }),
      handler: async () => {
        const plans = await prisma.healthPlan.findMany({
          include: { programs: { orderBy: [{ program: 'asc' }, { state: 'asc' }, { startsOn: 'asc' }] } },
          orderBy: { id: 'asc' },
        });
        return {
          healthPlans: plans.map((p) => ({
            id: p.id,
            name: p.name,
            orderValidityDays: p.orderValidityDays,
            programs: p.programs.map((r) => ({ program: r.program, state: r.state, startsOn: day(r.startsOn)!, endsOn: day(r.endsOn) })),
          })),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/members/:memberId',
      tag: 'reference',
      summary: "A member by the id on their card, with plan, state and eligibility (only in the signed-in user's health plans)",
      security: allow(ctx, 'PROVIDER', 'NURSE', 'PHYSICIAN', 'SUPERVISOR', 'SUPPORT'),
      params: z.object({ memberId: z.string().trim().min(3).max(20) }),
      response: z.object({
        memberId: z.string(),
        firstName: z.string(),
        lastName: z.string(),
        birthDate: z.string(),
        sex: z.string(),
        healthPlan: z.object({ id: z.string(), name: z.string() }),
        state: z.string(),
        eligibleFrom: z.string(),
        eligibleTo: z.string().nullable(),
      }),
      errors: { 404: "No such member in the user's health plans" },
      handler: async ({ params }, _req, res) => {
        const plans = await plansOf(ctx, sessionOf(res).user);
        const m = await prisma.member.findUnique({ where: { id: params.memberId.toUpperCase() }, include: { plan: true } });
        // A member of another plan is "not found": ids must not reveal who is insured where.
        if (!m || (plans && !plans.includes(m.planId))) {
          throw new HttpError(404, 'unknown_member', `No member ${params.memberId} in your health plans: check the id on the member's card`);
        }
        return {
          memberId: m.id,
          firstName: m.firstName,
          lastName: m.lastName,
          birthDate: day(m.birthDate)!,
          sex: m.sex,
          healthPlan: { id: m.plan.id, name: m.plan.name },
          state: m.state,
          eligibleFrom: day(m.eligibleFrom)!,
          eligibleTo: day(m.eligibleTo),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/providers',
      tag: 'reference',
      summary: "Find ordering physicians (of the user's TINs with mine=true) or servicing facilities by name, NPI, state, service and plan",
      security: allow(ctx, ...ACCESS_ROLES),
      query: z.object({
        q: z.string().trim().max(100).optional(),
        kind: z.enum(['ORDERING_PHYSICIAN', 'SERVICING_FACILITY'], { error: 'kind must be ORDERING_PHYSICIAN or SERVICING_FACILITY' }).optional(),
        state: z.string().trim().toUpperCase().length(2, 'state is a 2-letter code').optional(),
        service: z.string().trim().toUpperCase().optional().describe('MRI, CT, PET, NUCLEAR_CARDIOLOGY, ECHO, ULTRASOUND, PT, OT, SPEECH'),
        planId: z.string().trim().optional(),
        mine: z.enum(['true', 'false']).optional().describe("Only ordering physicians of the signed-in user's TINs"),
        limit: z.coerce.number().int().min(1).max(100).default(25),
      }),
      response: z.object({ providers: z.array(providerSchema) }),
      handler: async ({ query }, _req, res) => {
        const tins = query.mine === 'true' ? (await prisma.userTin.findMany({ where: { userId: sessionOf(res).user.id } })).map((t) => t.tin) : undefined;
        const q = query.q?.toLowerCase();
        const rows = await prisma.provider.findMany({
          where: {
            ...(query.kind ? { kind: query.kind } : {}),
            ...(query.state ? { state: query.state } : {}),
            ...(query.service ? { services: { has: query.service } } : {}),
            ...(query.planId ? { networks: { some: { planId: query.planId } } } : {}),
            ...(tins ? { tin: { in: tins } } : {}),
            ...(q ? (npiValid(q) ? { npi: q } : { AND: q.split(/\s+/).map((w) => ({ searchText: { contains: w } })) }) : {}),
          },
          include: { networks: { orderBy: { planId: 'asc' } } },
          orderBy: [{ state: 'asc' }, { name: 'asc' }],
          take: query.limit,
        });
        return {
          providers: rows.map((p) => ({
            npi: p.npi,
            kind: p.kind,
            name: p.name,
            specialty: p.specialty,
            tin: p.tin,
            address: { line1: p.line1, city: p.city, state: p.state, zip: p.zip },
            phone: p.phone,
            services: p.services,
            networks: p.networks.map((n) => ({ planId: n.planId, inNetwork: n.inNetwork })),
          })),
        };
      },
    }),
  ];
}
