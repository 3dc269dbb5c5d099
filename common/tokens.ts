import { createHash } from 'node:crypto';

/**
 * How every secret token (session, CSRF, access key, reset link, MFA challenge) is stored: its
 * SHA-256, so that a database read reveals nothing usable. Tokens are random and long, so no
 * salt or slow hash is needed (passwords and security answers use argon2id instead).
 */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
