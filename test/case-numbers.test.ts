import { caseNumberOf } from '../domain/orders';

/** Luhn over the ten digits and the check digit, as an office's system would check a typed number. */
function luhnValid(caseNumber: string): boolean {
  const digits = caseNumber.replace(/\D/g, '');
  let sum = 0;
  [...digits].reverse().forEach((d, i) => {
    let v = Number(d) * (i % 2 === 1 ? 2 : 1);
    if (v > 9) v -= 9;
    sum += v;
  });
  return sum % 10 === 0;
}

test('case numbers: one per sequence value, in the PA-dddd-dddd-ddd format with a valid Luhn check digit', () => {
  const first = Array.from({ length: 200_000 }, (_, i) => caseNumberOf(BigInt(i + 1)));
  expect(new Set(first).size).toBe(first.length);
  for (const n of first.slice(0, 1000)) {
    expect(n).toMatch(/^PA-\d{4}-\d{4}-\d{3}$/);
    expect(luhnValid(n)).toBe(true);
  }
  // Values far apart (the whole range is one to one; these would meet if the step shared a factor with 10).
  const far = [1n, 2n, 5_000_000_001n, 2_000_000_001n, 9_999_999_999n].map(caseNumberOf);
  expect(new Set(far).size).toBe(far.length);
  // A mistyped digit is caught.
  const typo = first[0]!.replace(/\d(?=\d{2}$)/, (d) => String((Number(d) + 1) % 10));
  expect(luhnValid(typo)).toBe(false);
  // Neighbouring cases do not look alike: consecutive values differ in more than the last digits.
  expect(first[0]!.slice(0, 9)).not.toBe(first[1]!.slice(0, 9));
});

test('a sequence value outside 1 to 10^10 - 1 is refused, never wrapped onto another case number', () => {
  expect(() => caseNumberOf(0n)).toThrow(RangeError);
  expect(() => caseNumberOf(10_000_000_000n)).toThrow(/outside 1\.\.9999999999/);
});
