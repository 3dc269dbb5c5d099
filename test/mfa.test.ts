import { createHash, createHmac, randomBytes } from 'node:crypto';
import {
  decryptSecret,
  encryptSecret,
  hashCode,
  mfaKeyFrom,
  newEmailCode,
  newTotpSecret,
  totpCode,
  totpQrSvg,
  totpUri,
  verifyTotp,
} from '../domain/mfa';

// --- An independent RFC 6238 / RFC 4226 implementation, to check the library against ----------

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Decode(text: string): Buffer {
  let bits = '';
  for (const ch of text.replace(/=+$/, '')) {
    const v = BASE32.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${ch}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const bytes: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** RFC 6238 TOTP with HMAC-SHA1: T = floor(t / 30), 8-byte big-endian counter, dynamic truncation. */
function referenceTotp(key: Buffer, atMs: number, digits = 6): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atMs / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return (binary % 10 ** digits).toString().padStart(digits, '0');
}

// A fixed instant in the middle of a 30-second step: 2026-03-01T12:00:15Z.
const AT = Date.UTC(2026, 2, 1, 12, 0, 15);
const STEP = Math.floor(AT / 30_000);
const STEP_MS = 30_000;

describe('TOTP secret', () => {
  it('is 20 random bytes in base32', () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(secret)).toHaveLength(20);
    expect(newTotpSecret()).not.toBe(secret);
  });
});

describe('TOTP codes', () => {
  it('round trip: the code at a fixed time verifies, with its step', () => {
    const secret = newTotpSecret();
    const code = totpCode(secret, AT);
    expect(code).toMatch(/^\d{6}$/);
    expect(verifyTotp(secret, code, { at: AT })).toEqual({ ok: true, step: STEP });
    // Any instant of the same step gives the same code.
    expect(totpCode(secret, STEP * STEP_MS)).toBe(code);
    expect(totpCode(secret, (STEP + 1) * STEP_MS - 1)).toBe(code);
  });

  it('matches an independent RFC 6238 computation', () => {
    // RFC 6238 appendix B: ASCII "12345678901234567890", T = 59 s -> 94287082 (8 digits).
    const rfcKey = Buffer.from('12345678901234567890', 'ascii');
    const rfcSecret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    expect(base32Decode(rfcSecret).equals(rfcKey)).toBe(true);
    expect(referenceTotp(rfcKey, 59_000, 8)).toBe('94287082');
    expect(totpCode(rfcSecret, 59_000)).toBe('287082');
    expect(verifyTotp(rfcSecret, '287082', { at: 59_000 })).toEqual({ ok: true, step: 1 });
    // The other SHA-1 vectors of the appendix, last 6 digits.
    const vectors: Array<[number, string]> = [
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'],
    ];
    for (const [t, expected] of vectors) {
      expect(referenceTotp(rfcKey, t * 1000, 8)).toBe(expected);
      expect(totpCode(rfcSecret, t * 1000)).toBe(expected.slice(2));
    }
    // A fresh secret at a few times.
    const secret = newTotpSecret();
    const key = base32Decode(secret);
    for (const at of [0, 29_999, 30_000, AT, Date.UTC(2038, 0, 19, 3, 14, 8), Date.now()]) {
      expect(totpCode(secret, at)).toBe(referenceTotp(key, at));
    }
  });

  it('accepts the previous and the next step, refuses two steps away', () => {
    const secret = newTotpSecret();
    const at = (t: number) => totpCode(secret, AT + t * STEP_MS);
    expect(verifyTotp(secret, at(-1), { at: AT })).toEqual({ ok: true, step: STEP - 1 });
    expect(verifyTotp(secret, at(1), { at: AT })).toEqual({ ok: true, step: STEP + 1 });
    expect(verifyTotp(secret, at(-2), { at: AT })).toEqual({ ok: false });
    expect(verifyTotp(secret, at(2), { at: AT })).toEqual({ ok: false });
    // At the very edges of the current step too.
    expect(verifyTotp(secret, at(-1), { at: STEP * STEP_MS }).ok).toBe(true);
    expect(verifyTotp(secret, at(1), { at: (STEP + 1) * STEP_MS - 1 }).ok).toBe(true);
    expect(verifyTotp(secret, at(-2), { at: STEP * STEP_MS }).ok).toBe(false);
    expect(verifyTotp(secret, at(2), { at: (STEP + 1) * STEP_MS - 1 }).ok).toBe(false);
    // window 0: the current step only; window 2: two steps away too.
    expect(verifyTotp(secret, at(-1), { at: AT, window: 0 }).ok).toBe(false);
    expect(verifyTotp(secret, at(0), { at: AT, window: 0 })).toEqual({ ok: true, step: STEP });
    expect(verifyTotp(secret, at(-2), { at: AT, window: 2 })).toEqual({ ok: true, step: STEP - 2 });
    expect(() => verifyTotp(secret, at(0), { at: AT, window: -1 })).toThrow(/window/);
    expect(() => verifyTotp(secret, at(0), { at: AT, window: 1.5 })).toThrow(/window/);
  });

  it('refuses a wrong code', () => {
    const secret = newTotpSecret();
    const valid = new Set([-1, 0, 1].map((t) => totpCode(secret, AT + t * STEP_MS)));
    // A code near the right one that no step of the window produces.
    let wrong = Number(totpCode(secret, AT));
    do wrong = (wrong + 1) % 1_000_000;
    while (valid.has(String(wrong).padStart(6, '0')));
    expect(verifyTotp(secret, String(wrong).padStart(6, '0'), { at: AT })).toEqual({ ok: false });
    // The right code of another secret.
    const other = newTotpSecret();
    const otherCode = totpCode(other, AT);
    if (!valid.has(otherCode)) expect(verifyTotp(secret, otherCode, { at: AT })).toEqual({ ok: false });
  });

  it('throws on a secret that is not base32 of at least 16 bytes', () => {
    for (const bad of ['', 'jbswy3dpehpk3pxp', 'JBSWY3DPEHPK3PXP', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1', 'GEZDGNBVGY3TQOJQ GEZDGNBVGY3TQOJQ']) {
      expect(() => totpCode(bad, AT)).toThrow(/base32/);
      expect(() => verifyTotp(bad, '123456', { at: AT })).toThrow(/base32/);
      expect(() => totpUri(bad, 'a@b.example')).toThrow(/base32/);
    }
  });

  it('refuses replay: a code whose step is <= lastUsedStep', () => {
    const secret = newTotpSecret();
    const code = totpCode(secret, AT);
    const first = verifyTotp(secret, code, { at: AT });
    expect(first).toEqual({ ok: true, step: STEP });
    // The same code again, later in the same step or in the next one.
    expect(verifyTotp(secret, code, { at: AT, lastUsedStep: first.step })).toEqual({ ok: false });
    expect(verifyTotp(secret, code, { at: AT + STEP_MS, lastUsedStep: first.step })).toEqual({ ok: false });
    // An older code still inside the window is refused too.
    expect(verifyTotp(secret, totpCode(secret, AT - STEP_MS), { at: AT, lastUsedStep: STEP })).toEqual({ ok: false });
    // The next step's code is new.
    const next = totpCode(secret, AT + STEP_MS);
    expect(verifyTotp(secret, next, { at: AT + STEP_MS, lastUsedStep: STEP })).toEqual({ ok: true, step: STEP + 1 });
    // A lastUsedStep at or past the end of the window refuses everything (and does not throw).
    expect(verifyTotp(secret, next, { at: AT, lastUsedStep: STEP + 1 })).toEqual({ ok: false });
    expect(verifyTotp(secret, next, { at: AT, lastUsedStep: STEP + 100 })).toEqual({ ok: false });
    // lastUsedStep before the window changes nothing.
    expect(verifyTotp(secret, code, { at: AT, lastUsedStep: STEP - 5 })).toEqual({ ok: true, step: STEP });
    expect(() => verifyTotp(secret, code, { at: AT, lastUsedStep: 1.5 })).toThrow(/lastUsedStep/);
  });

  it('allows spaces and refuses malformed codes', () => {
    const secret = newTotpSecret();
    const code = totpCode(secret, AT);
    expect(verifyTotp(secret, `${code.slice(0, 3)} ${code.slice(3)}`, { at: AT })).toEqual({ ok: true, step: STEP });
    expect(verifyTotp(secret, ` ${code} `, { at: AT }).ok).toBe(true);
    const malformed = [
      '',
      '      ',
      code.slice(0, 5),
      `${code}0`,
      `0${code}`,
      `${code.slice(0, 5)}a`,
      `-${code.slice(1)}`,
      `${code.slice(0, 3)}-${code.slice(3)}`,
      '１２３４５６', // full-width digits
      '12345e',
      '+12345',
    ];
    for (const bad of malformed) {
      expect(verifyTotp(secret, bad, { at: AT })).toEqual({ ok: false });
    }
    expect(verifyTotp(secret, undefined as unknown as string, { at: AT })).toEqual({ ok: false });
  });
});

describe('enrollment', () => {
  it('builds an otpauth URI that parses back', () => {
    const secret = newTotpSecret();
    const url = new URL(totpUri(secret, 'dr.smith@clinic.example'));
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe('/Prior Authorization Portal:dr.smith@clinic.example');
    expect(url.searchParams.get('secret')).toBe(secret);
    expect(url.searchParams.get('issuer')).toBe('Prior Authorization Portal');
    expect(url.searchParams.get('algorithm')).toBe('SHA1');
    expect(url.searchParams.get('digits')).toBe('6');
    expect(url.searchParams.get('period')).toBe('30');
    // Each parameter once.
    expect([...url.searchParams.keys()].sort()).toEqual(['algorithm', 'digits', 'issuer', 'period', 'secret']);

    const custom = new URL(totpUri(secret, 'nurse@plan.example', 'Acme Health'));
    expect(decodeURIComponent(custom.pathname)).toBe('/Acme Health:nurse@plan.example');
    expect(custom.searchParams.get('issuer')).toBe('Acme Health');
  });

  it('refuses an empty or ambiguous account or issuer', () => {
    const secret = newTotpSecret();
    expect(() => totpUri(secret, '')).toThrow(/account/);
    expect(() => totpUri(secret, 'a:b')).toThrow(/account/);
    expect(() => totpUri(secret, 'a@b.example', 'X:Y')).toThrow(/issuer/);
  });

  it('renders the QR code as SVG', async () => {
    const svg = await totpQrSvg(totpUri(newTotpSecret(), 'dr.smith@clinic.example'));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });
});

describe('secret encryption', () => {
  const key = randomBytes(32);

  it('round trips with a fresh IV each time', () => {
    const secret = newTotpSecret();
    const blob = encryptSecret(secret, key);
    expect(blob).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    expect(blob).not.toContain(secret);
    expect(decryptSecret(blob, key)).toBe(secret);
    const again = encryptSecret(secret, key);
    expect(again).not.toBe(blob);
    expect(again.split('.')[1]).not.toBe(blob.split('.')[1]);
    expect(decryptSecret(again, key)).toBe(secret);
  });

  it('throws on a wrong key', () => {
    const blob = encryptSecret(newTotpSecret(), key);
    expect(() => decryptSecret(blob, randomBytes(32))).toThrow(/wrong key or tampered/);
    expect(() => decryptSecret(blob, randomBytes(16))).toThrow(/32 bytes/);
    expect(() => encryptSecret('x', randomBytes(31))).toThrow(/32 bytes/);
  });

  it('throws on a tampered blob', () => {
    const blob = encryptSecret(newTotpSecret(), key);
    const [v, iv, tag, ct] = blob.split('.') as [string, string, string, string];
    const flip = (part: string, index: number) => {
      const bytes = Buffer.from(part, 'base64url');
      bytes[index] = bytes[index]! ^ 0x01;
      return bytes.toString('base64url');
    };
    expect(() => decryptSecret([v, iv, tag, flip(ct, 0)].join('.'), key)).toThrow(/tampered/);
    expect(() => decryptSecret([v, iv, flip(tag, 15), ct].join('.'), key)).toThrow(/tampered/);
    expect(() => decryptSecret([v, flip(iv, 0), tag, ct].join('.'), key)).toThrow(/tampered/);
    expect(() => decryptSecret([v, iv, tag, ct.slice(0, -2)].join('.'), key)).toThrow();
    for (const malformed of ['', 'v2.' + blob.slice(3), [v, iv, tag].join('.'), `${blob}.x`, [v, iv, 'abc', ct].join('.'), [v, iv, tag, `${ct}!`].join('.')]) {
      expect(() => decryptSecret(malformed, key)).toThrow(/malformed/);
    }
  });
});

describe('mfaKeyFrom', () => {
  const raw = randomBytes(32);

  it('accepts 64 hex characters and base64 of 32 bytes', () => {
    expect(mfaKeyFrom(raw.toString('hex')).equals(raw)).toBe(true);
    expect(mfaKeyFrom(raw.toString('hex').toUpperCase()).equals(raw)).toBe(true);
    expect(mfaKeyFrom(raw.toString('base64')).equals(raw)).toBe(true);
    expect(mfaKeyFrom(` ${raw.toString('base64')}\n`).equals(raw)).toBe(true);
    expect(mfaKeyFrom(raw.toString('base64url')).equals(raw)).toBe(true);
    expect(mfaKeyFrom(raw.toString('base64').replace(/=$/, '')).equals(raw)).toBe(true);
    // The key works for encryption.
    const key = mfaKeyFrom(raw.toString('base64'));
    expect(decryptSecret(encryptSecret('JBSWY3DPEHPK3PXP', key), mfaKeyFrom(raw.toString('hex')))).toBe('JBSWY3DPEHPK3PXP');
  });

  it('refuses anything else with a clear error', () => {
    const refused = [
      '',
      'changeme',
      raw.toString('hex').slice(0, 62), // 31 bytes of hex
      `${raw.toString('hex')}00`, // 33 bytes of hex
      `${raw.toString('hex').slice(0, 63)}g`,
      randomBytes(31).toString('base64'),
      randomBytes(33).toString('base64'),
      randomBytes(16).toString('base64'),
      `${raw.toString('base64').slice(0, 42)}*=`,
    ];
    for (const value of refused) {
      expect(() => mfaKeyFrom(value)).toThrow(/MFA encryption key must be 32 bytes .*64 hexadecimal characters or .*base64/);
    }
    // The error does not echo the value.
    expect(() => mfaKeyFrom('my-secret-passphrase')).toThrow(expect.objectContaining({ message: expect.not.stringContaining('passphrase') }));
  });
});

describe('emailed one-time code', () => {
  it('is 6 random digits', () => {
    const codes = Array.from({ length: 200 }, () => newEmailCode());
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
    expect(new Set(codes).size).toBeGreaterThan(190);
  });

  it('is stored as its SHA-256', () => {
    expect(hashCode('123456')).toBe(createHash('sha256').update('123456').digest('hex'));
    expect(hashCode('123456')).toBe('8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92');
    expect(hashCode('123 456')).toBe(hashCode('123456'));
    expect(hashCode('123457')).not.toBe(hashCode('123456'));
  });
});
