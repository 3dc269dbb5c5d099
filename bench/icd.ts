import { codeSearchText, descriptionWords } from '../domain/codes';
import type { PrismaClient } from '../common/db';

/** Queries offices type: codes, words in any order, typos. */
export const CODE_QUERIES = [
  'low back pain',
  'pain low back',
  'M545',
  'M54.5',
  'lumbr radiculopathy',
  'migrane',
  'knee pain right',
  'chest pain',
  'cervical disc disorder',
  'shortness of breath',
  'abdominal pain',
  'osteoarthritis of knee',
  'I25',
  'mri lumbar spine',
  'physical therapy evaluation',
  'headache',
  'fracture of vertebra',
  'malignant neoplasm of breast',
  'atrial fibrillation',
  'dysphagia',
];

const SIDES = ['right', 'left', 'bilateral', 'unspecified side'];
const ENCOUNTERS = ['initial encounter', 'subsequent encounter', 'sequela'];

function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

/**
 * Fills the code set up to `targetIcdRows` ICD-10-CM rows: the shipped codes plus generated
 * ICD-10-CM-like rows (codes U8xxxxx, descriptions recombined from real ones, so words are as
 * common as in the real set), recorded as a load, and vacuums (as the loader does).
 */
export async function addSyntheticIcdRows(prisma: PrismaClient, targetIcdRows: number): Promise<void> {
  const real = await prisma.code.findMany({ where: { system: 'ICD10CM' }, select: { description: true } });
  const random = rng(42);
  const rows: { code: string; description: string }[] = [];
  for (let n = real.length; n < targetIcdRows; n++) {
    const base = real[Math.floor(random() * real.length)]!.description;
    const extra = `${SIDES[Math.floor(random() * SIDES.length)]}, ${ENCOUNTERS[Math.floor(random() * ENCOUNTERS.length)]}`;
    rows.push({ code: `U8${String(n).padStart(5, '0')}`, description: `${base}, ${extra}` });
  }
  for (let i = 0; i < rows.length; i += 2000) {
    const batch = rows.slice(i, i + 2000);
    await prisma.$executeRawUnsafe(
      `INSERT INTO "Code" ("system", "code", "display", "description", "billable", "searchText", "searchWords")
       SELECT 'ICD10CM', c, c, d, true, s, string_to_array(w, ' ') FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(c, d, s, w)`,
      batch.map((r) => r.code),
      batch.map((r) => r.description),
      batch.map((r) => codeSearchText({ system: 'ICD10CM', code: r.code, description: r.description })),
      batch.map((r) => descriptionWords(r.description).join(' ')),
    );
  }
  // Recorded as a load, as the loader records its files: the API's code index is built again.
  await prisma.dataLoad.upsert({
    where: { source: 'bench:synthetic-icd10cm' },
    create: { source: 'bench:synthetic-icd10cm', checksum: String(targetIcdRows), rows: rows.length },
    update: { checksum: String(targetIcdRows), rows: rows.length, loadedAt: new Date() },
  });
  await prisma.$executeRawUnsafe('VACUUM ANALYZE "Code"');
}
