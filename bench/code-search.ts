import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { searchCodes } from '../api/codeSearch';
import { ROOT_DIR } from '../common/config';
import { createPrisma } from '../common/db';
import { codeSearchText, descriptionWords } from '../domain/codes';
import { migrate } from '../scripts/migrate';
import { loadCodes } from '../scripts/load-codes';

/**
 * Code search at the size of the full ICD-10-CM set. A throwaway database gets the shipped code
 * files plus generated ICD-10-CM-like rows up to ~74,000 (codes U8xxxxx, descriptions recombined
 * from real ones, so words are as common as in the real set); then each query runs many times
 * through the API's own search function. Prints p50/p95/p99 and writes bench/results/*.json.
 *
 *   npm run bench:codes            (BENCH_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres)
 */
const TARGET_ICD_ROWS = Number(process.env.BENCH_ICD_ROWS ?? 74_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 50);
// BENCH_RUNS, BENCH_ICD_ROWS and BENCH_KEEP adjust a run; the defaults are what results/ records.
const QUERIES = [
  'low back pain',
  'pain low back',
  'M545',
  'M54.5',
  'lumbr radiculopathy',
  'migrane',
  'knee pain right',
  'chest pain',
  'cervical disc disorder',
  'shortness of breath',
  'abdominal pain',
  'osteoarthritis of knee',
  'I25',
  'mri lumbar spine',
  'physical therapy evaluation',
  'headache',
  'fracture of vertebra',
  'malignant neoplasm of breast',
  'atrial fibrillation',
  'dysphagia',
];

const SIDES = ['right', 'left', 'bilateral', 'unspecified side'];
const ENCOUNTERS = ['initial encounter', 'subsequent encounter', 'sequela'];

function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function main() {
  const admin = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const dbName = `prior_auth_bench_${process.pid}`;
  const url = new URL(admin);
  const adminClient = new Client({ connectionString: admin });
  await adminClient.connect();
  await adminClient.query(`CREATE DATABASE "${dbName}"`);
  url.pathname = `/${dbName}`;
  const prisma = createPrisma(url.toString(), 4);
  try {
    await migrate(url.toString());
    await loadCodes(prisma);
    const real = await prisma.code.findMany({ where: { system: 'ICD10CM' }, select: { description: true } });
    const random = rng(42);
    const rows: { code: string; description: string }[] = [];
    for (let n = real.length; n < TARGET_ICD_ROWS; n++) {
      const base = real[Math.floor(random() * real.length)]!.description;
      const extra = `${SIDES[Math.floor(random() * SIDES.length)]}, ${ENCOUNTERS[Math.floor(random() * ENCOUNTERS.length)]}`;
      rows.push({ code: `U8${String(n).padStart(5, '0')}`, description: `${base}, ${extra}` });
    }
    for (let i = 0; i < rows.length; i += 2000) {
      const batch = rows.slice(i, i + 2000);
      await prisma.$executeRawUnsafe(
        `INSERT INTO "Code" ("system", "code", "display", "description", "billable", "searchText", "searchWords")
         SELECT 'ICD10CM', c, c, d, true, s, string_to_array(w, ' ') FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(c, d, s, w)`,
        batch.map((r) => r.code),
        batch.map((r) => r.description),
        batch.map((r) => codeSearchText({ system: 'ICD10CM', code: r.code, description: r.description })),
        batch.map((r) => descriptionWords(r.description).join(' ')),
      );
    }
    await prisma.$executeRawUnsafe('DELETE FROM "CodeWord"');
    await prisma.$executeRawUnsafe('INSERT INTO "CodeWord" ("word", "codes") SELECT w, count(*) FROM "Code", unnest("searchWords") AS w GROUP BY w');
    await prisma.$executeRawUnsafe('VACUUM ANALYZE "Code"');
    await prisma.$executeRawUnsafe('VACUUM ANALYZE "CodeWord"');
    const icdRows = await prisma.code.count({ where: { system: 'ICD10CM' } });
    const allRows = await prisma.code.count();

    // Warm up, then measure.
    for (const q of QUERIES) await searchCodes(prisma, { q, limit: 20 });
    const perQuery: { q: string; p50: number; p95: number; hits: number }[] = [];
    const all: number[] = [];
    for (const q of QUERIES) {
      const times: number[] = [];
      let hits = 0;
      for (let r = 0; r < RUNS; r++) {
        const t0 = process.hrtime.bigint();
        hits = (await searchCodes(prisma, { q, limit: 20 })).length;
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      times.sort((a, b) => a - b);
      all.push(...times);
      perQuery.push({ q, p50: pct(times, 50), p95: pct(times, 95), hits });
    }
    all.sort((a, b) => a - b);
    const summary = { p50: pct(all, 50), p95: pct(all, 95), p99: pct(all, 99), max: all[all.length - 1]! };
    const result = {
      benchmark: 'code-search',
      date: new Date().toISOString(),
      machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), node: process.version },
      rows: { icd10cm: icdRows, all: allRows },
      runsPerQuery: RUNS,
      latencyMs: summary,
      target: { p95Ms: 20, met: summary.p95 < 20 },
      perQuery,
    };
    console.log(`code search over ${allRows} codes (${icdRows} ICD-10-CM), ${RUNS} runs x ${QUERIES.length} queries, ${result.machine.cores} cores`);
    console.log('query'.padEnd(34) + 'p50 ms'.padStart(9) + 'p95 ms'.padStart(9) + 'hits'.padStart(6));
    for (const r of perQuery) console.log(r.q.padEnd(34) + r.p50.toFixed(2).padStart(9) + r.p95.toFixed(2).padStart(9) + String(r.hits).padStart(6));
    console.log(`all: p50 ${summary.p50.toFixed(2)} ms, p95 ${summary.p95.toFixed(2)} ms, p99 ${summary.p99.toFixed(2)} ms (target p95 < 20 ms: ${result.target.met ? 'met' : 'NOT met'})`);
    const dir = path.join(ROOT_DIR, 'bench/results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `code-search-${result.date.slice(0, 19).replace(/:/g, '')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`written ${path.relative(ROOT_DIR, file)}`);
  } finally {
    await prisma.$disconnect();
    // BENCH_KEEP=1 keeps the database for profiling (EXPLAIN ANALYZE); it is printed.
    if (process.env.BENCH_KEEP) console.log(`kept database ${dbName}`);
    else await adminClient.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await adminClient.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
