import type { PrismaClient } from '../common/db';
import { loadConfig } from '../common/config';
import { createPrisma } from '../common/db';
import { healthPlans, organizations } from './seed/roster';

/**
 * Loads the reference data. Idempotent (upserts by fixed ids), so the start and test commands
 * run it every time; a roster change in the files is applied on the next start.
 */
export async function seed(prisma: PrismaClient): Promise<{ plans: number; tins: number }> {
  let tins = 0;
  await prisma.$transaction(async (tx) => {
    for (const p of healthPlans) {
      await tx.healthPlan.upsert({ where: { id: p.id }, create: p, update: { name: p.name } });
    }
    for (const { tins: orgTins, ...org } of organizations) {
      await tx.organization.upsert({ where: { id: org.id }, create: org, update: org });
      for (const t of orgTins) {
        await tx.taxId.upsert({
          where: { tin: t.tin },
          create: { tin: t.tin, organizationId: org.id },
          update: { organizationId: org.id },
        });
        await tx.tinPlan.deleteMany({ where: { tin: t.tin, planId: { notIn: t.plans } } });
        for (const planId of t.plans) {
          await tx.tinPlan.upsert({ where: { tin_planId: { tin: t.tin, planId } }, create: { tin: t.tin, planId }, update: {} });
        }
        tins++;
      }
    }
  });
  return { plans: healthPlans.length, tins };
}

if (require.main === module) {
  const prisma = createPrisma(loadConfig().databaseUrl, 1);
  seed(prisma)
    .then((n) => console.log(`Seeded ${n.plans} health plans and ${n.tins} TINs`))
    .catch((err: Error) => {
      console.error(`Seeding failed: ${err.message}`);
      process.exitCode = 1;
    })
    .finally(() => void prisma.$disconnect());
}
