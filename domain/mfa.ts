/**
 * Multi-factor sign-in: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps) through `otplib`,
 * the enrollment QR code through `qrcode`, encryption at rest of the TOTP secret (AES-256-GCM) and
 * an emailed one-time code as a fallback. Pure apart from randomness and the clock, so the API, the
 * test client and the tests share it.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { authenticator } from 'otplib';
import QRCode from 'qrcode';

/**
 * RFC 6238 parameters, fixed: what every authenticator app supports. otplib's authenticator
 * (Google Authenticator compatible: base32 secrets) defaults to HMAC-SHA1; the digits and the
 * period are set explicitly. Its `epoch` is in milliseconds.
 */
const TOTP_DIGITS = 6;
const TOTP_PERIOD_S = 30;
/** 160 bits, RFC 4226's recommended secret length (the length of an HMAC-SHA1 output). */
const TOTP_SECRET_BYTES = 20;
/** RFC 4226 requires at least 128 bits. */
const TOTP_MIN_SECRET_BYTES = 16;
/** Steps accepted on each side of the current one when not told otherwise (clock drift). */
const DEFAULT_WINDOW = 1;
/** Upper bound for `window`: a wide window makes guessing cheaper and replay protection weaker. */
const MAX_WINDOW = 10;

export const DEFAULT_TOTP_ISSUER = 'Prior Authorization Portal';

/** An authenticator fixed at `atMs` (a clone: the shared `authenticator` is never mutated). */
function authenticatorAt(atMs: number) {
  return authenticator.clone({ digits: TOTP_DIGITS, step: TOTP_PERIOD_S, window: 0, epoch: atMs });
}

/**
 * Refuses a secret that is not upper-case RFC 4648 base32 of at least 16 bytes: otplib's decoder
 * would otherwise quietly turn a corrupted secret into some other key.
 */
function checkSecret(secret: string): void {
  const valid =
    typeof secret === 'string' &&
    /^[A-Z2-7]+=*$/.test(secret) &&
    Math.floor((secret.replace(/=+$/, '').length * 5) / 8) >= TOTP_MIN_SECRET_BYTES;
  if (!valid) throw new Error(`TOTP secret must be base32 of at least ${TOTP_MIN_SECRET_BYTES} bytes`);
}

/** A new random TOTP secret: 20 bytes, base32 (RFC 4648, no padding), 32 characters. */
export function newTotpSecret(): string {
  return authenticator.generateSecret(TOTP_SECRET_BYTES);
}

/**
 * The otpauth:// URI for enrollment (Key Uri Format): label `issuer:account`, with secret, period,
 * digits, algorithm and issuer parameters.
 */
export function totpUri(secret: string, account: string, issuer: string = DEFAULT_TOTP_ISSUER): string {
  checkSecret(secret);
  // A ':' would make the label's issuer/account split ambiguous.
  for (const [name, value] of [['account', account], ['issuer', issuer]] as const) {
    if (value.trim() === '') throw new Error(`TOTP ${name} must not be empty`);
    if (value.includes(':')) throw new Error(`TOTP ${name} must not contain ':'`);
  }
  return authenticatorAt(0).keyuri(account, issuer, secret);
}

/** The QR code of `uri` as an SVG document (starts with `<svg`), for the enrollment page. */
export function totpQrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** The TOTP code of `secret` at `at` (ms since the epoch; default now). For tests and the test client. */
export function totpCode(secret: string, at: number = Date.now()): string {
  checkSecret(secret);
  return authenticatorAt(checkTime(at)).generate(secret);
}

export interface VerifyTotpOptions {
  /** The time of the check, ms since the epoch (default now). */
  at?: number;
  /** Steps accepted before and after the current one (default 1, at most 10). */
  window?: number;
  /** The step of the last code accepted for this secret: codes of this step or earlier are refused. */
  lastUsedStep?: number;
}

/**
 * Checks a TOTP code. Spaces in `code` are ignored; anything other than 6 digits is refused.
 * Accepts the code of the current 30-second step (floor(unix seconds / 30)) or of up to `window`
 * steps before or after it, but never one whose step is <= `lastUsedStep` (replay). On success
 * returns the step that matched: the caller stores it as the new `lastUsedStep`.
 *
 * A wrong or replayed code gives `{ ok: false }`; an invalid secret or invalid options throw (those
 * are server-side faults, not a wrong code).
 */
export function verifyTotp(
  secret: string,
  code: string,
  opts: VerifyTotpOptions = {},
): { ok: boolean; step?: number } {
  checkSecret(secret);
  const window = opts.window ?? DEFAULT_WINDOW;
  if (!Number.isInteger(window) || window < 0 || window > MAX_WINDOW) {
    throw new RangeError(`TOTP window must be an integer from 0 to ${MAX_WINDOW}, got ${window}`);
  }
  const { lastUsedStep } = opts;
  if (lastUsedStep !== undefined && !Number.isSafeInteger(lastUsedStep)) {
    throw new RangeError(`lastUsedStep must be an integer, got ${lastUsedStep}`);
  }
  const currentStep = Math.floor(checkTime(opts.at ?? Date.now()) / 1000 / TOTP_PERIOD_S);

  const token = typeof code === 'string' ? code.replace(/\s+/g, '') : '';
  if (!/^\d{6}$/.test(token)) return { ok: false };
  const given = Buffer.from(token, 'ascii');

  // The current step first, then outwards. Steps already used are never computed, so a code of a
  // used step cannot be accepted even if it happens to equal the code of another step.
  for (let distance = 0; distance <= window; distance++) {
    for (const step of distance === 0 ? [currentStep] : [currentStep - distance, currentStep + distance]) {
      if (step < 0 || (lastUsedStep !== undefined && step <= lastUsedStep)) continue;
      const expected = Buffer.from(authenticatorAt(step * TOTP_PERIOD_S * 1000).generate(secret), 'ascii');
      if (expected.length === given.length && timingSafeEqual(expected, given)) return { ok: true, step };
    }
  }
  return { ok: false };
}

/** `at` checked: a finite, non-negative number of milliseconds. */
function checkTime(at: number): number {
  if (!Number.isFinite(at) || at < 0) throw new RangeError(`time must be a non-negative number of ms, got ${at}`);
  return at;
}

// --- Encryption at rest of the TOTP secret ----------------------------------------------------

const BLOB_VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]*$/;

/** Encrypts `secret` with AES-256-GCM and a random 12-byte IV: `v1.<iv>.<tag>.<ciphertext>` (base64url). */
export function encryptSecret(secret: string, key: Buffer): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [BLOB_VERSION, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join(
    '.',
  );
}

/** Decrypts a blob from `encryptSecret`; throws on a malformed blob, a wrong key or tampering. */
export function decryptSecret(blob: string, key: Buffer): string {
  checkKey(key);
  const parts = blob.split('.');
  if (parts.length !== 4 || parts[0] !== BLOB_VERSION || !parts.slice(1).every((p) => B64URL.test(p))) {
    throw new Error('Encrypted MFA secret is malformed');
  }
  const iv = Buffer.from(parts[1]!, 'base64url');
  const tag = Buffer.from(parts[2]!, 'base64url');
  const ciphertext = Buffer.from(parts[3]!, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('Encrypted MFA secret is malformed');
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new Error('Encrypted MFA secret could not be decrypted (wrong key or tampered data)');
  }
}

function checkKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new Error(`MFA encryption key must be ${KEY_BYTES} bytes`);
  }
}

/**
 * The 32-byte MFA encryption key from configuration: 64 hex characters, or base64 (standard or
 * URL-safe, padding optional) of exactly 32 bytes, e.g. `openssl rand -base64 32`. Throws a clear
 * error otherwise (without echoing the value, which is a secret).
 */
export function mfaKeyFrom(config: string): Buffer {
  const value = (config ?? '').trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  // 32 bytes are 43 base64 characters plus one '=' of padding.
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const standard = value.replace(/-/g, '+').replace(/_/g, '/').replace(/=?$/, '=');
    const key = Buffer.from(standard, 'base64');
    // The round trip refuses non-canonical encodings (stray bits in the last character).
    if (key.length === KEY_BYTES && key.toString('base64') === standard) return key;
  }
  throw new Error(
    `MFA encryption key must be ${KEY_BYTES} bytes given as 64 hexadecimal characters or as base64 ` +
      `(e.g. \`openssl rand -base64 32\`); got ${value.length === 0 ? 'an empty value' : `${value.length} characters that are neither`}`,
  );
}

// --- Emailed one-time code (fallback) ---------------------------------------------------------

/** Six random digits from the CSPRNG (leading zeros kept). */
export function newEmailCode(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}

/**
 * SHA-256 (hex) of an emailed code, for storage; whitespace is removed first so that a code typed
 * as "123 456" hashes like the one sent. Only six digits of entropy: the stored code must expire
 * quickly and attempts must be limited.
 */
export function hashCode(code: string): string {
  return createHash('sha256').update(code.replace(/\s+/g, ''), 'utf8').digest('hex');
}
