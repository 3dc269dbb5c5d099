/**
 * National Provider Identifier check digit (CMS, "Requirements for NPI Check Digit"): the Luhn
 * formula over the card-issuer prefix 80840 followed by the first 9 digits; the 10th digit is the
 * check digit. Pure, so the API, the seed data and the tests share it.
 */

const NPI_PREFIX = '80840';

/** The Luhn check digit for `payload` (the digit that, appended, makes the Luhn sum divisible by 10). */
function luhnCheckDigit(payload: string): number {
  let sum = 0;
  // Walking from the right, the digit next to the (future) check digit is doubled, then every other one.
  for (let i = payload.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = payload.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** True when `npi` is exactly 10 digits and its last digit is the CMS check digit of the first 9. */
export function npiValid(npi: string): boolean {
  if (!/^\d{10}$/.test(npi)) return false;
  return luhnCheckDigit(NPI_PREFIX + npi.slice(0, 9)) === Number(npi[9]);
}

/** The full NPI for a 9-digit prefix: the prefix followed by its check digit. */
export function npiWithCheckDigit(first9: string): string {
  if (!/^\d{9}$/.test(first9)) throw new Error(`An NPI prefix is 9 digits, got "${first9}"`);
  return first9 + String(luhnCheckDigit(NPI_PREFIX + first9));
}
