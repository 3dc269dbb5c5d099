import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { PrismaClient } from '../common/db';
import { loadConfig, ROOT_DIR } from '../common/config';
import { createPrisma } from '../common/db';
import { parseGuideline } from '../domain/guidelines';
import { members, planPrograms, providers } from './seed/reference';
import { healthPlans, organizations } from './seed/roster';

export const GUIDELINES_DIR = path.join(ROOT_DIR, 'prisma/data/guidelines');

export interface SeedCounts {
  plans: number;
  tins: number;
  programs: number;
  providers: number;
  members: number;
  guidelines: number;
}

const date = (s: string) => new Date(`${s}T00:00:00Z`);

/** Every guideline version in prisma/data/guidelines, checked (a bad file stops the seed, naming it). */
export function readGuidelines(dir = GUIDELINES_DIR) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => parseGuideline(JSON.parse(readFileSync(path.join(dir, f), 'utf8')), f));
}

/**
 * Loads the reference data. Idempotent (upserts by fixed ids, and rows that left the files are
 * removed where nothing refers to them), so the start and test commands run it every time.
 */
export async function seed(prisma: PrismaClient): Promise<SeedCounts> {
  const guidelines = readGuidelines();
  let tins = 0;
  await prisma.$transaction(
    async (tx) => {
      for (const p of healthPlans) {
        await tx.healthPlan.upsert({ where: { id: p.id }, create: p, update: { name: p.name } });
      }
      for (const { tins: orgTins, ...org } of organizations) {
        await tx.organization.upsert({ where: { id: org.id }, create: org, update: org });
        for (const t of orgTins) {
          await tx.taxId.upsert({ where: { tin: t.tin }, create: { tin: t.tin, organizationId: org.id }, update: { organizationId: org.id } });
          await tx.tinPlan.deleteMany({ where: { tin: t.tin, planId: { notIn: t.plans } } });
          await tx.tinPlan.createMany({ data: t.plans.map((planId) => ({ tin: t.tin, planId })), skipDuplicates: true });
          tins++;
        }
      }

      // Programs by plan and state: the files are the whole truth.
      await tx.planProgram.deleteMany({});
      await tx.planProgram.createMany({
        data: planPrograms.map((r) => ({ ...r, startsOn: date(r.startsOn), endsOn: r.endsOn ? date(r.endsOn) : null })),
      });

      await tx.providerNetwork.deleteMany({});
      for (const { networks, ...p } of providers) {
        const row = { ...p, searchText: `${p.npi} ${p.name} ${p.specialty} ${p.city} ${p.state}`.toLowerCase() };
        await tx.provider.upsert({ where: { npi: p.npi }, create: row, update: row });
      }
      await tx.providerNetwork.createMany({ data: providers.flatMap((p) => p.networks.map((n) => ({ npi: p.npi, ...n }))) });

      for (const m of members) {
        const row = { ...m, birthDate: date(m.birthDate), eligibleFrom: date(m.eligibleFrom), eligibleTo: m.eligibleTo ? date(m.eligibleTo) : null };
        await tx.member.upsert({ where: { id: m.id }, create: row, update: row });
      }

      for (const g of guidelines) {
        const row = {
          title: g.title,
          program: g.program,
          procedureGroup: g.procedureGroup,
          healthPlanIds: g.healthPlanIds ?? [],
          effectiveFrom: date(g.effectiveFrom),
          effectiveTo: g.effectiveTo ? date(g.effectiveTo) : null,
          document: g as object,
        };
        await tx.guideline.upsert({ where: { id_version: { id: g.id, version: g.version } }, create: { id: g.id, version: g.version, ...row }, update: row });
      }
    },
    { timeout: 120_000 },
  );
  return { plans: healthPlans.length, tins, programs: planPrograms.length, providers: providers.length, members: members.length, guidelines: guidelines.length };
}

export const describeSeed = (n: SeedCounts) =>
  `${n.plans} health plans, ${n.tins} TINs, ${n.programs} plan programs, ${n.providers} providers, ${n.members} members, ${n.guidelines} guideline versions`;

if (require.main === module) {
  const prisma = createPrisma(loadConfig().databaseUrl, 1);
  seed(prisma)
    .then((n) => console.log(`Seeded ${describeSeed(n)}`))
    .catch((err: Error) => {
      console.error(`Seeding failed: ${err.message}`);
      process.exitCode = 1;
    })
    .finally(() => void prisma.$disconnect());
}
