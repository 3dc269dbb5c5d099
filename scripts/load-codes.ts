import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, ROOT_DIR } from '../common/config';
import { createPrisma, type PrismaClient } from '../common/db';
import { codeDisplay, codeSearchText, descriptionWords, type CodeRecord } from '../domain/codes';

/**
 * The one loader of code sets: ICD-10-CM (CMS's order file or its code-description file),
 * HCPCS Level II (CMS's alpha-numeric file as TSV) and the programs' procedure codes. Upserts
 * by (system, code) in batches; a file whose checksum is already recorded is skipped, so the
 * start and test commands can run it every time.
 *
 *   npm run codes:load                                  the files shipped in prisma/data
 *   npm run codes:load -- --icd10cm icd10cm_codes_2026.txt   a full CMS release (~74,000 codes)
 */
export const DEFAULT_SOURCES = {
  icd10cm: path.join(ROOT_DIR, 'prisma/data/icd10cm/icd10cm-order-subset.txt'),
  hcpcs: path.join(ROOT_DIR, 'prisma/data/hcpcs/HCPC2025_OCT_ANWEB.tsv'),
  procedures: path.join(ROOT_DIR, 'prisma/data/procedures.tsv'),
};

export type CodeRow = CodeRecord;

export class CodeFileError extends Error {}

// CMS order file, fixed columns: order number (1-5), code (7-13), 0 header / 1 billable (15),
// short description (17-76), long description (78-).
const ORDER_START = /^\d{5} [A-Z]/;
const CODE = /^[A-Z][0-9][0-9A-Z]{1,5}$/;
// CMS code-description file: the code (no dot) padded to 8, then the long description.
const CODES_LINE = /^([A-Z][0-9][0-9A-Z]{1,5})\s+(\S.*)$/;

function orderLine(line: string): { code: string; billable: boolean; description: string } | undefined {
  const code = line.slice(6, 13).trim();
  const flag = line[14];
  const description = line.slice(77).trim();
  if (!/^\d{5}$/.test(line.slice(0, 5)) || !CODE.test(code) || (flag !== '0' && flag !== '1') || !description) return undefined;
  return { code, billable: flag === '1', description };
}

function codesLine(line: string): { code: string; billable: boolean; description: string } | undefined {
  const m = CODES_LINE.exec(line);
  return m ? { code: m[1]!, billable: true, description: m[2]!.trim() } : undefined;
}

/** Parses either ICD-10-CM layout (detected per file from its first line). */
export function parseIcd10cm(text: string, source = 'ICD-10-CM file'): CodeRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!lines.length) throw new CodeFileError(`${source} is empty`);
  const order = ORDER_START.test(lines[0]!);
  return lines.map((line, i) => {
    const parsed = (order ? orderLine : codesLine)(line.trimEnd());
    if (!parsed) {
      throw new CodeFileError(
        `${source} line ${i + 1} is not in CMS's ${order ? 'order-file' : 'code-description'} layout: ${JSON.stringify(line.slice(0, 80))}`,
      );
    }
    return {
      system: 'ICD10CM',
      code: parsed.code,
      display: codeDisplay('ICD10CM', parsed.code),
      description: parsed.description,
      billable: parsed.billable,
      program: null,
      procedureGroup: null,
      modality: null,
      unit: null,
    };
  });
}

/** CMS's HCPCS alpha-numeric file as TSV: procedure and supply codes (RECID 3) still in effect. */
export function parseHcpcs(text: string, source = 'HCPCS file'): CodeRow[] {
  const [header, ...lines] = text.split(/\r?\n/).filter((l) => l !== '');
  const cols = (header ?? '').split('\t');
  const at = (name: string) => {
    const i = cols.indexOf(name);
    if (i < 0) throw new CodeFileError(`${source} has no ${name} column: is it CMS's alpha-numeric HCPCS file as TSV?`);
    return i;
  };
  const [code, recid, long, term] = [at('HCPC'), at('RECID'), at('LONG DESCRIPTION'), at('TERM DT')];
  return lines
    .map((l) => l.split('\t'))
    .filter((c) => c[recid] === '3' && !c[term]?.trim())
    .map((c) => ({
      system: 'HCPCS' as const,
      code: c[code]!.trim(),
      display: c[code]!.trim(),
      description: c[long]!.trim(),
      billable: true,
      program: null,
      procedureGroup: null,
      modality: null,
      unit: null,
    }));
}

/** prisma/data/procedures.tsv: the programs' CPT codes with the project's own descriptions. */
export function parseProcedures(text: string, source = 'procedures file'): CodeRow[] {
  return text
    .split(/\r?\n/)
    .map((line, i) => [line, i + 1] as const)
    .filter(([line]) => line.trim() && !line.startsWith('#'))
    .map(([line, n]) => {
      const [code, program, modality, group, unit, description] = line.split('\t');
      if (!code || !/^\d{4}[0-9A-Z]$/.test(code) || (program !== 'IMAGING' && program !== 'REHAB') || !modality || !group || !unit || !description) {
        throw new CodeFileError(`${source} line ${n}: expected code, program, modality, group, unit and description separated by tabs`);
      }
      return {
        system: 'CPT' as const,
        code,
        display: code,
        description,
        billable: true,
        program,
        procedureGroup: group === '-' ? null : group,
        modality,
        unit,
      };
    });
}

const COLUMNS = ['system', 'code', 'display', 'description', 'billable', 'program', 'procedureGroup', 'modality', 'unit', 'searchText', 'searchWords'] as const;

async function upsert(prisma: PrismaClient, rows: CodeRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) {
    const batch = rows.slice(i, i + 1000);
    const values = batch.map(
      (_, r) =>
        `(${COLUMNS.map((c, k) => {
          const p = `$${r * COLUMNS.length + k + 1}`;
          return c === 'system' ? `${p}::"CodeSystem"` : c === 'program' ? `${p}::"ClinicalProgram"` : c === 'searchWords' ? `${p}::text[]` : p;
        }).join(', ')})`,
    );
    const params = batch.flatMap((row) => [
      row.system,
      row.code,
      row.display,
      row.description,
      row.billable,
      row.program,
      row.procedureGroup,
      row.modality,
      row.unit,
      codeSearchText(row),
      descriptionWords(row.description),
    ]);
    const update = COLUMNS.filter((c) => c !== 'system' && c !== 'code').map((c) => `"${c}" = EXCLUDED."${c}"`);
    await prisma.$executeRawUnsafe(
      `INSERT INTO "Code" (${COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES ${values.join(', ')}
       ON CONFLICT ("system", "code") DO UPDATE SET ${update.join(', ')}`,
      ...params,
    );
  }
}

export interface LoadResult {
  source: string;
  rows: number;
  skipped: boolean;
}

/** Loads one file with `parse` unless its checksum is already recorded (or `force`). */
async function loadFile(prisma: PrismaClient, kind: string, file: string, parse: (text: string, source: string) => CodeRow[], force: boolean) {
  const text = readFileSync(file, 'utf8');
  const checksum = createHash('sha256').update(text).digest('hex');
  const source = `${kind}:${path.basename(file)}`;
  const done = await prisma.dataLoad.findUnique({ where: { source } });
  if (done?.checksum === checksum && !force) return { source, rows: done.rows, skipped: true };
  const rows = parse(text, file);
  await prisma.$transaction(async (tx) => {
    await upsert(tx as unknown as PrismaClient, rows);
    await tx.dataLoad.upsert({
      where: { source },
      create: { source, checksum, rows: rows.length },
      update: { checksum, rows: rows.length, loadedAt: new Date() },
    });
  }, { timeout: 600_000 });
  return { source, rows: rows.length, skipped: false };
}

export async function loadCodes(
  prisma: PrismaClient,
  files: Partial<typeof DEFAULT_SOURCES> = DEFAULT_SOURCES,
  opts: { force?: boolean } = {},
): Promise<LoadResult[]> {
  const results: LoadResult[] = [];
  const force = opts.force ?? false;
  if (files.icd10cm) results.push(await loadFile(prisma, 'icd10cm', files.icd10cm, parseIcd10cm, force));
  if (files.hcpcs) results.push(await loadFile(prisma, 'hcpcs', files.hcpcs, parseHcpcs, force));
  if (files.procedures) results.push(await loadFile(prisma, 'procedures', files.procedures, parseProcedures, force));
  if (results.some((r) => !r.skipped)) {
    // Fresh statistics and no dead rows after thousands of upserts (the API reads the whole set).
    await prisma.$executeRawUnsafe('VACUUM ANALYZE "Code"');
  }
  return results;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const option = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const given = { icd10cm: option('icd10cm'), hcpcs: option('hcpcs'), procedures: option('procedures') };
  const files = Object.values(given).some(Boolean) ? given : DEFAULT_SOURCES;
  const prisma = createPrisma(loadConfig().databaseUrl, 1);
  loadCodes(prisma, files, { force: args.includes('--force') })
    .then((results) => {
      for (const r of results) console.log(`${r.source}: ${r.rows} codes${r.skipped ? ' (unchanged, skipped)' : ' loaded'}`);
    })
    .catch((err: Error) => {
      console.error(`Loading codes failed: ${err.message}`);
      process.exitCode = 1;
    })
    .finally(() => void prisma.$disconnect());
}
