import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT_DIR } from '../../common/config';
import { formatReport, runChaos } from './harness';

/**
 * The long chaos run, on demand: `npm run chaos` (1,000 cases over 10 minutes, the fault
 * schedule three times). CHAOS_CASES, CHAOS_SECONDS, CHAOS_ROUNDS and CHAOS_AFTER_WORK_RATE change it. Prints the
 * figures, writes bench/results/chaos-<date>.json and exits 1 when anything was lost.
 */
async function main() {
  const report = await runChaos({
    cases: Number(process.env.CHAOS_CASES ?? 1000),
    seconds: Number(process.env.CHAOS_SECONDS ?? 600),
    rounds: Number(process.env.CHAOS_ROUNDS ?? 3),
    afterWorkRate: Number(process.env.CHAOS_AFTER_WORK_RATE ?? 0.2),
  });
  console.log(formatReport(report));
  const dir = path.join(ROOT_DIR, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `chaos-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.json`);
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), ...report }, null, 2)}\n`);
  console.log(`written ${path.relative(ROOT_DIR, file)}`);
  process.exit(report.problems.length ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
