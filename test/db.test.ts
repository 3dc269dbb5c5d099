import { randomUUID } from 'node:crypto';
import { createPrisma, PREPARED_STATEMENTS_MAX } from '../common/db';
import { testEnv } from './support/env';
import { apiClient } from './support/http';
import { signedInOffice } from './support/registration';
import { startStack, type TestStack } from './support/stack';

/**
 * The API's and the worker's database client prepares each statement once per connection
 * (common/db.ts): against the run's real PostgreSQL.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

test('a statement is prepared once per connection and run again by name; at most PREPARED_STATEMENTS_MAX are named', async () => {
  const prisma = createPrisma(testEnv('databaseUrl'), 1, { preparedStatements: true });
  const unnamed = createPrisma(testEnv('databaseUrl'), 1);
  try {
    const prepared = () => prisma.$queryRaw<{ statement: string }[]>`SELECT statement FROM pg_prepared_statements`;
    const probe = `probe-${randomUUID()}`;
    for (let i = 0; i < 3; i++) expect(await prisma.$queryRaw<{ v: string }[]>`SELECT ${probe}::text || ${i}::text AS v`).toEqual([{ v: `${probe}${i}` }]);
    // One prepared statement for the three runs (and one for the question itself).
    const texts = (await prepared()).map((r) => r.statement);
    expect(texts.filter((t) => t.includes('AS v'))).toHaveLength(1);
    expect(texts.some((t) => t.includes('pg_prepared_statements'))).toBe(true);
    // Without the option nothing is prepared.
    await unnamed.$queryRaw`SELECT 1 AS one`;
    expect(await unnamed.$queryRaw`SELECT name FROM pg_prepared_statements`).toEqual([]);

    // Texts built from input: past the limit they run unnamed, and the connection keeps no more.
    for (let i = 0; i < PREPARED_STATEMENTS_MAX + 20; i++) await prisma.$queryRawUnsafe(`SELECT ${i} AS n`);
    expect(await prisma.$queryRawUnsafe(`SELECT ${PREPARED_STATEMENTS_MAX + 100} AS n`)).toEqual([{ n: PREPARED_STATEMENTS_MAX + 100 }]);
    const [{ count }] = await prisma.$queryRawUnsafe<[{ count: bigint }]>(`SELECT count(*) AS count FROM pg_prepared_statements`);
    expect(Number(count)).toBe(PREPARED_STATEMENTS_MAX);
  } finally {
    await prisma.$disconnect();
    await unnamed.$disconnect();
  }
});

test('a column a migration adds to the accounts does not break the signed-in requests of a running API', async () => {
  const api = apiClient(stack.baseUrl);
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  const me = async () => (await api.get('/api/me', office.auth)).status;
  // Every connection of the API's pool has the session lookup prepared.
  expect(await Promise.all(Array.from({ length: 20 }, me))).toEqual(Array(20).fill(200));
  const column = `probe_${randomUUID().replace(/-/g, '')}`;
  await stack.prisma.$executeRawUnsafe(`ALTER TABLE "User" ADD COLUMN "${column}" text`);
  try {
    // A prepared `SELECT u.*` would now fail with "cached plan must not change result type".
    expect(await Promise.all(Array.from({ length: 20 }, me))).toEqual(Array(20).fill(200));
  } finally {
    await stack.prisma.$executeRawUnsafe(`ALTER TABLE "User" DROP COLUMN "${column}"`);
  }
});
