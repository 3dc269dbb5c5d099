import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from 'pg';
import { migrate, MIGRATIONS_DIR, readMigrations } from '../scripts/migrate';
import { schemaSql } from '../scripts/prisma-diff';
import { withScratchDatabase } from './support/databases';

/** Everything about the public schema that Prisma's schema describes, in a comparable form. */
async function catalog(db: Client) {
  const q = async (sql: string) => (await db.query(sql)).rows;
  return {
    columns: await q(`SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default,
        character_maximum_length, numeric_precision, datetime_precision
      FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
      ORDER BY table_name, column_name`),
    indexes: await q(`SELECT tablename, indexname, indexdef FROM pg_indexes
      WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY indexname`),
    constraints: await q(`SELECT conrelid::regclass::text AS table_name, conname, pg_get_constraintdef(oid) AS def
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace
        AND conrelid::regclass::text <> '_prisma_migrations' ORDER BY conname`),
    enums: await q(`SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY t.typname`),
  };
}

test('a fresh database built from the migrations alone matches prisma/schema.prisma', async () => {
  const fromSchema = await withScratchDatabase(async (url, db) => {
    await db.query(await schemaSql(url));
    return catalog(db);
  });
  const fromMigrations = await withScratchDatabase(async (url, db) => {
    expect(await migrate(url)).toEqual(readMigrations().map((m) => m.name));
    return catalog(db);
  });
  expect(fromSchema.columns.length).toBeGreaterThan(0);
  expect(fromMigrations).toEqual(fromSchema);
});

test("migrations are recorded in Prisma's own table, once, with Prisma's checksum", async () => {
  await withScratchDatabase(async (url, db) => {
    await migrate(url);
    expect(await migrate(url)).toEqual([]);
    const { rows } = await db.query('SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" ORDER BY migration_name');
    const files = readMigrations();
    expect(rows.map((r) => r.migration_name)).toEqual(files.map((m) => m.name));
    const first = files[0]!;
    const sha = createHash('sha256').update(readFileSync(path.join(MIGRATIONS_DIR, first.name, 'migration.sql'))).digest('hex');
    expect(rows[0]).toMatchObject({ migration_name: first.name, checksum: sha, finished_at: expect.any(Date) });
  });
});

test('an edited migration is refused and a failing one leaves nothing behind', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'migrations-'));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  await withScratchDatabase(async (url, db) => {
    await migrate(url, dir);

    const broken = path.join(dir, '29990101000000_broken');
    mkdirSync(broken);
    writeFileSync(path.join(broken, 'migration.sql'), 'CREATE TABLE "Half" (id int);\nSELECT no_such_function();\n');
    await expect(migrate(url, dir)).rejects.toThrow(/29990101000000_broken failed and was rolled back/);
    const half = await db.query(`SELECT to_regclass('public."Half"') AS t`);
    expect(half.rows[0].t).toBeNull();
    const recorded = await db.query(`SELECT 1 FROM "_prisma_migrations" WHERE migration_name = '29990101000000_broken'`);
    expect(recorded.rowCount).toBe(0);

    const first = readMigrations(dir)[0]!;
    writeFileSync(path.join(dir, first.name, 'migration.sql'), `${first.sql}\n-- edited\n`);
    await expect(migrate(url, dir)).rejects.toThrow(/was edited after it was applied/);
  });
});
