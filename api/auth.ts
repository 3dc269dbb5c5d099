import { randomBytes, randomUUID } from 'node:crypto';
import { msToNumber } from '@temporalio/common/lib/time';
import type { Request, RequestHandler, Response } from 'express';
import { hashToken } from '../common/tokens';
import { isPlanScoped, rolesInWords, type AccessRole } from '../domain/access';
import { Prisma, type User } from '../generated/prisma/client';
import type { ApiContext } from './context';
import { HttpError } from './errors';

/**
 * Sessions: an opaque random token, stored only as its hash, carried as a bearer token by API
 * clients or as an http-only SameSite=Strict cookie by browsers. Multi-factor sign-in, idle
 * timeouts, CSRF tokens and roles build on this (one place: `authenticate`, then `allow`).
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
      const session = await sessionByToken(ctx, given.token);
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

/**
 * The account's columns as its model has them, named (not `u.*`): the statement is prepared once
 * per connection (common/db.ts), and a column a migration adds must not change what it returns.
 */
const USER_COLUMNS = Prisma.raw(Object.values(Prisma.UserScalarFieldEnum).map((c) => `u."${c}"`).join(', '));

/**
 * A session and its account by the token's hash, in one query (every signed-in request asks):
 * the account's columns, the session's beside them.
 */
async function sessionByToken(ctx: ApiContext, token: string) {
  type Row = User & { sessionId: string; sessionLastSeenAt: Date; sessionExpiresAt: Date; sessionRevokedAt: Date | null; sessionCsrfHash: string | null };
  const [row] = await ctx.prisma.$queryRaw<Row[]>`
    SELECT ${USER_COLUMNS}, s."id" AS "sessionId", s."lastSeenAt" AS "sessionLastSeenAt", s."expiresAt" AS "sessionExpiresAt",
      s."revokedAt" AS "sessionRevokedAt", s."csrfHash" AS "sessionCsrfHash"
    FROM "Session" s JOIN "User" u ON u."id" = s."userId" WHERE s."tokenHash" = ${hashToken(token)}`;
  if (!row) return undefined;
  const { sessionId, sessionLastSeenAt, sessionExpiresAt, sessionRevokedAt, sessionCsrfHash, ...user } = row;
  return { id: sessionId, lastSeenAt: sessionLastSeenAt, expiresAt: sessionExpiresAt, revokedAt: sessionRevokedAt, csrfHash: sessionCsrfHash, user: user as User };
}

export function sessionOf(res: Response): SessionInfo {
  const s = res.locals.session as SessionInfo | undefined;
  if (!s) throw new Error('sessionOf called on a route without authenticate()');
  return s;
}

/**
 * Who may call an endpoint: the roles allowed, and the guard that enforces it (a live session,
 * then the role). Every route declares one, or `'public'`; the OpenAPI document lists the roles
 * (`x-roles`), and test/access.test.ts calls every endpoint as every role.
 */
export interface Security {
  roles: readonly AccessRole[];
  guard: RequestHandler;
}

export function allow(ctx: ApiContext, ...roles: AccessRole[]): Security {
  if (!roles.length) throw new Error('allow() needs at least one role');
  const signedIn = authenticate(ctx);
  return {
    roles,
    guard: (req, res, next) =>
      signedIn(req, res, (err?: unknown) => {
        if (err) {
          next(err);
          return;
        }
        const { user } = sessionOf(res);
        if (!roles.includes(user.accessRole)) {
          next(new HttpError(403, 'forbidden', `This is for ${rolesInWords(roles)}; you are signed in as ${rolesInWords([user.accessRole])}`));
          return;
        }
        next();
      }),
  };
}

/** How the signed-in user appears in the audit log and in workflow events. */
export const auditActor = (user: Pick<User, 'id'>) => `user:${user.id}`;

/** The signed-in staff member as a case workflow sees them: their username and role. */
export function staffActor(res: Response): { name: string; role: AccessRole } {
  const { user } = sessionOf(res);
  return { name: user.username ?? user.id, role: user.accessRole };
}

/**
 * The health plans a signed-in user acts for: a provider's plans, or the plans a reviewer is
 * assigned. Undefined for support and administrators, who are not limited to plans.
 */
export async function plansOf(ctx: ApiContext, user: Pick<User, 'id' | 'accessRole'>): Promise<string[] | undefined> {
  if (!isPlanScoped(user.accessRole) && user.accessRole !== 'PROVIDER') return undefined;
  return (await ctx.prisma.userHealthPlan.findMany({ where: { userId: user.id }, select: { planId: true } })).map((p) => p.planId);
}
