import { randomBytes } from 'node:crypto';

/**
 * Order numbers and case numbers: what an office reads to the servicing provider over the phone.
 * Order numbers are random (60 bits: not guessable from another) in Crockford's base 32 (no I,
 * L, O or U to misread) with Crockford's mod-37 check symbol, so a mistyped number is caught
 * before any lookup. Case numbers come from a database sequence (unique by construction; a
 * resubmission meets its draft's workflow, whose number stands).
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CHECK_SYMBOLS = `${ALPHABET}*~$=U`;

function checkSymbol(body: string): string {
  let mod = 0;
  for (const ch of body) mod = (mod * 32 + ALPHABET.indexOf(ch)) % 37;
  return CHECK_SYMBOLS[mod]!;
}

/** A new order number such as `7K3M-Q9ZD-2F8H-X`. */
export function newOrderNumber(random: Buffer = randomBytes(8)): string {
  let n = random.readBigUInt64BE() >> 4n; // 60 bits
  let body = '';
  for (let i = 0; i < 12; i++) {
    body = ALPHABET[Number(n & 31n)]! + body;
    n >>= 5n;
  }
  return `${body.slice(0, 4)}-${body.slice(4, 8)}-${body.slice(8)}-${checkSymbol(body)}`;
}

/** Normalizes what a person typed (case, dashes, O for 0, I/L for 1) and checks the check symbol. */
export function parseOrderNumber(input: string): string | undefined {
  const raw = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (!/^[0-9A-HJKMNP-TV-Z]{12}[0-9A-HJKMNP-TV-Z*~$=U]$/.test(raw)) return undefined;
  const body = raw.slice(0, 12);
  if (checkSymbol(body) !== raw[12]) return undefined;
  return `${body.slice(0, 4)}-${body.slice(4, 8)}-${body.slice(8)}-${raw[12]}`;
}

// Sequence value n gives the ten digits (n * STEP + OFFSET) mod 10^10: one to one (STEP is
// prime to 10), so distinct values give distinct numbers, and neighbours do not look alike.
const CASE_DIGITS = 10_000_000_000n;
const CASE_STEP = 3_141_592_653n;
const CASE_OFFSET = 2_718_281_828n;

/**
 * `PA-` and ten digits with a Luhn check digit (`PA-4821-0937-55`) for value `sequence` (1 up to
 * 10^10 - 1) of the database's `case_number_seq`.
 */
export function caseNumberOf(sequence: bigint): string {
  if (sequence < 1n || sequence >= CASE_DIGITS) throw new RangeError(`case number sequence value ${sequence} is outside 1..${CASE_DIGITS - 1n}`);
  const digits = ((sequence * CASE_STEP + CASE_OFFSET) % CASE_DIGITS).toString().padStart(10, '0');
  let sum = 0;
  [...digits].reverse().forEach((d, i) => {
    let v = Number(d) * (i % 2 === 0 ? 2 : 1);
    if (v > 9) v -= 9;
    sum += v;
  });
  const check = (10 - (sum % 10)) % 10;
  return `PA-${digits.slice(0, 4)}-${digits.slice(4, 8)}-${digits.slice(8)}${check}`;
}
