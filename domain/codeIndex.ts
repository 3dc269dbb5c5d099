import { parseCodeQuery, type CodeRecord, type CodeSystem } from './codes';

/**
 * Code search over the whole code set held in memory: ICD-10-CM (~74,000 codes), HCPCS and the
 * programs' procedure codes change once a year, and an office searches them at every keystroke,
 * so the API keeps them in an index (100 to 135 MiB of heap for the full set) instead of asking the database
 * to score thousands of rows per query.
 *
 * One code-like token is a code prefix ("M545" finds the M54.5 family, category first). Otherwise
 * each word is matched against the vocabulary of description words: the word itself (weight 1),
 * words it begins (0.8; for the last word only while it may still be typed, unless the word is
 * in no description) or, when it is in no description, its closest spellings (trigram
 * similarity as PostgreSQL's pg_trgm computes it, 0.4 or more). Codes must hold a candidate of
 * every word; they are ranked by the best candidate of each word they hold, the whole phrase
 * (+1), a description that starts with it (+0.3), billability (+0.2) and brevity.
 */
export interface CodeSearch {
  q: string;
  system?: CodeSystem;
  program?: 'IMAGING' | 'REHAB';
  billableOnly?: boolean;
  limit: number;
}

export type CodeHit = CodeRecord & { score: number };

/** A code as the index reads it from the database. */
export interface IndexedCodeRow extends CodeRecord {
  searchText: string;
  searchWords: string[] | null;
}

interface Entry {
  record: CodeRecord;
  searchText: string;
  lowerCode: string;
  lowerDescription: string;
  words: string[];
}

interface VocabularyWord {
  word: string;
  /** How many codes use it (ties between spellings go to the commoner word). */
  codes: number;
  trigrams: string[];
  /** Indexes into the entries, ascending. */
  postings: Int32Array;
}

export interface CodeIndex {
  size: number;
  search(s: CodeSearch): CodeHit[];
}

/** Trigrams of one word as pg_trgm makes them: the word padded with two spaces before and one after. */
export function trigrams(word: string): string[] {
  const padded = `  ${word} `;
  const out = new Set<string>();
  for (let i = 0; i + 3 <= padded.length; i++) out.add(padded.slice(i, i + 3));
  return [...out];
}

/** pg_trgm's similarity of two single words: shared trigrams over all distinct trigrams (as float4). */
export function similarity(a: string[], b: string[]): number {
  const set = new Set(a);
  let shared = 0;
  for (const t of b) if (set.has(t)) shared++;
  return similarityOf(shared, a.length, b.length);
}

/** The same, from the count of shared trigrams and each word's count. */
const similarityOf = (shared: number, a: number, b: number) => (a + b - shared === 0 ? 0 : Math.fround(shared / (a + b - shared)));

/** Strings in code-unit order (as PostgreSQL's C collation orders codes). */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** pg_trgm's default similarity_threshold: the `%` operator's cut. */
const SIMILAR_AT = 0.3;
/** Spellings considered per query word. */
const CANDIDATES = 12;

export function buildCodeIndex(rows: IndexedCodeRow[]): CodeIndex {
  // Objects of one shape (rows from the driver are not), so the scoring loop stays fast.
  const entries: Entry[] = rows.map((r) => ({
    record: {
      system: r.system,
      code: r.code,
      display: r.display,
      description: r.description,
      billable: r.billable,
      program: r.program,
      procedureGroup: r.procedureGroup,
      modality: r.modality,
      unit: r.unit,
    },
    searchText: r.searchText,
    lowerCode: r.code.toLowerCase(),
    lowerDescription: r.description.toLowerCase(),
    words: r.searchWords ?? [],
  }));
  // Per entry, what ranking reads, in flat arrays.
  const billable = Uint8Array.from(entries, (e) => (e.record.billable ? 1 : 0));
  const descriptionLength = Uint16Array.from(entries, (e) => Math.min([...e.record.description].length, 65_535));
  // Ties go to the lower code: each entry's rank in code order.
  const codeRank = new Int32Array(entries.length);
  entries
    .map((e, i) => ({ code: e.record.code, i }))
    .sort((a, b) => byText(a.code, b.code))
    .forEach((x, rank) => (codeRank[x.i] = rank));
  // Code prefixes: entries sorted by their lower-case code, searched by binary search.
  const byCode = entries.map((_, i) => i).sort((a, b) => byText(entries[a]!.lowerCode, entries[b]!.lowerCode));

  const postingLists = new Map<string, number[]>();
  entries.forEach((e, i) => {
    for (const w of e.words) {
      const list = postingLists.get(w);
      if (list) list.push(i);
      else postingLists.set(w, [i]);
    }
  });
  const vocabulary = new Map<string, VocabularyWord>();
  for (const [word, list] of postingLists) vocabulary.set(word, { word, codes: list.length, trigrams: trigrams(word), postings: Int32Array.from(list) });
  const sortedWords = [...vocabulary.keys()].sort();
  // Trigram -> vocabulary words holding it, for spellings without scanning the vocabulary.
  const byTrigram = new Map<string, VocabularyWord[]>();
  for (const v of vocabulary.values()) {
    for (const t of v.trigrams) {
      const list = byTrigram.get(t);
      if (list) list.push(v);
      else byTrigram.set(t, [v]);
    }
  }

  /** The first index in `sorted` whose value is >= key. */
  const lowerBound = (n: number, at: (i: number) => string, key: string) => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (at(mid) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const wordsBeginning = (prefix: string): VocabularyWord[] => {
    const out: VocabularyWord[] = [];
    for (let i = lowerBound(sortedWords.length, (k) => sortedWords[k]!, prefix); i < sortedWords.length && sortedWords[i]!.startsWith(prefix); i++) {
      out.push(vocabulary.get(sortedWords[i]!)!);
    }
    return out;
  };

  interface Spelling {
    v: VocabularyWord;
    weight: number;
  }
  /** For each query word, the vocabulary words it may stand for, best first. */
  const spellings = (words: string[]): Spelling[][] =>
    words.map((w, i) => {
      const own = trigrams(w);
      const exact = vocabulary.has(w);
      // Only the last word may be unfinished (the office is still typing it).
      const typing = i === words.length - 1 && w.length >= 3;
      const ranked: { v: VocabularyWord; exact: boolean; prefix: boolean; sim: number }[] = [];
      const seen = new Set<string>();
      for (const v of wordsBeginning(w)) {
        seen.add(v.word);
        ranked.push({ v, exact: v.word === w, prefix: true, sim: similarity(own, v.trigrams) });
      }
      if (!exact) {
        // Close spellings: words sharing trigrams with it (counted once each), kept at pg_trgm's threshold.
        const shared = new Map<VocabularyWord, number>();
        for (const t of own) for (const v of byTrigram.get(t) ?? []) shared.set(v, (shared.get(v) ?? 0) + 1);
        for (const [v, n] of shared) {
          if (seen.has(v.word)) continue;
          const sim = similarityOf(n, own.length, v.trigrams.length);
          if (sim >= SIMILAR_AT) ranked.push({ v, exact: false, prefix: false, sim });
        }
      }
      ranked.sort((a, b) => Number(b.exact) - Number(a.exact) || Number(b.prefix) - Number(a.prefix) || b.sim - a.sim || b.v.codes - a.v.codes);
      return ranked
        .slice(0, CANDIDATES)
        .map((r) => ({ v: r.v, weight: r.exact ? 1 : r.prefix ? 0.8 : Math.round(r.sim * 100) / 100 }))
        .filter((c) => c.weight === 1 || (c.weight === 0.8 && (typing || !exact)) || (!exact && c.weight >= 0.4))
        .sort((a, b) => b.weight - a.weight);
    });

  const accepts = (e: Entry, s: CodeSearch) =>
    (!s.system || e.record.system === s.system) && (!s.program || e.record.program === s.program) && (!s.billableOnly || e.record.billable);
  /** The best `limit` of the scored entries: score, then code. */
  const ranked = (rows: number[], scores: Float64Array, limit: number): CodeHit[] => {
    const order = Int32Array.from(rows.keys());
    const better = (a: number, b: number) => scores[b]! - scores[a]! || codeRank[rows[a]!]! - codeRank[rows[b]!]!;
    // Keep only the best `limit` while scanning (an office asks for 20 of thousands).
    const top: number[] = [];
    for (const k of order) {
      if (top.length === limit && better(k, top[top.length - 1]!) >= 0) continue;
      let at = top.length;
      while (at > 0 && better(k, top[at - 1]!) < 0) at--;
      top.splice(at, 0, k);
      if (top.length > limit) top.pop();
    }
    return top.map((k) => ({ ...entries[rows[k]!]!.record, score: scores[k]! }));
  };

  return {
    size: entries.length,
    search(s: CodeSearch): CodeHit[] {
      const query = parseCodeQuery(s.q);
      if (query.codePrefix) {
        const prefix = query.codePrefix.toLowerCase();
        const rows: number[] = [];
        const scores: number[] = [];
        for (let i = lowerBound(byCode.length, (k) => entries[byCode[k]!]!.lowerCode, prefix); i < byCode.length; i++) {
          const e = entries[byCode[i]!]!;
          if (!e.lowerCode.startsWith(prefix)) break;
          if (!e.searchText.startsWith(prefix) || !accepts(e, s)) continue;
          rows.push(byCode[i]!);
          scores.push((e.lowerCode === prefix ? 3 : 2) - e.record.code.length * 0.01);
        }
        return ranked(rows, Float64Array.from(scores), s.limit);
      }
      if (!query.words.length) return [];
      const candidates = spellings(query.words);
      if (candidates.some((c) => c.length === 0)) return [];

      // Codes holding a candidate of every word: matched[i] counts the words matched so far.
      const matched = new Uint8Array(entries.length);
      const order = candidates.map((c, i) => ({ c, i, size: c.reduce((n, x) => n + x.v.postings.length, 0) })).sort((a, b) => a.size - b.size);
      let found: number[] = [];
      order.forEach(({ c }, step) => {
        const next: number[] = [];
        for (const { v } of c) {
          for (const row of v.postings) {
            if (matched[row] === step) {
              matched[row] = step + 1;
              next.push(row);
            }
          }
        }
        found = next;
      });

      const rows = s.system || s.program || s.billableOnly ? found.filter((row) => accepts(entries[row]!, s)) : found;
      // Per word, the weight each found entry's best candidate gives (candidates sorted by weight).
      const scores = new Float64Array(rows.length);
      const position = new Int32Array(entries.length).fill(-1);
      rows.forEach((row, k) => (position[row] = k));
      for (const c of candidates) {
        const best = new Float64Array(rows.length);
        for (const { v, weight } of c) {
          for (const row of v.postings) {
            const k = position[row]!;
            if (k >= 0 && best[k]! < weight) best[k] = weight;
          }
        }
        for (let k = 0; k < rows.length; k++) scores[k]! += best[k]!;
      }
      const phrase = query.phrase;
      for (let k = 0; k < rows.length; k++) {
        const row = rows[k]!;
        const e = entries[row]!;
        let score = scores[k]!;
        if (e.searchText.includes(phrase)) score += 1;
        if (e.lowerDescription.startsWith(phrase)) score += 0.3;
        if (billable[row]) score += 0.2;
        scores[k] = score - descriptionLength[row]! * 0.002;
      }
      return ranked(rows, scores, s.limit);
    },
  };
}
