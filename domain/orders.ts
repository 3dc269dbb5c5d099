import { createHash, randomBytes } from 'node:crypto';

/**
 * Order numbers and case numbers: what an office reads to the servicing provider over the phone.
 * Order numbers are random (60 bits: not guessable from another) in Crockford's base 32 (no I,
 * L, O or U to misread) with Crockford's mod-37 check symbol, so a mistyped number is caught
 * before any lookup. Case numbers are derived from the draft, so a resubmission names the same case.
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

/** `PA-` and ten digits with a Luhn check digit, from the draft id: `PA-4821-0937-55`. */
export function caseNumberFor(draftId: string): string {
  const digits = BigInt(`0x${createHash('sha256').update(draftId).digest('hex').slice(0, 15)}`).toString().slice(-10).padStart(10, '0');
  let sum = 0;
  [...digits].reverse().forEach((d, i) => {
    let v = Number(d) * (i % 2 === 0 ? 2 : 1);
    if (v > 9) v -= 9;
    sum += v;
  });
  const check = (10 - (sum % 10)) % 10;
  return `PA-${digits.slice(0, 4)}-${digits.slice(4, 8)}-${digits.slice(8)}${check}`;
}
