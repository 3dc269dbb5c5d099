import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT_DIR } from '../common/config';

/**
 * `npm run mutants`: deliberately broken builds, each of which the reliability suites must fail.
 * Each mutant takes away one guard against a lost or doubled case or a bad request (an order
 * number's idempotency record, a letter's, a submission's idempotency key, the mirror's write
 * order, a request's checks) in a scratch checkout of HEAD, and runs the suites that should
 * notice. A mutant that passes them is a guard nobody checks: the run exits 1. First the same
 * suites run on the unbroken checkout (`MUTANTS_SKIP_BASELINE=1` skips that), so a failure is the
 * mutant's and not the machine's. `MUTANTS_ONLY=<name>,...` runs some of them. Writes
 * bench/results/mutants-<date>.json.
 */
interface Mutant {
  name: string;
  /** The guard it takes away, in words. */
  breaks: string;
  file: string;
  /** Exactly one occurrence in the file, or the run stops: a refactor must not leave a mutant that changes nothing. */
  find: string;
  replace: string;
  /** jest arguments: the suites (and tests) that must fail. */
  jest: string[];
}

const RELIABILITY = ['test/retries.test.ts', 'test/chaos.test.ts'];
const BAD_INPUT = ['test/bad-input.test.ts'];

export const MUTANTS: Mutant[] = [
  {
    name: 'order-number-without-idempotency-record',
    breaks: 'an order-number step keys its row by a new sequence on every attempt, so a retry after its write issues a second number',
    file: 'activities/cases.ts',
    find: 'return { number: newOrderNumber(), caseId: args.caseId, examIndex: args.examIndex, sequence: args.sequence,',
    replace: 'return { number: newOrderNumber(), caseId: args.caseId, examIndex: args.examIndex, sequence: args.sequence + 1 + Math.floor(Math.random() * 1e6),',
    jest: RELIABILITY,
  },
  {
    name: 'opening-answers-new-order-numbers',
    breaks: "opening a case again after its write answers the order numbers drawn now instead of the ones its first attempt wrote",
    file: 'activities/cases.ts',
    find: "        if (orders.length) {\n          for (const x of exams) delete x.order;",
    replace: "        if (false as boolean) {\n          for (const x of exams) delete x.order;",
    jest: RELIABILITY,
  },
  {
    name: 'letter-without-delivery-record',
    breaks: 'a letter whose delivery row says SENT is sent again by the next attempt',
    file: 'activities/mail.ts',
    find: "if (existing?.status === 'SENT') {",
    replace: "if ((false as boolean) && existing?.status === 'SENT') {",
    jest: RELIABILITY,
  },
  {
    name: 'submission-without-idempotency-key',
    breaks: 'each submission of a draft starts a workflow of its own (the workflow id no longer the draft\'s)',
    file: 'api/routes/cases.ts',
    find: 'workflowId: `case-${params.draftId}`,',
    replace: 'workflowId: `case-${params.draftId}-${randomUUID()}`,',
    jest: ['test/cases.test.ts', '-t', 'one draft submitted five times at once'],
  },
  {
    name: 'mirror-write-out-of-order',
    breaks: 'a mirror write that arrives after a newer one (an attempt left running by a worker that lost the workflow) puts its older view back',
    file: 'activities/cases.ts',
    find: 'AND ("mirroredAt" IS NULL OR "mirroredAt" < ${at}::timestamp(3) OR ("mirroredAt" = ${at}::timestamp(3) AND "mirrorVersion" <= ${version}::int))',
    replace: 'AND ${at}::timestamp(3) IS NOT NULL AND ${version}::int IS NOT NULL',
    jest: RELIABILITY,
  },
  {
    name: 'body-not-checked',
    breaks: "a request's body reaches its handler without its schema's check",
    file: 'api/route.ts',
    find: ": parse('body', spec.body, req.body);",
    replace: ': (req.body as never);',
    jest: BAD_INPUT,
  },
  {
    name: 'unstorable-text-not-refused',
    breaks: 'text PostgreSQL cannot store (a NUL character, an unpaired surrogate) is not refused before it reaches the database',
    file: 'api/route.ts',
    find: 'const result = schema.safeParse(storable(where, value ?? {}));',
    replace: 'const result = schema.safeParse(value ?? {});',
    jest: BAD_INPUT,
  },
];

interface Outcome {
  name: string;
  breaks?: string;
  jest: string[];
  exitCode: number | null;
  seconds: number;
  failed: string[];
  passed: number;
  /** Whether jest ran and wrote its results. */
  ran: boolean;
  caught?: boolean;
}

const say = (msg: string) => console.log(`[mutants] ${msg}`);
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' });

function runJest(dir: string, args: string[], label: string): Omit<Outcome, 'name' | 'jest'> {
  const out = path.join(dir, `.mutants-${label}.json`);
  const started = Date.now();
  const r = spawnSync('npx', ['jest', '--ci', '--json', `--outputFile=${out}`, ...args], {
    cwd: dir,
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  // No results: jest itself did not run (not the mutant's doing as far as anyone can tell).
  if (!existsSync(out)) return { exitCode: r.status, seconds, failed: [], passed: 0, ran: false };
  const report = JSON.parse(readFileSync(out, 'utf8')) as {
    numPassedTests: number;
    testResults: { name: string; message: string; assertionResults: { fullName: string; status: string }[] }[];
  };
  const failed = report.testResults.flatMap((f) => {
    const tests = f.assertionResults.filter((a) => a.status === 'failed').map((a) => `${path.basename(f.name)}: ${a.fullName}`);
    // A suite that failed outside its tests (its beforeAll, say) lists none of them.
    return tests.length || !f.message ? tests : [`${path.basename(f.name)}: ${f.message.split('\n').find((l) => l.trim()) ?? 'failed'}`];
  });
  return { exitCode: r.status, seconds, failed, passed: report.numPassedTests, ran: true };
}

/** The file's text with the mutant applied; throws unless the mutant's text is there exactly once. */
export function mutated(root: string, m: Mutant): string {
  const text = readFileSync(path.join(root, m.file), 'utf8');
  const count = text.split(m.find).length - 1;
  if (count !== 1) throw new Error(`mutant ${m.name}: ${m.file} holds its text ${count} times, not once; update the mutant to the code`);
  return text.replace(m.find, m.replace);
}

function applyMutant(dir: string, m: Mutant): void {
  writeFileSync(path.join(dir, m.file), mutated(dir, m));
}

async function main(): Promise<void> {
  const only = process.env.MUTANTS_ONLY?.split(',').map((s) => s.trim());
  const mutants = only ? MUTANTS.filter((m) => only.includes(m.name)) : MUTANTS;
  if (!mutants.length) throw new Error(`MUTANTS_ONLY names none of: ${MUTANTS.map((m) => m.name).join(', ')}`);
  const head = git(ROOT_DIR, 'rev-parse', '--short', 'HEAD').trim();
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'prior-auth-mutants-')), 'checkout');
  say(`scratch checkout of ${head} in ${dir}`);
  git(ROOT_DIR, 'worktree', 'add', '--detach', dir, 'HEAD');
  const outcomes: Outcome[] = [];
  try {
    // What the checkout needs and git does not hold: the installed packages and the Temporal CLI.
    symlinkSync(path.join(ROOT_DIR, 'node_modules'), path.join(dir, 'node_modules'));
    if (existsSync(path.join(ROOT_DIR, '.tools'))) symlinkSync(path.join(ROOT_DIR, '.tools'), path.join(dir, '.tools'));
    execFileSync('npm', ['run', '--silent', 'generate'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });

    if (!process.env.MUTANTS_SKIP_BASELINE) {
      const suites = [...new Set(mutants.flatMap((m) => m.jest.filter((a) => a.endsWith('.test.ts'))))];
      say(`baseline: ${suites.join(' ')} on the unbroken checkout`);
      const base = { name: 'baseline (unbroken)', jest: suites, ...runJest(dir, suites, 'baseline') };
      outcomes.push(base);
      if (base.exitCode !== 0 || !base.ran) {
        throw new Error(`the unbroken checkout fails its suites (${base.ran ? base.failed.join('; ') : 'jest did not run'}): a mutant's failure would prove nothing`);
      }
    }
    for (const m of mutants) {
      git(dir, 'checkout', '--', '.');
      applyMutant(dir, m);
      say(`${m.name}: ${m.breaks}`);
      const r = runJest(dir, m.jest, m.name);
      if (!r.ran) throw new Error(`mutant ${m.name}: jest did not run (exit ${r.exitCode}); see its output above`);
      const caught = r.exitCode !== 0 && r.failed.length > 0;
      outcomes.push({ name: m.name, breaks: m.breaks, jest: m.jest, ...r, caught });
      say(`${m.name}: ${caught ? `caught by ${r.failed.length} failing test(s)` : 'NOT CAUGHT'} in ${r.seconds} s`);
    }
  } finally {
    git(ROOT_DIR, 'worktree', 'remove', '--force', dir);
    rmSync(path.dirname(dir), { recursive: true, force: true });
  }

  console.log('\n| mutant | suites | caught | failing tests |\n| --- | --- | --- | --- |');
  for (const o of outcomes) {
    const caught = o.caught === undefined ? (o.exitCode === 0 ? 'passes (as it must)' : 'FAILS') : o.caught ? 'yes' : 'NO';
    console.log(`| ${o.name} | ${o.jest.join(' ')} | ${caught} | ${o.failed.slice(0, 3).join('; ')}${o.failed.length > 3 ? `; and ${o.failed.length - 3} more` : ''} |`);
  }
  const results = path.join(ROOT_DIR, 'bench/results');
  mkdirSync(results, { recursive: true });
  const file = path.join(results, `mutants-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.json`);
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), code: head, outcomes }, null, 2)}\n`);
  console.log(`written ${path.relative(ROOT_DIR, file)}`);
  const survivors = outcomes.filter((o) => o.caught === false);
  if (survivors.length) {
    console.error(`[mutants] not caught: ${survivors.map((o) => o.name).join(', ')}`);
    process.exit(1);
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
