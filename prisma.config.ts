import { defineConfig } from 'prisma/config';

// The CLI is used for `generate` (offline). Migrations are applied by scripts/migrate.ts, which
// follows Prisma's own layout and bookkeeping so that `prisma migrate deploy` works where the
// native schema engine is available.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/postgres' },
});
