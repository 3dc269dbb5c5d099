import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Client, Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { admin, office, staff, type Actor } from '../../bench/actors';
import { fixtures, members } from '../../prisma/seed/reference';
import { caseStatusQuery, type CaseView } from '../../workflows/case';
import { startChaosSystem, type ChaosSystem } from './system';

/**
 * The chaos run: prior-authorization cases on every path, driven over HTTP by scripted offices,
 * nurses and physicians who retry as people do (a lost answer is asked again), while the
 * harness kills the worker with SIGKILL, kills the API, restarts the Temporal server and cuts
 * the mail server and the database for a while. Afterwards every case is checked against what
 * it should have become, in the workflow, in the database mirror and in the mailbox.
 */
export type CasePath = 'AUTO_APPROVED' | 'NURSE_APPROVED' | 'PHYSICIAN_DENIED' | 'OFFICE_CANCELLED';
const PATHS: CasePath[] = ['AUTO_APPROVED', 'NURSE_APPROVED', 'PHYSICIAN_DENIED', 'OFFICE_CANCELLED'];

export interface ChaosOptions {
  cases: number;
  /** Cases are started evenly over this many seconds; the faults are spread over the same time. */
  seconds: number;
  /** The fault schedule runs this many times over `seconds`. */
  rounds?: number;
  /** Seconds each outage of the mail server and the database lasts. */
  outageSeconds?: number;
  /**
   * Fraction of first attempts of every step (opening, order number, mirror write, email) that
   * fail after doing their work, as if the worker died before Temporal heard the result.
   */
  afterWorkRate?: number;
  bundlePath?: string;
  log?: (line: string) => void;
}

export interface ChaosReport {
  machine: { cores: number; memoryGiB: number };
  cases: number;
  byPath: Record<CasePath, number>;
  faults: {
    workerKills: number;
    workerKillsMidSubmission: number;
    apiKills: number;
    temporalRestarts: number;
    mailOutages: number;
    databaseOutages: number;
    outageSeconds: number;
    /** Steps that failed after their work, by activity type. */
    failedAfterWork: Record<string, number>;
  };
  supervisorRestarts: { worker: number; api: number };
  clientRetries: number;
  secondsDriving: number;
  secondsUntilSettled: number;
  verified: {
    casesInDatabase: number;
    draftsInDatabase: number;
    reachedExpectedState: number;
    orderNumbers: number;
    orderNumbersIssuedTwice: number;
    emailsRecorded: number;
    emailsReceived: number;
    emailsReceivedTwice: number;
    /**
     * Copies explained by SMTP itself (RFC 1047): the first arrived within a second of the worker
     * being killed or of the mail connection being cut, so the server accepted it and the worker
     * died, or never heard the server's 250, before recording that; the retry sent it again under
     * the same Message-ID (mail programs show it once). No protocol closes this window; these are
     * reported, and not counted as received twice.
     */
    emailsResentInAcceptWindow: { afterWorkerKill: number; afterMailCut: number };
    mirrorsEqualWorkflow: number;
  };
  /** Every way a case went wrong, one line each; empty when the run lost nothing. */
  problems: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const noRedFlags = { cancerHistory: false, infectionRisk: false, caudaEquinaSigns: false, progressiveDeficit: false, fractureSuspected: false, priorLumbarSurgery: false };
const MET = { ...noRedFlags, symptomPattern: 'radiculopathy', conservativeCare: true, conservativeCareWeeks: 10, physicalTherapy: true };
const NOT_MET = { ...noRedFlags, symptomPattern: 'radiculopathy', conservativeCare: false };

/** JSON with keys in order, so two equal objects give equal text. */
const stable = (v: unknown): string =>
  JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));

/** Where two JSON values differ, as `path: a != b` lines (the first few). */
function jsonDiff(a: unknown, b: unknown, at = '', out: string[] = [], limit = 8): string[] {
  if (out.length >= limit) return out;
  const isObj = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object';
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) jsonDiff(a[k], b[k], at ? `${at}.${k}` : k, out, limit);
  } else if (stable(a) !== stable(b)) {
    out.push(`${at || '(root)'}: ${String(stable(a)).slice(0, 120)} != ${String(stable(b)).slice(0, 120)}`);
  }
  return out;
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log ?? ((line: string) => console.log(`[chaos] ${line}`));
  const rounds = opts.rounds ?? 1;
  const outageMs = (opts.outageSeconds ?? 8) * 1000;
  const sys = await startChaosSystem({ bundlePath: opts.bundlePath, afterWorkRate: opts.afterWorkRate ?? 0.2 });
  const problems: string[] = [];
  let retries = 0;
  try {
    const db = new PgClient({ connectionString: sys.databaseUrl });
    await db.connect();
    // Many cases for few members: the plan's "return the active order" rule would join them.
    await db.query('UPDATE "HealthPlan" SET "returnActiveOrderForDuplicate" = false');
    const theOffice = await office(sys);
    const theAdmin = await admin(sys);
    const [theNurse, thePhysician] = await Promise.all([staff(sys, theAdmin, 'NURSE'), staff(sys, theAdmin, 'PHYSICIAN')]);
    log(`system up: Temporal ${sys.temporalAddress}, API ${sys.baseUrl}; an office, a nurse and a physician signed in`);

    /** A request as a person's browser makes it: asked again after a lost answer, a 5xx or a timeout. */
    const call = async (method: string, url: string, body: unknown, who: Actor, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> => {
      const deadline = Date.now() + 180_000;
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await fetch(`${sys.baseUrl}${url}`, {
            method,
            headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...who.auth, ...headers },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(20_000),
          });
          const text = await res.text();
          if (res.status < 500 && res.status !== 429) return { status: res.status, body: text ? JSON.parse(text) : undefined };
          if (Date.now() > deadline) throw new Error(`${method} ${url} still answered ${res.status} after 3 minutes: ${text.slice(0, 300)}`);
        } catch (err) {
          if (Date.now() > deadline) throw err;
        }
        retries++;
        await sleep(Math.min(2000, 200 * 2 ** Math.min(attempt, 4)));
      }
    };

    const today = new Date().toISOString().slice(0, 10);
    const pool = members.filter((m) => m.planId === 'NEBHP' && m.eligibleFrom <= today && !m.eligibleTo).map((m) => m.id);
    const runId = randomUUID().slice(0, 8);
    interface Driven {
      index: number;
      path: CasePath;
      draftId?: string;
      caseNumber?: string;
      error?: string;
    }
    /** Submissions waiting for their answer: the worker is killed while some are (mid-step). */
    let submitting = 0;
    const driven: Driven[] = Array.from({ length: opts.cases }, (_, index) => ({ index, path: PATHS[index % PATHS.length]! }));

    /** One case from draft to its final step, each step chosen from the case's state as read back. */
    const drive = async (c: Driven): Promise<void> => {
      const d = await call(
        'POST',
        '/api/drafts',
        {
          memberId: pool[c.index % pool.length],
          orderingProviderNpi: fixtures.harborviewPhysician,
          urgency: 'STANDARD',
          dateOfService: new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10),
          exams: [{ procedureCode: '72148', diagnosisCodes: ['M54.16'], answers: c.path === 'AUTO_APPROVED' ? MET : NOT_MET, servicingProviderNpi: fixtures.bostonMriFacility }],
        },
        theOffice,
        // The office's retry of a lost answer must not make a second draft.
        { 'idempotency-key': `chaos-${runId}-${c.index}` },
      );
      if (d.status !== 201 && d.status !== 200) throw new Error(`draft answered ${d.status}: ${JSON.stringify(d.body).slice(0, 300)}`);
      c.draftId = d.body.draftId as string;
      submitting++;
      const s = await call('POST', `/api/drafts/${c.draftId}/submit`, {}, theOffice).finally(() => submitting--);
      if (s.status !== 201 && s.status !== 200) throw new Error(`submission answered ${s.status}: ${JSON.stringify(s.body).slice(0, 300)}`);
      c.caseNumber = s.body.caseNumber as string;
      if (c.path === 'AUTO_APPROVED') return;
      const until = Date.now() + 300_000;
      while (Date.now() < until) {
        const r = await call('GET', `/api/review/cases/${c.caseNumber}`, undefined, theNurse);
        if (r.status !== 200) throw new Error(`case ${c.caseNumber} answered ${r.status}`);
        const v = r.body.case as CaseView;
        const exam = v.exams[0]!;
        if (exam.status !== 'PENDED') return;
        // A 409 means the step was taken already (a retried request) or the case moved on: read again.
        if (c.path === 'OFFICE_CANCELLED') await call('POST', `/api/cases/${c.caseNumber}/cancel`, { reason: 'The patient moved out of state' }, theOffice);
        else if (v.stage === 'NURSE' && c.path === 'NURSE_APPROVED') await call('POST', `/api/review/cases/${c.caseNumber}/nurse-decision`, { action: 'APPROVE', exams: [1], note: 'Meets criteria on review' }, theNurse);
        else if (v.stage === 'NURSE') await call('POST', `/api/review/cases/${c.caseNumber}/nurse-decision`, { action: 'ESCALATE', note: 'No conservative care documented' }, theNurse);
        else if (v.stage === 'PHYSICIAN')
          await call('POST', `/api/review/cases/${c.caseNumber}/physician-decision`, { action: 'DENY', exam: 1, reason: 'Six weeks of conservative care are not documented', guidelineReference: 'LUMBAR-MRI-1' }, thePhysician);
        await sleep(300);
      }
      throw new Error(`case ${c.caseNumber} still pended after 5 minutes`);
    };

    // ---- Drive the cases while the faults happen --------------------------------------------
    const faults = { workerKills: 0, workerKillsMidSubmission: 0, apiKills: 0, temporalRestarts: 0, mailOutages: 0, databaseOutages: 0, outageSeconds: outageMs / 1000, failedAfterWork: {} as Record<string, number> };
    const spanMs = opts.seconds * 1000;
    /** When the worker was killed or the mail connections cut (ms into the run): a copy of an email just before is SMTP's window. */
    const workerKillsAt: number[] = [];
    const mailCutsAt: number[] = [];
    const t0 = Date.now();
    const at = (fraction: number) => sleep(Math.max(0, t0 + fraction * spanMs - Date.now()));
    const schedule: { at: number; what: string; run: () => Promise<void> }[] = [];
    for (let r = 0; r < rounds; r++) {
      const f = (x: number) => (r + x) / rounds;
      const killWorker = async () => {
        // In the middle of work: a submission's steps (case row, order number, mirror) in flight.
        for (let i = 0; i < 200 && submitting === 0; i++) await sleep(10);
        faults.workerKills++;
        if (submitting > 0) faults.workerKillsMidSubmission++;
        workerKillsAt.push(Date.now() - t0);
        await sys.worker.kill('SIGKILL');
      };
      schedule.push(
        { at: f(0.08), what: 'worker killed (SIGKILL)', run: killWorker },
        {
          at: f(0.2),
          what: 'API killed (SIGKILL)',
          run: async () => {
            faults.apiKills++;
            await sys.api.kill('SIGKILL');
          },
        },
        {
          at: f(0.3),
          what: 'mail server unreachable',
          run: async () => {
            faults.mailOutages++;
            mailCutsAt.push(Date.now() - t0);
            await sys.smtp.down();
            await sleep(outageMs);
            await sys.smtp.up();
          },
        },
        { at: f(0.45), what: 'worker killed (SIGKILL)', run: killWorker },
        {
          at: f(0.55),
          what: 'database unreachable',
          run: async () => {
            faults.databaseOutages++;
            await sys.database.down();
            await sleep(outageMs);
            await sys.database.up();
          },
        },
        {
          at: f(0.7),
          what: 'Temporal server restarted',
          run: async () => {
            faults.temporalRestarts++;
            await sys.restartTemporal();
          },
        },
        { at: f(0.85), what: 'worker killed (SIGKILL)', run: killWorker },
      );
    }
    const chaos = (async () => {
      for (const s of schedule) {
        await at(s.at);
        const started = Date.now();
        await s.run();
        log(`${((started - t0) / 1000).toFixed(1).padStart(6)} s  ${s.what} (${((Date.now() - started) / 1000).toFixed(1)} s until back)`);
      }
    })();
    await Promise.all([
      chaos,
      ...driven.map(async (c) => {
        await at(c.index / opts.cases);
        try {
          await drive(c);
        } catch (err) {
          c.error = String((err as Error).message ?? err);
        }
      }),
    ]);
    const secondsDriving = (Date.now() - t0) / 1000;
    for (const c of driven) if (c.error) problems.push(`case ${c.index} (${c.path}${c.caseNumber ? `, ${c.caseNumber}` : ''}): the office could not finish: ${c.error}`);
    log(`${opts.cases} cases driven in ${secondsDriving.toFixed(0)} s with ${retries} client retries; checking`);

    // ---- Check every case: workflow, mirror, orders, mail -----------------------------------
    const connection = await Connection.connect({ address: sys.temporalAddress });
    const temporal = new Client({ connection });
    const cases = driven.filter((c) => c.caseNumber);
    const expected = (p: CasePath) =>
      p === 'AUTO_APPROVED' || p === 'NURSE_APPROVED'
        ? { status: 'DECIDED', exam: 'APPROVED', orders: 1, workflow: 'RUNNING' }
        : { status: 'CLOSED', exam: p === 'PHYSICIAN_DENIED' ? 'DENIED' : 'CANCELLED', orders: 0, workflow: 'COMPLETED' };

    const check = async () => {
      const found: string[] = [];
      let reached = 0;
      let mirrors = 0;
      const drifted: { handle: ReturnType<typeof temporal.workflow.getHandle>; workflowId: string }[] = [];
      for (const c of cases) {
        const want = expected(c.path);
        const handle = temporal.workflow.getHandle(`case-${c.draftId}`);
        let view: CaseView;
        let state: string;
        try {
          [view, state] = await Promise.all([handle.query(caseStatusQuery), handle.describe().then((d) => d.status.name)]);
        } catch (err) {
          // Its history, kept for whoever looks into it (replay it with test/replay.test.ts's tools).
          const kept = await keepHistory(handle, `case-${c.draftId}`).catch((e: unknown) => `(history not kept: ${String(e)})`);
          found.push(`case ${c.caseNumber} (${c.path}): the workflow did not answer: ${String(err)}; history in ${kept}`);
          continue;
        }
        const exam = view.exams[0]!;
        const got = { status: view.status, exam: exam.status, orders: exam.orders.length, workflow: state };
        if (stable(got) === stable(want)) reached++;
        else found.push(`case ${c.caseNumber} (${c.path}): expected ${stable(want)}, found ${stable(got)}`);
        const row = (await db.query('SELECT id, status, view FROM "Case" WHERE "caseNumber" = $1', [c.caseNumber])).rows[0];
        if (row && stable(row.view) === stable(view) && row.status === (view.status === 'PENDED' ? `PENDED_${view.stage}` : view.status)) mirrors++;
        else {
          const how = row ? jsonDiff(row.view, view).join('; ') : 'no row';
          found.push(`case ${c.caseNumber} (${c.path}): the database mirror (${row?.status ?? 'no row'}) differs from the workflow (${view.status}): mirror != workflow at ${how}`);
          drifted.push({ handle, workflowId: `case-${c.draftId}` });
        }
        const orders = row ? (await db.query('SELECT number FROM "OrderNumber" WHERE "caseId" = $1', [row.id])).rows.map((o) => o.number as string) : [];
        if (stable(orders) !== stable(exam.orders.map((o) => o.number))) found.push(`case ${c.caseNumber} (${c.path}): order numbers in the database ${stable(orders)}, in the workflow ${stable(exam.orders.map((o) => o.number))}`);
      }
      return { found, reached, mirrors, drifted };
    };
    // The last steps may still be settling (a letter waiting for the mail server, say).
    const settleStart = Date.now();
    let result = await check();
    while (result.found.length && Date.now() - settleStart < 180_000) {
      await sleep(3000);
      result = await check();
    }
    const secondsUntilSettled = (Date.now() - settleStart) / 1000;
    problems.push(...result.found);
    // A mirror that never caught up: its workflow's history, to see which workflow task wrote what.
    for (const d of result.drifted) {
      const kept = await keepHistory(d.handle, d.workflowId).catch((e: unknown) => `(not kept: ${String(e)})`);
      problems.push(`${d.workflowId}: history in ${kept}`);
    }

    const userId = (await db.query('SELECT id FROM "User" WHERE username = $1', [theOffice.username])).rows[0].id;
    const casesInDatabase = Number((await db.query('SELECT count(*) FROM "Case" WHERE "userId" = $1', [userId])).rows[0].count);
    const draftsInDatabase = Number((await db.query('SELECT count(*) FROM "Draft" WHERE "userId" = $1', [userId])).rows[0].count);
    if (casesInDatabase !== opts.cases) problems.push(`${casesInDatabase} cases in the database for ${opts.cases} submitted`);
    if (draftsInDatabase !== opts.cases) problems.push(`${draftsInDatabase} drafts in the database for ${opts.cases} made`);
    const orderNumbers = Number((await db.query('SELECT count(*) FROM "OrderNumber"')).rows[0].count);
    const twice = (await db.query('SELECT "caseId", "examIndex", count(*) AS n FROM "OrderNumber" GROUP BY 1, 2 HAVING count(*) > 1')).rows;
    for (const t of twice) problems.push(`case ${t.caseId} exam ${t.examIndex + 1}: ${t.n} order numbers issued`);

    // Mail: every email recorded as sent arrived once; none arrived twice.
    const deliveries = (await db.query('SELECT "workflowId", purpose, status, "messageId" FROM "EmailDelivery"')).rows as { workflowId: string; purpose: string; status: string; messageId: string }[];
    // Each message's arrivals, in ms into the run.
    const arrivalsMs = new Map<string, number[]>();
    for (const m of await sys.mail.messages()) if (m.messageId) arrivalsMs.set(m.messageId, [...(arrivalsMs.get(m.messageId) ?? []), Date.parse(m.receivedAt) - t0]);
    const received = new Map([...arrivalsMs].map(([id, at]) => [id, at.length]));
    let receivedTwice = 0;
    const resent = { afterWorkerKill: 0, afterMailCut: 0 };
    for (const [id, n] of received) {
      if (n < 2) continue;
      const [first, second] = arrivalsMs.get(id)!;
      // Within a second either side: the end of the message can still be in the socket when the
      // worker dies or the connection is cut, and the server accepts it a moment after.
      const near = (cuts: number[]) => (n === 2 ? cuts.find((k) => Math.abs(k - first!) < 1000 && second! > k) : undefined);
      const kill = near(workerKillsAt);
      const cut = kill === undefined ? near(mailCutsAt) : undefined;
      if (kill !== undefined || cut !== undefined) {
        resent[kill !== undefined ? 'afterWorkerKill' : 'afterMailCut']++;
        const what = kill !== undefined ? 'the worker was killed' : 'the mail connections were cut';
        const ms = (kill ?? cut)! - first!;
        log(`email ${id} sent again: ${what} ${Math.abs(ms).toFixed(0)} ms ${ms >= 0 ? 'after' : 'before'} the SMTP server accepted it`);
        continue;
      }
      receivedTwice++;
      const d = deliveries.find((x) => x.messageId === id);
      problems.push(`email ${id}${d ? ` (${d.purpose} of ${d.workflowId})` : ''} received ${n} times, at ${arrivalsMs.get(id)!.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(' and ')} into the run`);
    }
    for (const d of deliveries) {
      if (d.status !== 'SENT') problems.push(`email ${d.purpose} of ${d.workflowId} is ${d.status}, not sent`);
      else if (!received.has(d.messageId)) problems.push(`email ${d.purpose} of ${d.workflowId} recorded as sent but never received`);
    }
    for (const c of cases) {
      const letters = deliveries.filter((d) => d.workflowId === `case-${c.draftId}` && (d.purpose.startsWith('decision') || d.purpose.startsWith('cancel')));
      if (!letters.length) problems.push(`case ${c.caseNumber} (${c.path}): no decision or cancellation letter recorded`);
    }
    await connection.close();
    await db.end();

    faults.failedAfterWork = sys.afterWorkFaults();
    const byPath = Object.fromEntries(PATHS.map((p) => [p, driven.filter((c) => c.path === p).length])) as Record<CasePath, number>;
    return {
      machine: { cores: os.cpus().length, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1) },
      cases: opts.cases,
      byPath,
      faults,
      supervisorRestarts: { worker: sys.worker.restarts, api: sys.api.restarts },
      clientRetries: retries,
      secondsDriving: +secondsDriving.toFixed(1),
      secondsUntilSettled: +secondsUntilSettled.toFixed(1),
      verified: {
        casesInDatabase,
        draftsInDatabase,
        reachedExpectedState: result.reached,
        orderNumbers,
        orderNumbersIssuedTwice: twice.length,
        emailsRecorded: deliveries.length,
        emailsReceived: [...received.values()].reduce((a, b) => a + b, 0),
        emailsReceivedTwice: receivedTwice,
        emailsResentInAcceptWindow: resent,
        mirrorsEqualWorkflow: result.mirrors,
      },
      problems,
    };
  } catch (err) {
    log(`the run failed: ${String(err)}\n--- worker output ---\n${sys.worker.output().slice(-4000)}\n--- api output ---\n${sys.api.output().slice(-4000)}`);
    throw err;
  } finally {
    await sys.stop();
  }
}

/** Writes a workflow's history (JSON, as the Temporal CLI exports it) where it outlives the run. */
async function keepHistory(handle: { fetchHistory(): Promise<unknown> }, workflowId: string): Promise<string> {
  const dir = path.join(os.tmpdir(), 'prior-auth-chaos-failures');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${workflowId}-${Date.now()}.json`);
  writeFileSync(file, historyToJSON((await handle.fetchHistory()) as Parameters<typeof historyToJSON>[0]));
  return file;
}

/** The report as a person reads it. */
export function formatReport(r: ChaosReport): string {
  const v = r.verified;
  return [
    `chaos run: ${r.cases} cases (${Object.entries(r.byPath).map(([p, n]) => `${n} ${p.toLowerCase().replace('_', ' ')}`).join(', ')}) on ${r.machine.cores} cores`,
    `faults: worker killed ${r.faults.workerKills}x (${r.faults.workerKillsMidSubmission} with a submission in flight), API killed ${r.faults.apiKills}x, Temporal restarted ${r.faults.temporalRestarts}x, mail down ${r.faults.mailOutages}x and database down ${r.faults.databaseOutages}x for ${r.faults.outageSeconds} s each`,
    `steps failed after their work: ${Object.entries(r.faults.failedAfterWork).map(([t, n]) => `${t} ${n}`).join(', ') || 'none'}`,
    `supervisor restarts: worker ${r.supervisorRestarts.worker}, API ${r.supervisorRestarts.api}; client retries ${r.clientRetries}`,
    `driven in ${r.secondsDriving} s, settled ${r.secondsUntilSettled} s later`,
    `cases in the database ${v.casesInDatabase}, drafts ${v.draftsInDatabase}; expected final state ${v.reachedExpectedState}/${r.cases}; mirror equals workflow ${v.mirrorsEqualWorkflow}/${r.cases}`,
    `order numbers ${v.orderNumbers}, issued twice ${v.orderNumbersIssuedTwice}; emails recorded ${v.emailsRecorded}, received ${v.emailsReceived}, received twice ${v.emailsReceivedTwice} (and sent again, same Message-ID, because the SMTP server accepted it just before the worker was killed ${v.emailsResentInAcceptWindow.afterWorkerKill}, or just before the mail connection was cut ${v.emailsResentInAcceptWindow.afterMailCut})`,
    r.problems.length ? `PROBLEMS (${r.problems.length}):\n  ${r.problems.slice(0, 50).join('\n  ')}` : 'nothing lost, nothing duplicated',
  ].join('\n');
}
