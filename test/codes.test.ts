import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CodeFileError, DEFAULT_SOURCES, loadCodes, parseIcd10cm, parseProcedures } from '../scripts/load-codes';
import { parseCodeQuery } from '../domain/codes';
import { similarity, trigrams } from '../domain/codeIndex';
import { apiClient } from './support/http';
import { startStack, type TestStack } from './support/stack';

/** Code sets as loaded by the loader command (global setup ran it), searched over HTTP. */
let stack: TestStack;
let api: ReturnType<typeof apiClient>;
beforeAll(async () => {
  stack = await startStack();
  api = apiClient(stack.baseUrl);
});
afterAll(() => stack.stop());

const search = async (q: string, extra = '') => {
  const res = await api.get(`/api/codes?q=${encodeURIComponent(q)}${extra}`);
  expect(res.status).toBe(200);
  return res.body.codes as { system: string; code: string; display: string; description: string; billable: boolean; program: string | null }[];
};
const displays = (codes: { display: string }[]) => codes.map((c) => c.display);

describe('the loader', () => {
  test('a code file loaded while the API runs is searched from the next query on (the index is built again)', async () => {
    expect(await search('zyxwvut condition')).toEqual([]);
    const dir = mkdtempSync(path.join(tmpdir(), 'codes-'));
    try {
      const file = path.join(dir, 'icd10cm-codes-new.txt');
      writeFileSync(file, 'U0999   Zyxwvut condition of the test suite\n');
      await loadCodes(stack.prisma, { icd10cm: file });
      expect(displays(await search('zyxwvut condition'))).toEqual(['U09.99']);
      expect(displays(await search('zyxwvt'))).toEqual(['U09.99']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });


  test('the shipped files are loaded: ICD-10-CM with headers not billable, HCPCS in effect, program procedures', async () => {
    const count = (where: object) => stack.prisma.code.count({ where });
    expect(await count({ system: 'ICD10CM' })).toBeGreaterThanOrEqual(1500);
    expect(await count({ system: 'ICD10CM', billable: false })).toBeGreaterThan(100);
    expect(await stack.prisma.code.findUnique({ where: { system_code: { system: 'ICD10CM', code: 'M545' } } })).toMatchObject({
      display: 'M54.5',
      description: 'Low back pain',
      billable: false,
    });
    expect(await stack.prisma.code.findUnique({ where: { system_code: { system: 'ICD10CM', code: 'M5450' } } })).toMatchObject({
      display: 'M54.50',
      description: 'Low back pain, unspecified',
      billable: true,
    });
    // CMS's HCPCS file: 7,258 procedure codes without a termination date; modifiers are not codes here.
    expect(await count({ system: 'HCPCS' })).toBe(7258);
    expect(await stack.prisma.code.findUnique({ where: { system_code: { system: 'HCPCS', code: 'E0601' } } })).toMatchObject({
      description: 'Continuous positive airway pressure (cpap) device',
    });
    expect(await count({ system: 'CPT', program: 'IMAGING' })).toBeGreaterThan(60);
    expect(await stack.prisma.code.findUnique({ where: { system_code: { system: 'CPT', code: '72148' } } })).toMatchObject({
      program: 'IMAGING',
      procedureGroup: 'LUMBAR_SPINE_MRI',
      modality: 'MRI',
    });
  });

  test("CMS's code-description file loads too (the path to all ~74,000 codes); an unchanged file is skipped", async () => {
    const file = path.join(__dirname, 'fixtures/icd10cm-codes-sample.txt');
    const rows = parseIcd10cm(readFileSync(file, 'utf8'));
    expect(rows.length).toBeGreaterThanOrEqual(20);
    expect(rows.every((r) => r.billable)).toBe(true);
    const [first] = await loadCodes(stack.prisma, { icd10cm: file }, { force: true });
    expect(first).toMatchObject({ source: 'icd10cm:icd10cm-codes-sample.txt', rows: rows.length, skipped: false });
    for (const r of rows) {
      expect(await stack.prisma.code.findUnique({ where: { system_code: { system: 'ICD10CM', code: r.code } } })).toMatchObject({
        description: r.description,
        billable: true,
      });
    }
    const [again] = await loadCodes(stack.prisma, { icd10cm: file });
    expect(again!.skipped).toBe(true);
    const [shipped] = await loadCodes(stack.prisma, { icd10cm: DEFAULT_SOURCES.icd10cm });
    expect(shipped!.skipped).toBe(true);
  });

  test('a file in neither layout is refused with the line that is wrong', () => {
    expect(() => parseIcd10cm('M5450   Low back pain, unspecified\nthis is not a code line\n', 'x.txt')).toThrow(
      new CodeFileError('x.txt line 2 is not in CMS\'s code-description layout: "this is not a code line"'),
    );
    expect(() => parseProcedures('72148\tIMAGING\tMRI\n', 'p.tsv')).toThrow(/p.tsv line 1: expected code, program/);
  });
});

describe('search', () => {
  test("spellings are scored as PostgreSQL's pg_trgm scores them", async () => {
    const pairs = [['migrane', 'migraine'], ['lumbr', 'lumbar'], ['radiculopathy', 'radiculopathies'], ['knee', 'kneel'], ['a1', 'a12'], ['xyz', 'abc'], ['fracture', 'fractures']];
    for (const [a, b] of pairs) {
      const [pg] = await stack.prisma.$queryRawUnsafe<{ s: number }[]>('SELECT similarity($1, $2)::float8 AS s', a, b);
      expect(similarity(trigrams(a!), trigrams(b!))).toBe(pg!.s);
    }
  });

  test('queries are read as a code prefix or as words', () => {
    expect(parseCodeQuery('M54.5')).toEqual({ codePrefix: 'M545', words: [], phrase: 'm54.5' });
    expect(parseCodeQuery('pain in the low back')).toMatchObject({ words: ['pain', 'low', 'back'] });
  });

  test('"low back pain" finds M54.50 near the top', async () => {
    const hits = await search('low back pain');
    expect(displays(hits).slice(0, 3)).toContain('M54.50');
    expect(hits[0]!.description.toLowerCase()).toContain('low back pain');
  });

  test('words in any order', async () => {
    expect(displays(await search('pain low back')).slice(0, 5)).toContain('M54.50');
  });

  test('"M545" and "M54.5" find the M54.5 family, the category first', async () => {
    for (const q of ['M545', 'M54.5', 'm54.5']) {
      const hits = await search(q, '&system=ICD10CM');
      expect(displays(hits)).toEqual(['M54.5', 'M54.50', 'M54.51', 'M54.59']);
      expect(hits.map((h) => h.billable)).toEqual([false, true, true, true]);
    }
  });

  test('a typo still finds its code', async () => {
    expect(displays(await search('lumbr radiculopathy')).slice(0, 3)).toContain('M54.16');
    expect((await search('migrane')).some((h) => h.display.startsWith('G43'))).toBe(true);
    expect(displays(await search('mri lumbar spin', '&system=CPT')).slice(0, 3)).toContain('72148');
  });

  test('filters by code system, program and billable', async () => {
    const rehab = await search('evaluation', '&system=CPT&program=REHAB');
    expect(rehab.length).toBeGreaterThan(3);
    expect(rehab.every((h) => h.system === 'CPT' && h.program === 'REHAB')).toBe(true);
    const billable = await search('low back pain', '&billable=true');
    expect(billable.every((h) => h.billable)).toBe(true);
  });

  test('one code, with or without the dot; bad queries are refused', async () => {
    expect((await api.get('/api/codes/ICD10CM/M54.50')).body).toMatchObject({ code: 'M5450', display: 'M54.50' });
    expect((await api.get('/api/codes/ICD10CM/M99999')).status).toBe(404);
    const bad = await api.get('/api/codes?q=a&system=LOINC&limit=500');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.problems.map((p: { field: string }) => p.field).sort()).toEqual(['query.limit', 'query.q', 'query.system']);
  });
});
