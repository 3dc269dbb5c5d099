/** A small JSON client for the API under test: status, headers and parsed body of every answer. */
export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

export function apiClient(baseUrl: string) {
  async function call(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
    const res = await fetch(path.startsWith('http') ? path : `${baseUrl}${path}`, {
      method,
      headers: { accept: 'application/json', ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const type = res.headers.get('content-type') ?? '';
    const body = type.includes('json') ? await res.json() : await res.text();
    return { status: res.status, headers: res.headers, body };
  }
  return {
    get: (path: string, headers?: Record<string, string>) => call('GET', path, { headers }),
    post: (path: string, body: unknown = {}, headers?: Record<string, string>) => call('POST', path, { body, headers }),
    put: (path: string, body: unknown, headers?: Record<string, string>) => call('PUT', path, { body, headers }),
    patch: (path: string, body: unknown, headers?: Record<string, string>) => call('PATCH', path, { body, headers }),
    delete: (path: string, headers?: Record<string, string>) => call('DELETE', path, { headers }),
  };
}
