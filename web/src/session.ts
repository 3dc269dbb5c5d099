import { ApiError, csrf, del, get } from './api';

export type AccessRole = 'PROVIDER' | 'NURSE' | 'PHYSICIAN' | 'SUPERVISOR' | 'SUPPORT' | 'ADMIN';

export interface Me {
  userId: string;
  username: string;
  name: string;
  accessRole: AccessRole;
  accessRoleLabel: string;
  role: string | null;
  roleLabel: string | null;
  email: string;
  organization: { name: string; addressLines: string[] } | null;
  tins: string[];
  healthPlans: { id: string; name: string; addedAt: string }[];
  lastSignInAt: string | null;
}

let current: Me | null | undefined;

/** The signed-in person, or null (asked of the API once, then kept until sign-out). */
export async function me(): Promise<Me | null> {
  if (current !== undefined) return current;
  try {
    current = await get<Me>('/api/me');
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
    current = null;
  }
  return current;
}

export function signedIn(user: Me, csrfToken: string): void {
  current = user;
  csrf.set(csrfToken);
}

/** Whether someone was signed in (as far as this page knows). */
export const wasSignedIn = () => !!current;

/** The profile as the API answered a change of it. */
export function remember(user: Me): void {
  current = user;
}

export function forget(): void {
  current = null;
  csrf.clear();
}

export async function signOut(): Promise<void> {
  await del('/api/sessions/current').catch(() => undefined);
  forget();
}

/** Where each role starts. */
export const HOME: Record<AccessRole, string> = {
  PROVIDER: '/cases',
  NURSE: '/review',
  PHYSICIAN: '/review',
  SUPERVISOR: '/review',
  SUPPORT: '/support',
  ADMIN: '/admin/users',
};
