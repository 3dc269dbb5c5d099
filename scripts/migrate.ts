import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { loadConfig, ROOT_DIR } from '../common/config';
import { createPrisma } from '../common/db';
import { describeSeed, seed } from '../prisma/seed';
import { loadCodes } from './load-codes';

export const MIGRATIONS_DIR = path.join(ROOT_DIR, 'prisma/migrations');
// The key Prisma Migrate itself locks on, so this runner and `prisma migrate deploy` exclude each other.
const PRISMA_ADVISORY_LOCK = 72707369;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * Applies prisma/migrations in order, as `prisma migrate deploy` would, for machines without
 * Prisma's native schema engine: same advisory lock, same `_prisma_migrations` bookkeeping
 * (checksum = sha256 of migration.sql). Each migration runs in one transaction, so a failing
 * one leaves nothing half-applied. Returns the names applied by this call.
 */
export async function migrate(databaseUrl: string, dir = MIGRATIONS_DIR): Promise<string[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0
    )`);
    const { rows } = await client.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
    );
    const recorded = new Map(rows.map((r) => [r.migration_name, r]));
    const applied: string[] = [];
    for (const m of readMigrations(dir)) {
      const row = recorded.get(m.name);
      if (row && !row.finished_at) {
        throw new Error(`Migration ${m.name} started earlier and did not finish; resolve it before migrating again`);
      }
      if (row) {
        if (row.checksum !== m.checksum) {
          throw new Error(`Migration ${m.name} was edited after it was applied (checksum differs); add a new migration instead`);
        }
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), 1)`,
          [randomUUID(), m.checksum, m.name],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`Migration ${m.name} failed and was rolled back: ${err instanceof Error ? err.message : String(err)}`);
      }
      applied.push(m.name);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]).catch(() => undefined);
    await client.end();
  }
}

if (require.main === module) {
  // `migrate.js --seed` also loads the reference data (the deployment's one-shot job does both).
  const config = loadConfig();
  (async () => {
    const applied = await migrate(config.databaseUrl);
    console.log(applied.length ? `Applied migrations: ${applied.join(', ')}` : 'Database is up to date');
    if (process.argv.includes('--seed')) {
      const prisma = createPrisma(config.databaseUrl, 1);
      try {
        console.log(`Seeded ${describeSeed(await seed(prisma))}`);
        for (const r of await loadCodes(prisma)) console.log(`Codes ${r.source}: ${r.rows}${r.skipped ? ' (unchanged)' : ' loaded'}`);
      } finally {
        await prisma.$disconnect();
      }
    }
  })().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
