import { Context } from '@temporalio/activity';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { sawProblem } from '../common/problems';
import { searchAttributes } from '../common/searchAttributes';
import type { PrismaClient } from '../common/db';
import { caseStatusQuery, type CaseView } from '../workflows/case';
import { registrationStatusQuery, type RegistrationView } from '../workflows/registration';

export interface MirrorAuditResult {
  checked: number;
  drifted: number;
  resolved: number;
  at: string;
  /** Pages of running workflows read, and the time the pass paused between them. */
  pages?: number;
  pausedMs?: number;
}

export interface MirrorAuditArgs {
  graceMs: number;
  /**
   * A scheduled pass's pause after each page, as a multiple of the time the page took (reading it
   * from visibility and comparing it): with 2, the pass keeps Temporal's visibility store and the
   * worker busy at most a third of its time, leaving the rest to the offices' requests. A
   * pass support asks for answers at once (0).
   */
  pace?: number;
  pageSize?: number;
}

/** A record's state as the workflow holds it, and as the database mirror says. */
interface Seen {
  workflowId: string;
  recordType: 'CASE' | 'REGISTRATION';
  workflow: Record<string, string>;
  mirror: Record<string, string>;
}

const PAGE = 500;
/** The records the audit compares with the mirror (RecordType). */
const AUDITED = new Set(['CASE', 'REGISTRATION']);

/**
 * Support's view of the database mirror: does it say what the workflows say? Pages through the
 * running cases and registrations in visibility (their search attributes are what the workflow
 * last set), compares each page with the mirror rows in one query, and confirms any difference
 * with the workflow's own query before recording it: a step in flight (search attributes
 * written, mirror a moment behind) is not drift.
 */
export function supportActivities(deps: { prisma: PrismaClient; temporal: Client }) {
  const { prisma, temporal } = deps;

  const compare = (s: Seen) => Object.keys(s.workflow).filter((field) => s.workflow[field] !== s.mirror[field]);

  async function mirrorOf(page: WorkflowExecutionInfo[]): Promise<Map<string, Record<string, string>>> {
    const ids = page.map((w) => w.workflowId);
    const [cases, users] = await Promise.all([
      prisma.case.findMany({ where: { workflowId: { in: ids } }, select: { workflowId: true, status: true, waitingOn: true } }),
      // One email keeps one registration workflow id: the newest registration is the running one.
      prisma.user.findMany({ where: { workflowId: { in: ids }, accessRole: 'PROVIDER' }, select: { workflowId: true, status: true }, orderBy: { registeredAt: 'asc' } }),
    ]);
    const out = new Map<string, Record<string, string>>();
    for (const c of cases) out.set(c.workflowId, { status: c.status, waitingOn: c.waitingOn });
    for (const u of users) out.set(u.workflowId!, { status: u.status });
    return out;
  }

  /** What the workflow says now (its query), in the mirror's terms. */
  async function live(s: Seen): Promise<Record<string, string> | undefined> {
    const handle = temporal.workflow.getHandle(s.workflowId);
    // A workflow no worker answers for would hold the pass for about 30 s.
    const within = <T>(fn: () => Promise<T>) => temporal.connection.withDeadline(Date.now() + 5_000, fn);
    try {
      if (s.recordType === 'CASE') {
        const v: CaseView = await within(() => handle.query(caseStatusQuery));
        return { status: v.status === 'PENDED' ? `PENDED_${v.stage}` : v.status, waitingOn: v.waitingOn };
      }
      const v: RegistrationView = await within(() => handle.query(registrationStatusQuery));
      return { status: v.status };
    } catch {
      return undefined; // closed a moment ago, or not answering: the next audit looks again
    }
  }

  async function reread(s: Seen): Promise<Record<string, string> | undefined> {
    return (await mirrorOf([{ workflowId: s.workflowId } as WorkflowExecutionInfo])).get(s.workflowId);
  }

  return {
    /** One pass over the running cases and registrations; changes younger than graceMs are left for the next pass. */
    async auditMirrors(args: MirrorAuditArgs): Promise<MirrorAuditResult> {
      const cutoff = Date.now() - args.graceMs;
      const pageSize = args.pageSize ?? PAGE;
      let pages = 0;
      let pausedMs = 0;
      // Only the status: the dev server's SQLite visibility then reads the running workflows in
      // its status index's order, and a page's token is checked from that index alone. With the
      // record type in the query too, every page read each row before the token from the table and
      // its search attributes' JSON again, so a page cost more the deeper it was (at 5,900 running
      // cases the SQL of the last page took 20 ms against 1.9, a whole pass 669 ms against 108),
      // all on Temporal's only SQLite connection. The few other running workflows are skipped here.
      const query = "ExecutionStatus = 'Running'";
      let checked = 0;
      const drifts: (Seen & { fields: string[] })[] = [];
      const matching = new Set<string>();
      let page: WorkflowExecutionInfo[] = [];

      const flush = async () => {
        const audited = page.filter((w) => AUDITED.has(w.typedSearchAttributes.get(searchAttributes.RecordType) ?? ''));
        const mirror = await mirrorOf(audited);
        for (const w of audited) {
          const type = w.typedSearchAttributes.get(searchAttributes.RecordType);
          const status = w.typedSearchAttributes.get(searchAttributes.RecordStatus);
          const since = w.typedSearchAttributes.get(searchAttributes.StatusSince);
          const m = mirror.get(w.workflowId);
          // Not yet persisted (SUBMITTED), a refused duplicate, or changed just now.
          if (!m || !status || status === 'SUBMITTED' || status === 'DUPLICATE' || (since && since.getTime() > cutoff)) continue;
          checked++;
          const seen: Seen =
            type === 'CASE'
              ? { workflowId: w.workflowId, recordType: 'CASE', workflow: { status, waitingOn: w.typedSearchAttributes.get(searchAttributes.WaitingOn) ?? 'NOBODY' }, mirror: m }
              : { workflowId: w.workflowId, recordType: 'REGISTRATION', workflow: { status }, mirror: m };
          if (!compare(seen).length) {
            matching.add(w.workflowId);
            continue;
          }
          const now = await live(seen);
          const again = await reread(seen);
          if (!now || !again) continue;
          const confirmed = { ...seen, workflow: now, mirror: again };
          const fields = compare(confirmed);
          if (fields.length) drifts.push({ ...confirmed, fields });
          else matching.add(w.workflowId);
        }
        page = [];
        Context.current().heartbeat(checked);
      };

      // The list reads the next page only when this loop asks for it, so a pause here is a pause
      // for the visibility store too.
      let pageStarted = Date.now();
      for await (const w of temporal.workflow.list({ query, pageSize })) {
        page.push(w);
        if (page.length < pageSize) continue;
        await flush();
        pages++;
        const pause = Math.round((Date.now() - pageStarted) * (args.pace ?? 0));
        if (pause > 0) {
          await new Promise((r) => setTimeout(r, pause));
          pausedMs += pause;
        }
        pageStarted = Date.now();
      }
      if (page.length) {
        await flush();
        pages++;
      }

      const now = new Date();
      for (const d of drifts) {
        for (const field of d.fields) {
          const detail = `the workflow says ${field} ${d.workflow[field]}, the database says ${d.mirror[field]}`;
          await sawProblem(prisma, { workflowId: d.workflowId, kind: 'MIRROR_DRIFT', key: field, recordType: d.recordType, subject: `the database mirror (${field})`, detail });
        }
      }
      // Drift that is gone: the mirror matches again, or the workflow has closed.
      const open = await prisma.workflowProblem.findMany({ where: { kind: 'MIRROR_DRIFT', resolvedAt: null }, select: { id: true, workflowId: true, key: true } });
      const stillDrifting = new Set(drifts.flatMap((d) => d.fields.map((f) => `${d.workflowId}/${f}`)));
      const gone = open.filter((p) => !stillDrifting.has(`${p.workflowId}/${p.key}`) && matching.has(p.workflowId));
      let resolved = 0;
      if (gone.length) {
        ({ count: resolved } = await prisma.workflowProblem.updateMany({
          where: { id: { in: gone.map((p) => p.id) }, resolvedAt: null },
          data: { resolvedAt: now, resolvedBy: 'mirror audit', resolution: 'the mirror matches the workflow again' },
        }));
      }
      return { checked, drifted: drifts.length, resolved, at: now.toISOString(), pages, pausedMs };
    },
  };
}
