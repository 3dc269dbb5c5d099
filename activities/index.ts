import type { Client } from '@temporalio/client';
import type { Transporter } from 'nodemailer';
import type { PrismaClient } from '../common/db';
import { caseActivities } from './cases';
import { identityConfirmationActivities } from './identityConfirmations';
import { mailActivities } from './mail';
import { mfaActivities } from './mfa';
import { passwordResetActivities } from './passwordResets';
import { registrationActivities } from './registrations';
import { supportActivities } from './support';
import { systemCheckActivities } from './systemChecks';

export interface ActivityDeps {
  prisma: PrismaClient;
  transport: Transporter;
  mailFrom: string;
  /** Base of the links emails carry (the API's public address). */
  publicBaseUrl: string;
  /** For activities that read visibility or query workflows (the mirror audit). */
  temporal: Client;
}

/** Every activity the worker registers, wired to the process's one Prisma client and mailer. */
export function createActivities(deps: ActivityDeps) {
  const mail = { prisma: deps.prisma, transport: deps.transport, from: deps.mailFrom };
  return {
    ...mailActivities(mail),
    ...mfaActivities(mail),
    ...systemCheckActivities({ prisma: deps.prisma }),
    ...registrationActivities({ ...mail, publicBaseUrl: deps.publicBaseUrl }),
    ...caseActivities({ ...mail, publicBaseUrl: deps.publicBaseUrl }),
    ...passwordResetActivities({ ...mail, publicBaseUrl: deps.publicBaseUrl }),
    ...identityConfirmationActivities(mail),
    ...supportActivities({ prisma: deps.prisma, temporal: deps.temporal }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
