import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT_DIR } from '../common/config';
import { readMigrations } from './migrate';

/**
 * The SQL that creates the schema in prisma/schema.prisma from nothing, written offline by the
 * JS schema engine of Prisma 6.19 (the Prisma 7 CLI needs a native engine we cannot download).
 * Used to write new migrations (`npm run db:sql`) and by the test that checks the migrations
 * build exactly this schema. It connects to `databaseUrl` but changes nothing there.
 */
export async function schemaSql(databaseUrl: string): Promise<string> {
  const work = mkdtempSync(path.join(tmpdir(), 'prisma-diff-'));
  try {
    const schema = readFileSync(path.join(ROOT_DIR, 'prisma/schema.prisma'), 'utf8')
      .replace(/provider\s*=\s*"postgresql"/, 'provider = "postgresql"\n  url = env("DATABASE_URL")')
      .replace(/generator client \{[^}]*\}/, (block) => {
        // Keep the preview features (postgresqlExtensions) the schema relies on.
        const preview = /previewFeatures\s*=\s*\[[^\]]*\]/.exec(block)?.[0] ?? '';
        return `generator client {\n  provider = "prisma-client-js"\n  engineType = "client"\n  ${preview}\n}`;
      });
    writeFileSync(path.join(work, 'schema.prisma'), schema);
    const p6 = path.join(ROOT_DIR, 'node_modules/prisma6');
    writeFileSync(
      path.join(work, 'prisma.config.ts'),
      `import { defineConfig } from ${JSON.stringify(path.join(p6, 'config'))};
import { PrismaPg } from ${JSON.stringify(require.resolve('@prisma/adapter-pg'))};
export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'schema.prisma',
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL }),
} as never);
`,
    );
    // The CLI checks these paths exist before it decides it does not need the native engines.
    const placeholder = path.join(work, 'no-native-engine');
    writeFileSync(placeholder, '');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(p6, 'build/index.js'), 'migrate', 'diff', '--config', 'prisma.config.ts', '--from-empty', '--to-schema-datamodel', 'schema.prisma', '--script'],
      {
        cwd: work,
        env: {
          ...process.env,
          DATABASE_URL: databaseUrl,
          CHECKPOINT_DISABLE: '1',
          PRISMA_SCHEMA_ENGINE_BINARY: placeholder,
          PRISMA_QUERY_ENGINE_LIBRARY: placeholder,
        },
        maxBuffer: 16 << 20,
      },
    );
    return stdout;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The statements of `full` that no existing migration already has: a first draft of the next
 * migration for additive changes (new tables, columns, indexes). Changes to existing objects
 * still need writing by hand, and the migrations test checks the result either way.
 */
export function newStatements(full: string, existing: string[]): string {
  // Prisma writes one statement per block, each headed by a `-- Kind` comment line.
  const blocks = (sql: string) => sql.split(/\n\s*\n(?=-- )/).map((b) => b.trim());
  const seen = new Set(existing.flatMap(blocks));
  return blocks(full)
    .filter((b) => b && !seen.has(b))
    .join('\n\n')
    .concat('\n');
}

if (require.main === module) {
  // `npm run db:sql` prints the whole schema; `npm run db:sql -- --new` only what no migration has.
  const url = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const onlyNew = process.argv.includes('--new');
  schemaSql(url).then(
    (sql) => process.stdout.write(onlyNew ? newStatements(sql, readMigrations().map((m) => m.sql)) : sql),
    (err: Error & { stderr?: string }) => {
      console.error(err.stderr || err.message);
      process.exit(1);
    },
  );
}
