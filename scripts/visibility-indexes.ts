import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { ROOT_DIR } from '../common/config';

/**
 * The Temporal dev server's visibility table (one row per workflow, in its SQLite file) comes with
 * 45 indexes: one for every column a list query could filter by, including the 22 columns kept for
 * custom search attributes whether or not any is defined. Every workflow start writes its row into
 * all of them, on the server's only SQLite connection. This system searches by a handful (status,
 * type, id, its own search attributes), so the dev server's file keeps those and drops the rest:
 * the Temporal server then spent about 8% less CPU per auto-approved case (bench/HISTORY.md,
 * 2026-12-07). A dropped index only makes a list query by that column read the whole table;
 * every query still answers the same.
 *
 * Production runs Temporal on PostgreSQL (docker-compose.yml), whose schema this leaves alone.
 */
const TABLE = 'executions_visibility';

/** Columns of the visibility table that neither this system nor its support staff list workflows by. */
export const UNSEARCHED_COLUMNS = [
  'history_length',
  'history_size_bytes',
  'execution_duration',
  'state_transition_count',
  'task_queue',
  'parent_workflow_id',
  'parent_run_id',
  'root_workflow_id',
  'root_run_id',
  'BatcherUser',
  'TemporalScheduledStartTime',
  'TemporalScheduledById',
  'TemporalSchedulePaused',
  'TemporalPauseInfo',
  'TemporalWorkerDeploymentVersion',
  'TemporalWorkflowVersioningBehavior',
  'TemporalWorkerDeployment',
];

/** The columns the server gives custom search attributes (Keyword01 to Keyword10, Datetime01, ...). */
const CUSTOM_COLUMN = /^(Bool|Datetime|Double|Int|Keyword)(\d{2})$/;

export interface VisibilityIndex {
  name: string;
  /** The index's second column, after namespace_id (null when it is an expression, as in default_idx). */
  column: string | null;
}

export interface IndexPlan {
  drop: string[];
  /** Custom search attribute columns in use without their index (an attribute added since the last trim). */
  create: { name: string; column: string }[];
}

/**
 * What to change: drop the index of every unsearched column and of every custom column no search
 * attribute uses; give back the index of a custom column that a search attribute now uses.
 */
export function planVisibilityIndexes(existing: VisibilityIndex[], usedCustomColumns: Iterable<string>): IndexPlan {
  const used = new Set([...usedCustomColumns].filter((c) => CUSTOM_COLUMN.test(c)));
  const unsearched = new Set(UNSEARCHED_COLUMNS);
  const drop = existing
    .filter(({ column }) => column !== null && (unsearched.has(column) || (CUSTOM_COLUMN.test(column) && !used.has(column))))
    .map((i) => i.name);
  const indexed = new Set(existing.map((i) => i.column));
  const create = [...used]
    .filter((c) => !indexed.has(c))
    .sort()
    .map((column) => {
      const [, type, n] = CUSTOM_COLUMN.exec(column)!;
      return { name: `by_${type!.toLowerCase()}_${n}`, column };
    });
  return { drop, create };
}

/** The statements of a plan; a created index has the shape of the server's own (schema/sqlite/v3/visibility). */
export function planStatements(plan: IndexPlan): string[] {
  return [
    ...plan.drop.map((name) => `DROP INDEX IF EXISTS "${name}"`),
    ...plan.create.map(
      ({ name, column }) =>
        `CREATE INDEX IF NOT EXISTS "${name}" ON ${TABLE} (namespace_id, "${column}", (COALESCE(close_time, '9999-12-31 23:59:59+00:00')) DESC, start_time DESC, run_id)`,
    ),
  ];
}

export type TrimResult = { dropped: string[]; created: string[]; kept: number } | { skipped: string };

const SQLITE_INDEXES = path.join(ROOT_DIR, 'scripts/sqlite-indexes.py');

async function sqliteIndexes(dbFile: string, statements: string[] = []): Promise<string> {
  const { stdout } = await promisify(execFile)('python3', [SQLITE_INDEXES, dbFile, TABLE, ...statements], { timeout: 60_000 });
  return stdout;
}

/** The visibility table's indexes in a dev server's SQLite file, as they are now. */
export async function listVisibilityIndexes(dbFile: string): Promise<VisibilityIndex[]> {
  return JSON.parse(await sqliteIndexes(dbFile)) as VisibilityIndex[];
}

/** Runs statements on the visibility table's file in one transaction. */
export async function changeVisibilityIndexes(dbFile: string, statements: string[]): Promise<void> {
  if (statements.length) await sqliteIndexes(dbFile, statements);
}

/**
 * Brings the dev server's visibility indexes to the plan above, while it serves. Needs python3;
 * without it (or on any failure) the file keeps every index and the reason is returned, since
 * nothing but speed depends on this.
 */
export async function trimVisibilityIndexes(opts: { dbFile: string; address: string; namespace: string }): Promise<TrimResult> {
  try {
    const connection = await Connection.connect({ address: opts.address });
    let aliases: Record<string, string>;
    try {
      const ns = await connection.workflowService.describeNamespace({ namespace: opts.namespace });
      aliases = ns.config?.customSearchAttributeAliases ?? {};
    } finally {
      await connection.close();
    }
    const existing = await listVisibilityIndexes(opts.dbFile);
    const plan = planVisibilityIndexes(existing, Object.keys(aliases));
    await changeVisibilityIndexes(opts.dbFile, planStatements(plan));
    return { dropped: plan.drop, created: plan.create.map((c) => c.name), kept: existing.length - plan.drop.length + plan.create.length };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    return { skipped: e.code === 'ENOENT' ? 'python3 is not installed' : (e.stderr?.trim() || e.message).split('\n').pop()! };
  }
}
