import type { Express } from 'express';
import { createApp } from '../api/app';
import { createPrisma } from '../common/db';
import { createLogger } from '../common/logger';
import { startStack, type TestStack } from './support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };

/** Every (method, path) the Express app really serves, read from its router. */
function mountedRoutes(app: Express): string[] {
  const out: string[] = [];
  const walk = (layers: Layer[]) => {
    for (const layer of layers) {
      if (layer.route) {
        for (const m of Object.keys(layer.route.methods)) out.push(`${m.toUpperCase()} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return out.sort();
}

test('/openapi.json describes exactly the endpoints the server mounts, with request and response schemas', async () => {
  const res = await fetch(`${stack.baseUrl}/openapi.json`);
  expect(res.status).toBe(200);
  const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, any>> };
  expect(doc.openapi).toBe('3.1.0');
  const documented = Object.entries(doc.paths)
    .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
    .sort();
  const app = createApp({ config: stack.config, log: createLogger('silent', 'test'), prisma: stack.prisma, temporal: stack.temporal });
  expect(documented).toEqual(mountedRoutes(app));
  expect(documented).toEqual(
    expect.arrayContaining(['GET /healthz', 'GET /openapi.json', 'POST /api/system-checks', 'GET /api/system-checks/{checkId}']),
  );

  const start = doc.paths['/api/system-checks']!.post;
  expect(start.requestBody.content['application/json'].schema).toMatchObject({
    type: 'object',
    properties: { email: { type: 'string', format: 'email' } },
    required: ['email'],
  });
  expect(start.responses['400'].content['application/json'].schema.properties.error.required).toEqual(
    expect.arrayContaining(['code', 'message']),
  );
  const confirm = doc.paths['/api/system-checks/{checkId}/confirm']!.get;
  expect(confirm.parameters).toEqual([
    expect.objectContaining({ name: 'checkId', in: 'path', required: true }),
    expect.objectContaining({ name: 'token', in: 'query', required: true }),
  ]);
});

test('errors share one shape and say what to fix', async () => {
  const post = (body: string, type = 'application/json') =>
    fetch(`${stack.baseUrl}/api/system-checks`, { method: 'POST', headers: { 'content-type': type }, body });

  const cases: [Response, number, string][] = [
    [await fetch(`${stack.baseUrl}/no/such/endpoint`), 404, 'not_found'],
    [await post('{"email": '), 400, 'invalid_json'],
    [await post('email=a@b.c', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type'],
    [await post(JSON.stringify({ email: `${'a'.repeat(200_000)}@example.org` })), 413, 'body_too_large'],
    [await post('{}'), 400, 'validation_failed'],
  ];
  for (const [res, status, code] of cases) {
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error).toEqual(expect.objectContaining({ code, message: expect.any(String), requestId: res.headers.get('x-request-id') }));
    expect(body.error.message.length).toBeGreaterThan(10);
  }
});

test("a caller's request id is kept; otherwise one is made", async () => {
  const given = await fetch(`${stack.baseUrl}/healthz`, { headers: { 'x-request-id': 'office-42.call-7' } });
  expect(given.headers.get('x-request-id')).toBe('office-42.call-7');
  const made = await fetch(`${stack.baseUrl}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
  expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
});

test('/healthz reports Temporal and the database up', async () => {
  const res = await fetch(`${stack.baseUrl}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ status: 'ok', checks: { temporal: { up: true }, database: { up: true } } });
});

test('/healthz answers 503 and names the database when it cannot be reached', async () => {
  // A real client pointed at a port where no database listens.
  const prisma = createPrisma('postgresql://postgres@127.0.0.1:1/none', 1);
  const app = createApp({ config: stack.config, log: createLogger('silent', 'test'), prisma, temporal: stack.temporal });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const { port } = server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ status: 'degraded', checks: { temporal: { up: true }, database: { up: false, error: expect.any(String) } } });
  } finally {
    server.close();
    await prisma.$disconnect();
  }
});
