import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { searchAttributes } from '../common/searchAttributes';
import { ensureTemporalCli, startTemporalDevServer, type TemporalDevServer } from '../scripts/temporal-server';
import {
  changeVisibilityIndexes,
  listVisibilityIndexes,
  planStatements,
  planVisibilityIndexes,
  trimVisibilityIndexes,
  UNSEARCHED_COLUMNS,
  type VisibilityIndex,
} from '../scripts/visibility-indexes';
import { eventually } from './support/eventually';
import { freePort } from './support/ports';

/**
 * The dev server's SQLite file keeps the visibility indexes this system searches by and loses the
 * rest; list queries answer the same either way.
 */
jest.setTimeout(120_000);

describe('planVisibilityIndexes', () => {
  const existing: VisibilityIndex[] = [
    { name: 'default_idx', column: null },
    { name: 'by_status', column: 'status' },
    { name: 'by_task_queue', column: 'task_queue' },
    { name: 'by_keyword_01', column: 'Keyword01' },
    { name: 'by_keyword_02', column: 'Keyword02' },
    { name: 'by_bool_01', column: 'Bool01' },
    { name: 'by_datetime_01', column: 'Datetime01' },
  ];

  it('drops unsearched columns and unused custom columns, keeps expressions and columns in use', () => {
    expect(planVisibilityIndexes(existing, ['Keyword02', 'Datetime01'])).toEqual({ drop: ['by_task_queue', 'by_keyword_01', 'by_bool_01'], create: [] });
  });

  it('gives back the index of a custom column that came into use, in the server shape', () => {
    const plan = planVisibilityIndexes(existing, ['Keyword02', 'Datetime01', 'Keyword07', 'Text01']);
    expect(plan.create).toEqual([{ name: 'by_keyword_07', column: 'Keyword07' }]);
    expect(planStatements({ drop: [], create: plan.create })).toEqual([
      `CREATE INDEX IF NOT EXISTS "by_keyword_07" ON executions_visibility (namespace_id, "Keyword07", (COALESCE(close_time, '9999-12-31 23:59:59+00:00')) DESC, start_time DESC, run_id)`,
    ]);
  });
});

describe('the dev server on a SQLite file', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'prior-auth-visibility-'));
  const dbFile = path.join(work, 'temporal.db');
  let server: TemporalDevServer | undefined;
  let port: number;
  let cli: string;
  const indexes = () => listVisibilityIndexes(dbFile);
  const start = async () => (server = await startTemporalDevServer({ cli, ip: '127.0.0.1', port, dbFile, namespace: 'default' }));

  beforeAll(async () => {
    cli = await ensureTemporalCli();
    port = await freePort();
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('keeps one index per search attribute and the built-in ones, and lists by them as before', async () => {
    const s = await start();
    const trim = s.visibilityIndexes!;
    if ('skipped' in trim) throw new Error(`trim skipped: ${trim.skipped}`);
    const left = await indexes();
    const columns = left.map((i) => i.column);
    // Every custom search attribute of ours has its column's index; nothing unsearched remains.
    const connection = await Connection.connect({ address: s.address });
    const ns = await connection.workflowService.describeNamespace({ namespace: 'default' });
    const aliased = Object.entries(ns.config!.customSearchAttributeAliases!);
    expect(aliased.map(([, name]) => name).sort()).toEqual(Object.values(searchAttributes).map((k) => k.name).sort());
    for (const [column] of aliased) expect(columns).toContain(column);
    for (const column of UNSEARCHED_COLUMNS) expect(columns).not.toContain(column);
    expect(columns.filter((c) => c && /^(Bool|Double|Int)\d\d$/.test(c))).toEqual([]);
    expect(left.map((i) => i.name)).toEqual(expect.arrayContaining(['default_idx', 'by_status', 'by_workflow_id', 'by_workflow_type', 'by_execution_time']));
    expect(trim.kept).toBe(left.length);
    expect(trim.dropped.length + left.length).toBe(45);

    // A workflow with our search attributes is found by them, by status and by an unindexed column.
    const client = new Client({ connection, namespace: 'default' });
    const handle = await client.workflow.start('noWorkerRunsThis', {
      taskQueue: 'visibility-indexes-test',
      workflowId: `visibility-${Date.now()}`,
      typedSearchAttributes: [
        { key: searchAttributes.RecordType, value: 'CASE' },
        { key: searchAttributes.WaitingOn, value: 'NURSE' },
      ],
    });
    const ids = async (query: string) => {
      const out: string[] = [];
      for await (const w of client.workflow.list({ query })) out.push(w.workflowId);
      return out;
    };
    for (const query of [
      "RecordType = 'CASE' AND WaitingOn = 'NURSE'",
      "ExecutionStatus = 'Running'",
      "TaskQueue = 'visibility-indexes-test'",
    ]) {
      expect(await eventually(() => ids(query), (l) => l.length > 0)).toEqual([handle.workflowId]);
    }
    expect(await ids("WaitingOn = 'PHYSICIAN'")).toEqual([]);
    await handle.terminate('test done');
    await connection.close();
  });

  it('after a restart leaves the trimmed file as it is, and gives back a lost index of an attribute in use', async () => {
    await server!.stop();
    // As if the attribute had been added after the last trim: its column's index is gone.
    const lost = (await indexes()).find((i) => i.column?.startsWith('Keyword'))!;
    await changeVisibilityIndexes(dbFile, [`DROP INDEX "${lost.name}"`]);
    expect((await indexes()).map((i) => i.name)).not.toContain(lost.name);

    const s = await start();
    expect(s.visibilityIndexes).toEqual({ dropped: [], created: [lost.name], kept: (await indexes()).length });
    expect(await indexes()).toContainEqual(lost);
  });

  it('says why when it cannot open the file, instead of failing the start', async () => {
    const result = await trimVisibilityIndexes({ dbFile: path.join(work, 'missing', 'temporal.db'), address: server!.address, namespace: 'default' });
    expect(result).toEqual({ skipped: expect.stringMatching(/unable to open database file/) });
  });
});
