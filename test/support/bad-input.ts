import fc from 'fast-check';
import type { PrismaClient } from '../../common/db';

/**
 * Requests made from the API's own description: fast-check arbitraries derived from the JSON
 * Schemas in /openapi.json, most of them a plausible shape with something wrong in it (a wrong
 * type, a missing or extra field, a boundary length, a huge or negative number, unicode, control
 * characters, SQL or HTML injection), and the row counts of every table, to tell that a refused
 * request wrote nothing.
 */

/** A JSON Schema as zod writes it into /openapi.json (draft 2020-12). */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  'x-roles'?: string[];
}

/** Strings that have broken programs before: injections, encodings, look-alikes of other types, impossible dates. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '\t\r\n',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-1',
  '1e309',
  '99999999999999999999',
  '0x1F',
  "' OR '1'='1",
  "'; DROP TABLE \"Draft\"; --",
  "1' UNION SELECT \"passwordHash\" FROM \"User\" --",
  "'; SELECT pg_sleep(10); --",
  '%',
  '_%\\',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "javascript:alert('x')",
  '{{7*7}}${7*7}',
  '../../../../etc/passwd',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'Zoë Łódź Ærøskøbing Ñandú',
  '日本語のテキスト',
  'مرحبا بالعالم',
  '\u202Eevil\u202C',
  'e\u0301\u0302\u0303\u0304\u0305',
  '👩‍⚕️🏥💊',
  '\u200B\u200D\uFEFF',
  '\u0000',
  'a\u0000b',
  '\u0001\u0002\u0008\u001B[31m\u001F',
  '\u007F\u0085',
  '\u2028\u2029',
  '\uD800',
  'x\uDFFFy',
  '2026-02-30',
  '0000-00-00',
  '99999-01-01',
  '2026-13-01',
  '2026-02-30T25:61:61Z',
  '0000-01-01T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  'PA-0000-0000-000',
  '00000000-0000-0000-0000-000000000000',
  'x'.repeat(3000),
];

export const NASTY_NUMBERS = [0, -0, -1, 0.5, -0.5, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, 1e308, -1e308, 5e-324];

const WRONG_TYPES: unknown[] = [null, true, false, 0, -1, 12.5, 'text', '', [], [null], {}, { a: { b: [] } }, [[[[]]]]];

/** Path segments that are wrong as addresses, not as values: bad percent-escapes, dot segments, an escaped slash. */
export const RAW_PATH_SEGMENTS = ['%', '%zz', '%E0%A4%A', '%C0%AF', '%uD800', '..', '%2e%2e', 'a%2Fb', '%00', '%20', ' '];

const typeOf = (s: JsonSchema): string | undefined => (Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type);

/**
 * A value for `s`: mostly a plausible one, often a nasty one of the same type, sometimes one of
 * another type. `mild`: nearly every part plausible, so that the one wrong part reaches the
 * handler's own checks rather than the schema's.
 */
export function valueFor(s: JsonSchema, depth = 0, mild = false): fc.Arbitrary<unknown> {
  if (depth > 4) return fc.constantFrom(null, 'deep', 1);
  return fc.oneof(
    { weight: mild ? 30 : 6, arbitrary: plausible(s, depth, mild) },
    { weight: mild ? 1 : 3, arbitrary: nasty(s) },
    { weight: 1, arbitrary: fc.constantFrom(...WRONG_TYPES) },
  );
}

function plausible(s: JsonSchema, depth: number, mild: boolean): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum?.length) return fc.constantFrom(...s.enum);
  const options = s.anyOf ?? s.oneOf;
  if (options?.length) return fc.oneof(...options.map((o) => plausible(o, depth, mild)));
  if (s.allOf?.length) return plausible(s.allOf[0]!, depth, mild);
  switch (typeOf(s)) {
    case 'string':
      return stringFor(s);
    case 'integer':
    case 'number': {
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1000);
      const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 1000);
      const [lo, hi] = [Math.max(min, -1e6), Math.min(max, 1e6)];
      if (lo > hi) return fc.constant(min);
      return typeOf(s) === 'integer' ? fc.integer({ min: Math.ceil(lo), max: Math.floor(hi) }) : fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(valueFor(s.items ?? {}, depth + 1, mild), { minLength: s.minItems ?? 0, maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 4, 4)) });
    case 'object':
      return objectFor(s, depth, mild);
    default:
      // z.unknown(), z.custom(): anything JSON.
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringFor(s: JsonSchema): fc.Arbitrary<string> {
  switch (s.format) {
    case 'uuid':
      return fc.uuid();
    case 'email':
      return fc.emailAddress();
    case 'date-time':
      return fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
    case 'date':
      return fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  }
  if (s.pattern) {
    try {
      return fc.stringMatching(new RegExp(s.pattern));
    } catch {
      // A pattern fast-check cannot generate from (lookarounds): fall through to text.
    }
  }
  const min = s.minLength ?? 0;
  return fc.string({ minLength: min, maxLength: Math.max(min, Math.min(s.maxLength ?? 30, 30)), unit: 'grapheme' });
}

/** The nasty values of the schema's type, and its boundaries (one under, at and one over each limit). */
function nasty(s: JsonSchema): fc.Arbitrary<unknown> {
  switch (typeOf(s)) {
    case 'integer':
    case 'number': {
      const edges = [s.minimum, s.maximum, s.exclusiveMinimum, s.exclusiveMaximum].filter((n): n is number => n !== undefined).flatMap((n) => [n - 1, n, n + 1]);
      return fc.constantFrom(...NASTY_NUMBERS, ...edges);
    }
    case 'boolean':
      return fc.constantFrom('true', 'false', 0, 1, 'yes');
    case 'array': {
      const over = Math.min((s.maxItems ?? 20) + 1, 60);
      return fc.constantFrom(Array.from({ length: over }, () => 'x'), Array.from({ length: over }, () => ({})), [NASTY_STRINGS], 'not a list');
    }
    case 'object':
      return fc.constantFrom([], 'not an object', [{}], { constructor: 1, toString: 'x' });
    default: {
      const edges = [s.minLength, s.maxLength].filter((n): n is number => n !== undefined).flatMap((n) => [n - 1, n, n + 1]).filter((n) => n >= 0 && n <= 5_000);
      return fc.constantFrom(...NASTY_STRINGS, ...edges.map((n) => 'x'.repeat(n)), ...edges.map((n) => 'é'.repeat(n)));
    }
  }
}

/** Own properties only, even for `__proto__`: the object is sent as JSON. */
function define(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

const extraKey = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'id', 'userId', 'status', 'revision', 'accessRole', ''), fc.string({ maxLength: 12 }));

function objectFor(s: JsonSchema, depth: number, mild: boolean): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.entries(s.properties ?? {}).map(([k, p]) => fc.tuple(fc.constant(k), valueFor(p, depth + 1, mild), fc.nat(9)));
  const required = new Set(s.required ?? []);
  // A record (z.record): its keys and values; otherwise, now and then, fields nobody declared.
  const extras =
    typeof s.additionalProperties === 'object'
      ? fc.array(fc.tuple(s.propertyNames ? fc.oneof({ weight: mild ? 10 : 2, arbitrary: stringFor(s.propertyNames) }, { weight: 1, arbitrary: extraKey }) : extraKey, valueFor(s.additionalProperties, depth + 1, mild)), { maxLength: 4 })
      : fc.oneof({ weight: mild ? 12 : 4, arbitrary: fc.constant([] as [string, unknown][]) }, { weight: 1, arbitrary: fc.array(fc.tuple(extraKey, fc.jsonValue({ maxDepth: 1 })), { maxLength: 2 }) });
  return fc.tuple(fc.tuple(...fields), extras).map(([values, extra]) => {
    const o: Record<string, unknown> = {};
    // Required fields are nearly always there, optional ones half the time.
    for (const [k, v, n] of values) if (required.has(k) ? n > 0 : n > 4) define(o, k, v);
    for (const [k, v] of extra) define(o, k, v);
    return o;
  });
}

/** Bodies that are no shape at all: other JSON types, and nesting deeper than any schema. */
const WHOLE_BODIES = ['null', '"text"', '123', 'true', '[]', '[{}]', `${'['.repeat(20_000)}${']'.repeat(20_000)}`, `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`];

export interface GeneratedRequest {
  /** The path with its parameters filled in (already escaped). */
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  /** The raw JSON text, or undefined for no body. */
  body?: string;
}

/** What a fetch client can put in a header and Node's parser takes (no control characters). */
const sendableHeader = (v: string) => /^[\x21-\x7E\x80-\xFF]([\t\x20-\x7E\x80-\xFF]*[\x21-\x7E\x80-\xFF])?$/.test(v);

const asText = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** encodeURIComponent, which refuses unpaired surrogates: those are sent as the bytes one would have (not UTF-8). */
export function escapeComponent(v: string): string {
  let out = '';
  for (const ch of v) {
    const c = ch.charCodeAt(0);
    const lone = ch.length === 1 && c >= 0xd800 && c <= 0xdfff;
    out += lone ? `%ED%${(0x80 | ((c >> 6) & 0x3f)).toString(16).toUpperCase()}%${(0x80 | (c & 0x3f)).toString(16).toUpperCase()}` : encodeURIComponent(ch);
  }
  return out;
}

/** Node answers a request line over 16 KB itself, before the API sees it: stay under that. */
const MAX_URL = 12_000;

/**
 * Requests for one operation. `pools` holds real values by parameter name (a draft id of the
 * caller, a case number) so that some requests reach past "not found" into the handlers.
 */
export function requestsFor(pathTemplate: string, op: Operation, pools: Record<string, string[]>): fc.Arbitrary<GeneratedRequest> {
  const params = op.parameters ?? [];
  const paramArb = (p: Parameter) => {
    const options = [{ weight: 6, arbitrary: valueFor(p.schema).map(asText) }];
    if (pools[p.name]?.length) options.push({ weight: 4, arbitrary: fc.constantFrom(...pools[p.name]!) });
    return fc.oneof(...options);
  };
  const pathArb = fc
    .tuple(
      ...params
        .filter((p) => p.in === 'path')
        .map((p) =>
          fc.tuple(fc.constant(p.name), fc.oneof({ weight: 9, arbitrary: paramArb(p).map(escapeComponent) }, { weight: 1, arbitrary: fc.constantFrom(...RAW_PATH_SEGMENTS) })),
        ),
    )
    .map((filled) => filled.reduce((path, [name, value]) => path.replace(`{${name}}`, value), pathTemplate));
  // Each query parameter present (a required one nearly always) or not, sometimes twice (an array to the server).
  const queryArb = fc
    .tuple(
      fc.tuple(...params.filter((p) => p.in === 'query').map((p) => fc.tuple(fc.constant(p), fc.array(paramArb(p), { minLength: 1, maxLength: 2 }), fc.nat(9)))),
      fc.array(fc.tuple(extraKey, fc.constantFrom(...NASTY_STRINGS.slice(0, 20))), { maxLength: 1 }),
    )
    .map(([given, extra]) => [
      ...given.flatMap(([p, values, n]) => ((p.required ? n > 0 : n > 4) ? values.map((v): [string, string] => [p.name, v]) : [])),
      ...extra,
    ]);
  const headerArb = fc
    .tuple(...params.filter((p) => p.in === 'header').map((p) => fc.tuple(fc.constant(p.name), fc.option(paramArb(p).filter(sendableHeader), { nil: undefined }))))
    .map((all) => Object.fromEntries(all.filter((h): h is [string, string] => h[1] !== undefined)));
  const schema = op.requestBody?.content['application/json']?.schema;
  const bodyArb: fc.Arbitrary<string | undefined> = schema
    ? fc.oneof(
        { weight: 6, arbitrary: valueFor(schema, 0, true).map((v) => JSON.stringify(v)) },
        { weight: 6, arbitrary: valueFor(schema).map((v) => JSON.stringify(v)) },
        { weight: 1, arbitrary: fc.constantFrom(...WHOLE_BODIES) },
        { weight: 1, arbitrary: fc.constant(undefined) },
      )
    : fc.constant(undefined);
  return fc.record({ path: pathArb, query: queryArb, headers: headerArb, body: bodyArb }).filter((r) => urlOf(r).length <= MAX_URL);
}

/** The path and query string of a generated request. */
export function urlOf(r: GeneratedRequest): string {
  const qs = r.query.map(([k, v]) => `${escapeComponent(k)}=${escapeComponent(v)}`).join('&');
  return qs ? `${r.path}?${qs}` : r.path;
}

/** The application's tables (every table of the schema but Prisma's bookkeeping). */
export async function applicationTables(prisma: PrismaClient): Promise<string[]> {
  const rows = await prisma.$queryRaw<{ table_name: string }[]>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'
    ORDER BY table_name`;
  return rows.map((r) => r.table_name);
}

export interface RowCounts {
  counts: Record<string, number>;
  /** The newest audit row, to read what a request added to the log. */
  lastAuditId: bigint;
}

/** Exact row counts of `tables`, in one round trip. */
export async function rowCounts(prisma: PrismaClient, tables: string[]): Promise<RowCounts> {
  const sql = [
    ...tables.map((t) => `SELECT '${t}' AS t, count(*)::bigint AS n FROM "${t}"`),
    `SELECT '#lastAuditId' AS t, coalesce(max(id), 0)::bigint AS n FROM "AuditEvent"`,
  ].join(' UNION ALL ');
  const rows = await prisma.$queryRawUnsafe<{ t: string; n: bigint }[]>(sql);
  const counts: Record<string, number> = {};
  let lastAuditId = 0n;
  for (const r of rows) {
    if (r.t === '#lastAuditId') lastAuditId = r.n;
    else counts[r.t] = Number(r.n);
  }
  return { counts, lastAuditId };
}

/** The tables whose counts differ, as "Table: before -> after". */
export function countChanges(before: RowCounts, after: RowCounts): string[] {
  return Object.keys(after.counts)
    .filter((t) => after.counts[t] !== before.counts[t])
    .map((t) => `${t}: ${before.counts[t]} -> ${after.counts[t]}`);
}
