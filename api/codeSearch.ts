import type { PrismaClient } from '../common/db';
import { codeKey, parseCodeQuery, type CodeRecord, type CodeSystem } from '../domain/codes';

export type CodeHit = CodeRecord & { score: number };

export interface CodeSearch {
  q: string;
  system?: CodeSystem;
  program?: 'IMAGING' | 'REHAB';
  billableOnly?: boolean;
  limit: number;
}

/**
 * Ranked code search. One code-like token is a prefix ("M545" finds the M54.5 family, category
 * first; trigram index on "searchText"). Otherwise each word is first matched against the
 * vocabulary of description words (trigram index on "CodeWord"): the word itself, words it
 * begins (typing in progress) or, when it is not a word of any description, its closest
 * spellings. Codes must then hold a candidate of every word (GIN index on "searchWords"), and
 * are ranked by how well their words match, the whole phrase, billability and brevity.
 */
export async function searchCodes(prisma: PrismaClient, s: CodeSearch): Promise<CodeHit[]> {
  const query = parseCodeQuery(s.q);
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const where: string[] = [];
  if (s.system) where.push(`"system" = ${p(s.system)}::"CodeSystem"`);
  if (s.program) where.push(`"program" = ${p(s.program)}::"ClinicalProgram"`);
  if (s.billableOnly) where.push('"billable"');

  let score: string;
  if (query.codePrefix) {
    const prefix = p(query.codePrefix.toLowerCase());
    where.push(`"searchText" LIKE ${prefix} || '%'`);
    score = `(CASE WHEN lower("code") = ${prefix} THEN 3 ELSE 2 END) - length("code") * 0.01`;
  } else if (query.words.length) {
    const candidates = await spellings(prisma, query.words);
    if (candidates.some((c) => c.length === 0)) return [];
    const terms = candidates.map((c) => {
      where.push(`"searchWords" && ${p(c.map((x) => x.word))}::text[]`);
      // The best candidate a code holds (candidates come sorted by weight); a lone exact word is 1.
      if (c.length === 1) return String(c[0]!.weight);
      return `(CASE ${c.map((x) => `WHEN ${p(x.word)} = ANY("searchWords") THEN ${x.weight}`).join(' ')} ELSE 0 END)`;
    });
    const phrase = p(query.phrase);
    score = [
      ...terms,
      `(CASE WHEN "searchText" LIKE '%' || ${phrase} || '%' THEN 1 ELSE 0 END)`,
      `(CASE WHEN lower("description") LIKE ${phrase} || '%' THEN 0.3 ELSE 0 END)`,
      `(CASE WHEN "billable" THEN 0.2 ELSE 0 END)`,
      `- length("description") * 0.002`,
    ].join(' + ');
  } else {
    return [];
  }
  const sql = `SELECT "system", "code", "display", "description", "billable", "program", "procedureGroup", "modality", "unit",
      (${score})::float8 AS "score"
    FROM "Code" WHERE ${where.join(' AND ')}
    ORDER BY "score" DESC, "code" LIMIT ${p(s.limit)}`;
  return prisma.$queryRawUnsafe<CodeHit[]>(sql, ...params);
}

interface Spelling {
  word: string;
  weight: number;
}

/**
 * For each query word, the description words it may stand for, weighted: itself (1), a word it
 * begins (0.8), or, only when it is no word of any description, a close spelling (similarity).
 */
async function spellings(prisma: PrismaClient, words: string[]): Promise<Spelling[][]> {
  // One branch per word with the word as a bound parameter, so that each uses the trigram index
  // (a word taken from unnest() would make the planner scan the whole vocabulary).
  const branches = words.map(
    (_, i) => `(SELECT $${i + 1}::text AS "query", "word", similarity("word", $${i + 1})::float8 AS "sim" FROM "CodeWord"
       WHERE "word" LIKE $${i + 1} || '%' OR "word" % $${i + 1}
       ORDER BY ("word" = $${i + 1}) DESC, ("word" LIKE $${i + 1} || '%') DESC, similarity("word", $${i + 1}) DESC, "codes" DESC
       LIMIT 12)`,
  );
  const rows = await prisma.$queryRawUnsafe<{ query: string; word: string; sim: number }[]>(branches.join(' UNION ALL '), ...words);
  return words.map((w, i) => {
    const mine = rows.filter((r) => r.query === w);
    const exact = mine.some((r) => r.word === w);
    // Only the last word may be unfinished (the office is still typing it).
    const typing = i === words.length - 1 && w.length >= 3;
    return mine
      .map((r) => ({ word: r.word, weight: r.word === w ? 1 : r.word.startsWith(w) ? 0.8 : Math.round(r.sim * 100) / 100 }))
      .filter((c) => c.weight === 1 || (c.weight === 0.8 && (typing || !exact)) || (!exact && c.weight >= 0.4))
      .sort((a, b) => b.weight - a.weight);
  });
}

/** Looks codes up exactly (drafts check that theirs exist and can be billed). */
export async function findCodes(prisma: PrismaClient, system: CodeSystem, codes: string[]) {
  const keys = [...new Set(codes.map(codeKey))];
  const rows = await prisma.code.findMany({ where: { system, code: { in: keys } } });
  return new Map(rows.map((r) => [r.code, r]));
}
