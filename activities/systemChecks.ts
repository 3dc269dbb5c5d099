import type { PrismaClient } from '../common/db';
import type { SystemCheckStatus } from '../generated/prisma/enums';

export interface SystemCheckRecord {
  checkId: string;
  workflowId: string;
  recipient: string;
}

/** The database mirror of system-check workflows, written only by those workflows. */
export function systemCheckActivities(deps: { prisma: PrismaClient }) {
  const { prisma } = deps;
  return {
    async recordSystemCheck(rec: SystemCheckRecord): Promise<void> {
      // Upsert: a retried activity finds its own row.
      await prisma.systemCheck.upsert({
        where: { id: rec.checkId },
        create: { id: rec.checkId, workflowId: rec.workflowId, recipient: rec.recipient },
        update: {},
      });
    },

    async setSystemCheckStatus(args: { checkId: string; status: SystemCheckStatus; at: string }): Promise<void> {
      const at = new Date(args.at);
      await prisma.systemCheck.update({
        where: { id: args.checkId },
        data: {
          status: args.status,
          ...(args.status === 'MAILED' ? { mailedAt: at } : {}),
          ...(args.status === 'CONFIRMED' ? { confirmedAt: at } : {}),
        },
      });
    },
  };
}
