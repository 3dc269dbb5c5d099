import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { msToNumber } from '@temporalio/common/lib/time';
import type { Request, RequestHandler, Response } from 'express';
import { hashToken } from '../common/tokens';
import type { User } from '../generated/prisma/client';
import type { ApiContext } from './context';
import { HttpError } from './errors';

/**
 * Sessions: an opaque random token, stored only as its hash, carried as a bearer token by API
 * clients or as an http-only SameSite=Strict cookie by browsers. Multi-factor sign-in, idle
 * timeouts, CSRF tokens and roles build on this (one place: `authenticate`).
 */
export const SESSION_COOKIE = 'pa_session';


export interface SessionInfo {
  sessionId: string;
  user: User;
}

export function clientIp(req: Request): string | undefined {
  return req.ip ?? req.socket.remoteAddress ?? undefined;
}

export async function createSession(ctx: ApiContext, req: Request, res: Response, user: User, hipaaVersion: string) {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const expiresAt = new Date(Date.now() + msToNumber(ctx.config.SESSION_TTL));
  const session = await ctx.prisma.session.create({
    data: {
      id: randomUUID(),
      userId: user.id,
      tokenHash: hashToken(token),
      csrfHash: hashToken(csrfToken),
      expiresAt,
      ip: clientIp(req),
      userAgent: req.get('user-agent')?.slice(0, 300),
      hipaaVersion,
      hipaaAcceptedAt: new Date(),
    },
  });
  res.cookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: ctx.config.PUBLIC_BASE_URL.startsWith('https:'),
    path: '/',
    expires: expiresAt,
  });
  return { sessionId: session.id, token, csrfToken, expiresAt };
}

/** The session token and how it came: a bearer header (API clients) or the cookie (browsers). */
function tokenOf(req: Request): { token: string; via: 'bearer' | 'cookie' } | undefined {
  const header = req.get('authorization');
  if (header?.startsWith('Bearer ')) return { token: header.slice('Bearer '.length).trim(), via: 'bearer' };
  const cookie = req.get('cookie');
  if (!cookie) return undefined;
  for (const part of cookie.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return { token: decodeURIComponent(value.join('=')), via: 'cookie' };
  }
  return undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Requires a live session of an active account; puts it in `res.locals.session`. A session
 * ends at its absolute expiry, after SESSION_IDLE_TIMEOUT without use, or when revoked. A
 * browser (cookie) must send the session's CSRF token with every change.
 */
export function authenticate(ctx: ApiContext): RequestHandler {
  const idleMs = msToNumber(ctx.config.SESSION_IDLE_TIMEOUT);
  return async (req, res, next) => {
    try {
      const given = tokenOf(req);
      if (!given) throw new HttpError(401, 'not_signed_in', 'Sign in first: send the session token as a Bearer token or cookie');
      const session = await ctx.prisma.session.findUnique({ where: { tokenHash: hashToken(given.token) }, include: { user: true } });
      const now = Date.now();
      if (!session || session.revokedAt || session.expiresAt.getTime() <= now) {
        throw new HttpError(401, 'session_expired', 'Your session has ended: sign in again');
      }
      if (session.lastSeenAt.getTime() + idleMs <= now) {
        await ctx.prisma.session.update({ where: { id: session.id }, data: { revokedAt: new Date(now) } });
        throw new HttpError(401, 'session_expired', 'Your session ended after a period without activity: sign in again');
      }
      if (given.via === 'cookie' && !SAFE_METHODS.has(req.method)) {
        const csrf = req.get('x-csrf-token') ?? '';
        if (!session.csrfHash || hashToken(csrf) !== session.csrfHash) {
          throw new HttpError(403, 'csrf_token_invalid', 'Send the X-CSRF-Token header you received at sign-in with every change');
        }
      }
      if (session.user.status !== 'ACTIVE' || session.user.disabledAt) {
        throw new HttpError(403, 'account_not_active', 'This account is no longer active');
      }
      // Idle time counts from the last use (written at most every minute, or quarter of the timeout).
      if (now - session.lastSeenAt.getTime() > Math.min(60_000, idleMs / 4)) {
        await ctx.prisma.session.update({ where: { id: session.id }, data: { lastSeenAt: new Date(now) } });
      }
      res.locals.session = { sessionId: session.id, user: session.user } satisfies SessionInfo;
      next();
    } catch (err) {
      next(err);
    }
  };
}

export function sessionOf(res: Response): SessionInfo {
  const s = res.locals.session as SessionInfo | undefined;
  if (!s) throw new Error('sessionOf called on a route without authenticate()');
  return s;
}

/**
 * Interim guard of the support endpoints: a shared bearer token (SUPPORT_API_TOKEN) until staff
 * accounts and roles exist. The caller names themself in `X-Support-User` for the audit log.
 */
/** Whether the request's bearer token is `expected` (compared in constant time). */
function bearerIs(req: Request, expected: Buffer): boolean {
  const given = Buffer.from(req.get('authorization')?.replace(/^Bearer /, '') ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function requireSupport(ctx: ApiContext): RequestHandler {
  const expected = Buffer.from(ctx.config.supportApiToken);
  return (req, res, next) => {
    if (!bearerIs(req, expected)) {
      next(new HttpError(401, 'not_support', 'Support endpoints need the support bearer token'));
      return;
    }
    const who = req.get('x-support-user')?.trim();
    if (!who || !/^[\w.@ -]{2,100}$/.test(who)) {
      next(new HttpError(400, 'support_user_required', 'Name yourself in the X-Support-User header (2-100 letters, digits, . @ - _)'));
      return;
    }
    res.locals.supportUser = who;
    next();
  };
}

export type StaffRole = 'NURSE' | 'PHYSICIAN' | 'SUPERVISOR';
export interface StaffInfo {
  name: string;
  role: StaffRole;
}

/**
 * Interim guard of the reviewer endpoints: a shared bearer token (STAFF_API_TOKEN) until staff
 * accounts exist; the caller names themself (X-Staff-User) and their role (X-Staff-Role). The
 * case workflow checks the role of every decision again in its update validators.
 */
export function requireStaff(ctx: ApiContext): RequestHandler {
  const expected = Buffer.from(ctx.config.staffApiToken);
  return (req, res, next) => {
    if (!bearerIs(req, expected)) {
      next(new HttpError(401, 'not_staff', 'Reviewer endpoints need the staff bearer token'));
      return;
    }
    const name = req.get('x-staff-user')?.trim();
    const role = req.get('x-staff-role')?.trim().toUpperCase();
    if (!name || !/^[\w.@ -]{2,100}$/.test(name) || !role || !['NURSE', 'PHYSICIAN', 'SUPERVISOR'].includes(role)) {
      next(new HttpError(400, 'staff_identity_required', 'Name yourself in X-Staff-User and your role (NURSE, PHYSICIAN or SUPERVISOR) in X-Staff-Role'));
      return;
    }
    res.locals.staff = { name, role: role as StaffRole } satisfies StaffInfo;
    next();
  };
}

export function staffOf(res: Response): StaffInfo {
  const s = res.locals.staff as StaffInfo | undefined;
  if (!s) throw new Error('staffOf called on a route without requireStaff()');
  return s;
}
