import { npiValid, npiWithCheckDigit } from '../domain/npi';

describe('NPI check digit', () => {
  it('accepts the CMS worked example and other correctly computed NPIs', () => {
    // CMS example: 123456789 -> check digit 3.
    expect(npiValid('1234567893')).toBe(true);
    expect(npiWithCheckDigit('123456789')).toBe('1234567893');
    // By hand: 80840 + 190000001 has Luhn sum 37 -> 3; 80840 + 290000001 has sum 39 -> 1.
    expect(npiWithCheckDigit('190000001')).toBe('1900000013');
    expect(npiWithCheckDigit('290000001')).toBe('2900000011');
    expect(npiValid('1900000013')).toBe(true);
    expect(npiValid('2900000011')).toBe(true);
  });

  it('rejects every wrong check digit', () => {
    for (let d = 0; d <= 9; d++) {
      expect(npiValid(`123456789${d}`)).toBe(d === 3);
    }
  });

  it('catches a single mistyped digit and a swap of neighbouring digits', () => {
    expect(npiValid('1234567883')).toBe(false);
    expect(npiValid('1243567893')).toBe(false);
  });

  it('rejects wrong lengths', () => {
    for (const npi of ['', '123456789', '12345678930', '01234567893']) {
      expect(npiValid(npi)).toBe(false);
    }
  });

  it('rejects anything but digits', () => {
    for (const npi of ['123456789X', '12345 7893', '1234-67893', ' 1234567893', '１２３４５６７８９３']) {
      expect(npiValid(npi)).toBe(false);
    }
  });

  it('makes a valid NPI of any 9-digit prefix, and refuses anything else', () => {
    for (const prefix of ['000000000', '999999999', '100000000', '255555555']) {
      const npi = npiWithCheckDigit(prefix);
      expect(npi).toHaveLength(10);
      expect(npi.startsWith(prefix)).toBe(true);
      expect(npiValid(npi)).toBe(true);
    }
    expect(() => npiWithCheckDigit('12345678')).toThrow('9 digits');
    expect(() => npiWithCheckDigit('12345678a')).toThrow('9 digits');
  });
});
