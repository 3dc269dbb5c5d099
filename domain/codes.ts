/**
 * Diagnosis and procedure codes: how they are written and how a search query is read. Pure, so
 * the loader, the search and the draft checks agree on one form.
 */
export type CodeSystem = 'ICD10CM' | 'CPT' | 'HCPCS';
export const CODE_SYSTEMS: readonly CodeSystem[] = ['ICD10CM', 'CPT', 'HCPCS'];

/** A code as loaded and as found. */
export interface CodeRecord {
  system: CodeSystem;
  code: string;
  display: string;
  description: string;
  billable: boolean;
  program: 'IMAGING' | 'REHAB' | null;
  procedureGroup: string | null;
  modality: string | null;
  unit: string | null;
}

/** The stored form: upper case, no dot ("m54.50 " -> "M5450"). */
export function codeKey(input: string): string {
  return input.trim().toUpperCase().replace(/\./g, '');
}

/** As printed: ICD-10-CM codes take a dot after the category ("M5450" -> "M54.50"). */
export function codeDisplay(system: CodeSystem, code: string): string {
  return system === 'ICD10CM' && code.length > 3 ? `${code.slice(0, 3)}.${code.slice(3)}` : code;
}

/** What search matches against: the code with and without its dot, and the words. */
export function codeSearchText(row: { system: CodeSystem; code: string; description: string }): string {
  const display = codeDisplay(row.system, row.code);
  const codes = display === row.code ? row.code : `${row.code} ${display}`;
  return `${codes} ${row.description}`.toLowerCase();
}

/** The distinct words of a description, as search compares them ("Low back pain, unspecified" -> low, back, pain, unspecified). */
export function descriptionWords(description: string): string[] {
  const words = description
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length >= 2);
  return [...new Set(words)];
}

const CODE_LIKE = /^(?:[a-z]\d[0-9a-z]{0,5}|\d{4}[0-9a-z]|[a-z]\d{4})$/;
const STOP_WORDS = new Set(['of', 'the', 'and', 'or', 'in', 'on', 'to', 'a', 'an', 'with', 'without', 'for', 'by', 'at']);

export interface CodeQuery {
  /** A code or code prefix, without dot, upper case ("M545"), when the query is one code. */
  codePrefix?: string;
  /** Words to match in any order, each tolerant of typos (lower case). */
  words: string[];
  /** The query as typed, lower case, for the phrase bonus. */
  phrase: string;
}

/**
 * "M54.5" and "m545" are a code prefix; "pain low back" is three words. A query of one token
 * that looks like a code is searched both ways (a code, and a word, as in "g43").
 */
export function parseCodeQuery(q: string): CodeQuery {
  const phrase = q.trim().toLowerCase().replace(/\s+/g, ' ');
  const tokens = phrase.split(/[^a-z0-9.]+/).map((t) => t.replace(/^\.+|\.+$/g, '')).filter(Boolean);
  const single = tokens.length === 1 ? tokens[0]!.replace(/\./g, '') : undefined;
  const codePrefix = single && CODE_LIKE.test(single) ? single.toUpperCase() : undefined;
  const words = tokens.map((t) => t.replace(/\./g, '')).filter((t) => t.length >= 2 && !STOP_WORDS.has(t));
  return { ...(codePrefix ? { codePrefix } : {}), words: codePrefix ? [] : [...new Set(words)], phrase };
}
