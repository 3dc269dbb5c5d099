/**
 * The portal speaks to the same JSON API as every other client. A browser session is the
 * http-only cookie set at sign-in; every change carries the session's CSRF token.
 */
export interface Problem {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
  get problems(): Problem[] {
    return (this.details.problems as Problem[] | undefined) ?? [];
  }
}

const CSRF_KEY = 'pa.csrf';
export const csrf = {
  get: () => localStorage.getItem(CSRF_KEY),
  set: (token: string) => localStorage.setItem(CSRF_KEY, token),
  clear: () => localStorage.removeItem(CSRF_KEY),
};

/** Called when the API says the session has ended: the router sends the person to sign in. */
let onSignedOut: (message: string) => void = () => {};
export const whenSignedOut = (fn: (message: string) => void) => {
  onSignedOut = fn;
};

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const token = csrf.get();
  if (method !== 'GET' && token) headers['x-csrf-token'] = token;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network', 'The portal cannot reach the server: check your connection and try again');
  }
  if (res.status === 204) return undefined as T;
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = json.error ?? {};
    const err = new ApiError(res.status, e.code ?? 'error', e.message ?? `The server answered ${res.status}`, e.details ?? {});
    if (res.status === 401 && (e.code === 'not_signed_in' || e.code === 'session_expired')) onSignedOut(err.message);
    throw err;
  }
  return json as T;
}

export const get = <T = any>(path: string) => api<T>('GET', path);
export const post = <T = any>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const put = <T = any>(path: string, body: unknown) => api<T>('PUT', path, body);
export const patch = <T = any>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const del = <T = any>(path: string) => api<T>('DELETE', path);
