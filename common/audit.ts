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

/** Appends to the audit log (there is no update or delete of audit rows anywhere). */
export async function audit(db: Db, entry: AuditEntry): Promise<void> {
  await db.auditEvent.create({ data: entry });
}
