import type { Prisma } from '../generated/prisma/client';
import type { PrismaClient } from './db';

export interface AuditEntry {
  /** Who: `user:<id>`, `support:<name>`, `system`. */
  actor: string;
  /** What, as `noun.verb`: `registration.submitted`, `session.signed_in`. */
  action: string;
  subjectType: string;
  subjectId: string;
  /** Context worth keeping. Never a password, key, code or token. */
  details?: Prisma.InputJsonValue;
  ip?: string;
}

type Db = PrismaClient | Prisma.TransactionClient;

/**
 * Appends to the audit log (there is no update or delete of audit rows anywhere). Raw SQL: every
 * submission and sign-in writes one, and a model create costs the client about twice the CPU.
 */
export async function audit(db: Db, entry: AuditEntry): Promise<void> {
  const details = entry.details === undefined ? null : JSON.stringify(entry.details);
  await db.$executeRaw`
    INSERT INTO "AuditEvent" ("at", "actor", "action", "subjectType", "subjectId", "details", "ip")
    VALUES (${new Date().toISOString()}::timestamp(3), ${entry.actor}, ${entry.action}, ${entry.subjectType}, ${entry.subjectId}, ${details}::jsonb, ${entry.ip ?? null})`;
}
