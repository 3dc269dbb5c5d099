import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { codeSearcher } from '../api/codeSearch';
import { ROOT_DIR } from '../common/config';
import { createPrisma } from '../common/db';
import { migrate } from '../scripts/migrate';
import { loadCodes } from '../scripts/load-codes';
import { addSyntheticIcdRows, CODE_QUERIES } from './icd';
import { pct } from './system';

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
    await addSyntheticIcdRows(prisma, TARGET_ICD_ROWS);
    const icdRows = await prisma.code.count({ where: { system: 'ICD10CM' } });
    const allRows = await prisma.code.count();

    // Warm up (the first search builds the index, which is timed on its own), then measure.
    const codes = codeSearcher(prisma);
    const memoryBefore = process.memoryUsage().heapUsed;
    const buildStarted = process.hrtime.bigint();
    await codes.search({ q: CODE_QUERIES[0]!, limit: 20 });
    const indexBuildMs = Number(process.hrtime.bigint() - buildStarted) / 1e6;
    global.gc?.();
    const indexHeapMiB = (process.memoryUsage().heapUsed - memoryBefore) / 2 ** 20;
    for (const q of CODE_QUERIES) await codes.search({ q, limit: 20 });
    const perQuery: { q: string; p50: number; p95: number; hits: number }[] = [];
    const all: number[] = [];
    for (const q of CODE_QUERIES) {
      const times: number[] = [];
      let hits = 0;
      for (let r = 0; r < RUNS; r++) {
        const t0 = process.hrtime.bigint();
        hits = (await codes.search({ q, limit: 20 })).length;
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
      index: { buildMs: +indexBuildMs.toFixed(0), heapMiB: +indexHeapMiB.toFixed(1) },
      runsPerQuery: RUNS,
      latencyMs: summary,
      target: { p95Ms: 20, met: summary.p95 < 20 },
      perQuery,
    };
    console.log(`code search over ${allRows} codes (${icdRows} ICD-10-CM), ${RUNS} runs x ${CODE_QUERIES.length} queries, ${result.machine.cores} cores`);
    console.log(`index built in ${result.index.buildMs} ms (with the first search), ${result.index.heapMiB} MiB of heap`);
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
