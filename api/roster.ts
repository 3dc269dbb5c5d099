import type { PrismaClient } from '../common/db';
import type { User } from '../generated/prisma/client';
import { formatTin, normalizeTin } from '../domain/registration';
import type { FieldProblem } from './errors';

export interface RosterTin {
  tin: string;
  organization: { id: string; name: string };
  plans: { id: string; name: string }[];
}

export interface RosterCheck {
  problems: FieldProblem[];
  /** The TINs found on the roster, in the order given. */
  found: RosterTin[];
}

const strings = (value: unknown): (string | undefined)[] =>
  Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v : undefined)) : [];

/**
 * Checks TINs and plan ids against the seeded roster: every TIN must be on it, and every plan
 * must be contracted with at least one of the TINs. Works on the raw request values so that its
 * problems can be listed together with the schema's; values the schema refuses are skipped.
 */
export async function checkRoster(
  prisma: PrismaClient,
  input: { tins: unknown; planIds: unknown; extraTins?: string[] },
  fields: { tins: string; planIds: string },
): Promise<RosterCheck> {
  const given = strings(input.tins).map((t) => (t === undefined ? undefined : normalizeTin(t)));
  const all = [...new Set([...(input.extraTins ?? []), ...given.filter((t): t is string => !!t)])];
  const rows = await prisma.taxId.findMany({
    where: { tin: { in: all } },
    include: { organization: true, plans: { include: { plan: true } } },
  });
  const byTin = new Map(rows.map((r) => [r.tin, r]));
  const problems: FieldProblem[] = [];
  given.forEach((tin, i) => {
    if (tin && !byTin.has(tin)) {
      problems.push({
        field: `${fields.tins}.${i}`,
        message: `TIN ${formatTin(tin)} is not on the health plans' roster: check the number on your W-9, or call Web Customer Service`,
      });
    }
  });

  const offered = new Map<string, string>();
  for (const r of rows) for (const p of r.plans) offered.set(p.planId, p.plan.name);
  const ids = strings(input.planIds).map((p) => p?.trim());
  const unknownIds = ids.filter((id): id is string => !!id && !offered.has(id));
  const existing = new Set(
    unknownIds.length ? (await prisma.healthPlan.findMany({ where: { id: { in: unknownIds } }, select: { id: true } })).map((p) => p.id) : [],
  );
  const choices = [...offered.entries()].map(([id, name]) => `${id} (${name})`).join(', ');
  ids.forEach((id, i) => {
    if (!id || offered.has(id)) return;
    const field = `${fields.planIds}.${i}`;
    if (!existing.has(id)) {
      problems.push({ field, message: `There is no health plan "${id}": choose one of the plans offered for your TINs` });
    } else if (rows.length > 0) {
      problems.push({ field, message: `Health plan ${id} is not associated with the TINs given; they are associated with: ${choices}` });
    } else if (given.some(Boolean)) {
      problems.push({ field, message: `Health plan ${id} cannot be checked until a TIN on the roster is given` });
    }
  });

  const found = given
    .filter((t): t is string => !!t && byTin.has(t))
    .map((t) => {
      const r = byTin.get(t)!;
      return {
        tin: t,
        organization: { id: r.organization.id, name: r.organization.name },
        plans: r.plans.map((p) => ({ id: p.planId, name: p.plan.name })),
      };
    });
  return { problems, found };
}

/** The organization an account registered with, as pages show it. */
/** A provider account's organization as the office entered it; null for staff accounts. */
export function organizationOf(u: Pick<User, 'organizationName' | 'line1' | 'line2' | 'city' | 'state' | 'zip'>) {
  if (!u.organizationName || !u.line1) return null;
  return { name: u.organizationName, addressLines: [u.line1, ...(u.line2 ? [u.line2] : []), `${u.city}, ${u.state} ${u.zip}`] };
}
