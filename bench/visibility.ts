import { Client, Connection } from '@temporalio/client';
import { now, pct, sleep } from './system';

/** The support console's list of open cases filtered by status DECIDED (api/supportConsole.ts), as a count. */
const DECIDED = "ExecutionStatus = 'Running' AND RecordType = 'CASE' AND RecordStatus = 'DECIDED'";

export interface VisibilityLag {
  ratePerSecond: number;
  seconds: number;
  submitted: number;
  /** How many of them the visibility count had reached when it stopped (all of them, or the count at the deadline). */
  visible: number;
  counts: number;
  /** The measure's resolution: a case listed just after one count shows at the next. */
  meanMsBetweenCounts: number;
  /**
   * From each submission's answer until the visibility count included it, 0 when it already
   * did (the k-th answer against the count's first reaching k: the order of answers and of rows
   * is taken as the same). An upper bound: the time is taken when the count returns.
   */
  lagAfterAnswerMs: { p50: number; p95: number; p99: number; max: number };
  /** Share of the cases that visibility listed by the time their answer came. */
  shareVisibleByAnswer: number;
  answerLatencyMs: { p50: number; p99: number };
}

const round = (n: number) => +n.toFixed(1);

/**
 * How far the support console's lists, which come from Temporal's visibility store, trail the
 * cases: auto-approvals submitted open loop at each rate for `seconds`, while the count of
 * decided cases in visibility is asked for every `everyMs`.
 */
export async function measureVisibilityLag(opts: {
  temporalAddress: string;
  namespace: string;
  rates: number[];
  seconds: number;
  everyMs?: number;
  /** Ready drafts to submit, `n` of them. */
  drafts: (n: number) => Promise<string[]>;
  /** Submits one draft; rejects when the answer is not the case. */
  submit: (draftId: string) => Promise<unknown>;
}): Promise<VisibilityLag[]> {
  const connection = await Connection.connect({ address: opts.temporalAddress });
  const client = new Client({ connection, namespace: opts.namespace });
  const count = async () => Number((await client.workflowService.countWorkflowExecutions({ namespace: opts.namespace, query: DECIDED })).count);
  const out: VisibilityLag[] = [];
  try {
    for (const rate of opts.rates) {
      const n = Math.round(rate * opts.seconds);
      const ids = await opts.drafts(n);
      await sleep(2_000); // the drafting's own load gone
      const before = await count();
      const seen: [atMs: number, visible: number][] = [];
      const answeredAt: number[] = [];
      const latency: number[] = [];
      const t0 = now();
      let stop = false;
      const counting = (async () => {
        while (!stop) {
          const c = (await count()) - before;
          seen.push([now() - t0, c]);
          if (c >= n) return;
          await sleep(opts.everyMs ?? 50);
        }
      })();
      try {
        await Promise.all(
          ids.map(async (id, i) => {
            await sleep(Math.max(0, t0 + (i / rate) * 1000 - now()));
            const a = now();
            await opts.submit(id);
            latency.push(now() - a);
            answeredAt.push(now() - t0);
          }),
        );
        const deadline = now() + 60_000;
        while ((seen[seen.length - 1]?.[1] ?? 0) < n && now() < deadline) await sleep(100);
      } finally {
        // Also when a submission failed: the counting ends before the connection closes, so the
        // benchmark reports the failure and stops the system instead of dying of a stray rejection.
        stop = true;
        await counting.catch(() => undefined);
      }
      answeredAt.sort((a, b) => a - b);
      const lags = answeredAt.flatMap((at, k) => {
        const first = seen.find(([, c]) => c >= k + 1);
        return first ? [Math.max(0, first[0] - at)] : [];
      });
      const l = [...lags].sort((a, b) => a - b);
      const s = [...latency].sort((a, b) => a - b);
      out.push({
        ratePerSecond: rate,
        seconds: opts.seconds,
        submitted: n,
        visible: seen[seen.length - 1]?.[1] ?? 0,
        counts: seen.length,
        meanMsBetweenCounts: round((seen[seen.length - 1]?.[0] ?? 0) / Math.max(1, seen.length)),
        lagAfterAnswerMs: { p50: round(pct(l, 50)), p95: round(pct(l, 95)), p99: round(pct(l, 99)), max: round(l[l.length - 1] ?? NaN) },
        shareVisibleByAnswer: +(l.filter((x) => x === 0).length / Math.max(1, n)).toFixed(3),
        answerLatencyMs: { p50: round(pct(s, 50)), p99: round(pct(s, 99)) },
      });
    }
  } finally {
    await connection.close();
  }
  return out;
}
