import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from '../generated/prisma/client';

export type { PrismaClient };

/**
 * One Prisma client per process, over node-postgres (no native query engine needed).
 * `preparedStatements` (the API's and the worker's): each distinct statement, up to
 * PREPARED_STATEMENTS_MAX of them, is prepared once per connection under a name made from its
 * text, and later runs send only its parameters; PostgreSQL parses it once per connection and
 * may keep its plan, instead of parsing and planning every statement every time.
 */
export function createPrisma(databaseUrl: string, poolSize = 10, opts: { preparedStatements?: boolean } = {}): PrismaClient {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: databaseUrl, max: poolSize }, opts.preparedStatements ? { statementNameGenerator: statementNames() } : {}),
  });
}

/**
 * Distinct statements given a name; the rest run unnamed. Bounds what each connection keeps
 * prepared (in node-postgres and in its PostgreSQL backend) should some query build its text
 * from its input (an IN list of every length).
 */
export const PREPARED_STATEMENTS_MAX = 500;

function statementNames() {
  const names = new Map<string, string>();
  return ({ sql }: { sql: string }): string => {
    let name = names.get(sql);
    if (name === undefined && names.size < PREPARED_STATEMENTS_MAX) {
      name = `s${createHash('sha256').update(sql).digest('base64url').slice(0, 24)}`;
      names.set(sql, name);
    }
    // Unnamed (undefined): node-postgres parses it anew, as without a generator.
    return name as string;
  };
}

/**
 * A unique key refused the write: P2002 from a model query, P2010 with the driver's
 * UniqueConstraintViolation from a raw one.
 */
export function isUniqueViolation(err: unknown): boolean {
  if (!(err instanceof Prisma.PrismaClientKnownRequestError)) return false;
  if (err.code === 'P2002') return true;
  const cause = (err.meta as { driverAdapterError?: { cause?: { kind?: string } } } | undefined)?.driverAdapterError?.cause;
  return err.code === 'P2010' && cause?.kind === 'UniqueConstraintViolation';
}
