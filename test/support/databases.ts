import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createPrisma } from '../../common/db';
import { seed } from '../../prisma/seed';
import { loadCodes } from '../../scripts/load-codes';
import { migrate } from '../../scripts/migrate';
import { testEnv } from './env';

/** A scratch database on the run's PostgreSQL server, for tests that build schemas themselves. */
export async function withScratchDatabase<T>(fn: (url: string, client: Client) => Promise<T>): Promise<T> {
  const admin = testEnv('adminDatabaseUrl');
  const name = `scratch_${randomUUID().replace(/-/g, '')}`;
  const adminClient = new Client({ connectionString: admin });
  await adminClient.connect();
  await adminClient.query(`CREATE DATABASE "${name}"`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await fn(url.toString(), client);
  } finally {
    await client.end();
    await adminClient.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await adminClient.end();
  }
}

/** A new database made ready as `npm start` makes one: migrated, seeded and with the code sets. */
export async function migrateAndSeed(url: string): Promise<void> {
  await migrate(url);
  const prisma = createPrisma(url, 1);
  try {
    await seed(prisma);
    await loadCodes(prisma);
  } finally {
    await prisma.$disconnect();
  }
}
