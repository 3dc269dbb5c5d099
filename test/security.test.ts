import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import express from 'express';
import { createApp } from '../api/app';
import { connect } from 'node:net';
import { listen } from '../api/server';
import { createLogger } from '../common/logger';
import { apiClient } from './support/http';
import { PASSWORD, signedInOffice } from './support/registration';
import { firstAdmin, signedInStaff } from './support/staff';
import { startStack, type TestStack } from './support/stack';

/** Transport and edge security: headers, rate limits, HTTPS only with TLS 1.2+, the audit log. */
let stack: TestStack;
let api: ReturnType<typeof apiClient>;
let SUPPORT: Record<string, string>;

beforeAll(async () => {
  stack = await startStack();
  api = apiClient(stack.baseUrl);
  SUPPORT = (await signedInStaff(stack, await firstAdmin(stack), 'SUPPORT')).auth;
});
afterAll(() => stack.stop());

test('security headers on every answer, and no framework banner', async () => {
  const res = await api.get('/healthz');
  expect(res.headers.get('x-powered-by')).toBeNull();
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
  expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
  expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  expect((await api.get('/no/such/page')).headers.get('x-content-type-options')).toBe('nosniff');
});

test('sign-in attempts are rate limited per address, in the error shape', async () => {
  // Its own API with a limit of 3, so that other tests' sign-ins do not count.
  const app = createApp({ config: { ...stack.config, RATE_LIMIT_SIGN_IN: 3, RATE_LIMIT_WINDOW: '1m' }, log: createLogger('silent', 'test'), prisma: stack.prisma, temporal: stack.temporal });
  const { server, url } = await listen(app, { API_HOST: '127.0.0.1', API_PORT: 0 });
  try {
    const limited = apiClient(url);
    const attempts = [];
    for (let i = 0; i < 4; i++) attempts.push(await limited.post('/api/sessions', { login: 'nobody-here', password: 'wrong password' }));
    expect(attempts.slice(0, 3).map((a) => a.status)).toEqual([401, 401, 401]);
    expect(attempts[3]!.status).toBe(429);
    expect(attempts[3]!.body.error).toMatchObject({ code: 'too_many_requests', message: expect.stringMatching(/^Too many sign-in attempts from your address: wait \d+ minute/) });
    expect(attempts[3]!.headers.get('ratelimit-policy')).toMatch(/q=3; w=60/);
    // Other endpoints are not limited by it.
    expect((await limited.get('/healthz')).status).toBe(200);
    // Without TRUST_PROXY a forged X-Forwarded-For does not give a fresh address.
    expect((await limited.post('/api/sessions', { login: 'nobody-here', password: 'x' }, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
  } finally {
    server.closeAllConnections?.();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('a request Node cannot parse (broken request line, headers over 16 KB) is answered in the error shape', async () => {
  const app = createApp({ config: stack.config, log: createLogger('silent', 'test'), prisma: stack.prisma, temporal: stack.temporal });
  const { server, url } = await listen(app, { API_HOST: '127.0.0.1', API_PORT: 0 });
  const raw = (request: string) =>
    new Promise<string>((resolve, reject) => {
      const { hostname, port } = new URL(url);
      const socket = connect(Number(port), hostname, () => socket.end(request));
      let answer = '';
      socket.on('data', (d) => (answer += d.toString()));
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
    });
  try {
    const broken = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Name: 1\r\n\r\n');
    expect(broken).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(broken).toContain('Content-Type: application/json');
    expect(JSON.parse(broken.slice(broken.indexOf('\r\n\r\n') + 4)).error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/not valid HTTP/) });
    const huge = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(JSON.parse(huge.slice(huge.indexOf('\r\n\r\n') + 4)).error).toMatchObject({ code: 'headers_too_large' });
  } finally {
    server.closeAllConnections?.();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('behind a trusted proxy, each client address has its own limit', async () => {
  const config = { ...stack.config, RATE_LIMIT_SIGN_IN: 1, RATE_LIMIT_WINDOW: '1m' as const, TRUST_PROXY: 'loopback' };
  const app = createApp({ config, log: createLogger('silent', 'test'), prisma: stack.prisma, temporal: stack.temporal });
  const { server, url } = await listen(app, { API_HOST: '127.0.0.1', API_PORT: 0 });
  try {
    const proxied = apiClient(url);
    const from = (ip: string) => proxied.post('/api/sessions', { login: 'nobody-here', password: 'x' }, { 'x-forwarded-for': ip });
    expect((await from('203.0.113.1')).status).toBe(401);
    expect((await from('203.0.113.1')).status).toBe(429);
    expect((await from('203.0.113.2')).status).toBe(401);
  } finally {
    server.closeAllConnections?.();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('the audit log is searchable by support and holds no password or token', async () => {
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  expect((await api.get('/api/support/audit')).status).toBe(401);
  const found = await api.get(`/api/support/audit?actor=${encodeURIComponent(`user:${office.userId}`)}&action=registration.`, SUPPORT);
  expect(found.status).toBe(200);
  expect(found.body.events.map((e: { action: string }) => e.action)).toEqual(['registration.first_sign_in', 'registration.email_confirmed', 'registration.submitted']);
  expect(found.body.events[0]).toMatchObject({ subjectType: 'user', subjectId: office.userId });

  const all = JSON.stringify(await stack.prisma.auditEvent.findMany(), (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  expect(all).not.toContain(PASSWORD);
  expect(all).not.toContain(office.auth.authorization.slice('Bearer '.length));
  for (const key of await stack.prisma.accessKey.findMany({ where: { userId: office.userId } })) expect(all).not.toContain(key.keyHash);
  expect((await api.get('/api/support/audit?from=yesterday', SUPPORT)).status).toBe(400);
});

test('the audit log is append-only in the database: no update, delete or truncate, whoever connects', async () => {
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  const row = await stack.prisma.auditEvent.findFirstOrThrow({ where: { subjectId: office.userId } });
  await expect(stack.prisma.auditEvent.update({ where: { id: row.id }, data: { actor: 'someone-else' } })).rejects.toThrow(/append-only: UPDATE/);
  await expect(stack.prisma.auditEvent.deleteMany({ where: { subjectId: office.userId } })).rejects.toThrow(/append-only: DELETE/);
  await expect(stack.prisma.$executeRawUnsafe('TRUNCATE "AuditEvent"')).rejects.toThrow(/append-only: TRUNCATE/);
  expect(await stack.prisma.auditEvent.findUniqueOrThrow({ where: { id: row.id } })).toEqual(row);
});

test('with a certificate and key the API speaks HTTPS only, TLS 1.2 or newer', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tls-'));
  try {
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    const app = express();
    app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
    const { server, url } = await listen(app, { API_HOST: '127.0.0.1', API_PORT: 0, TLS_CERT_FILE: cert, TLS_KEY_FILE: key });
    try {
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const port = Number(new URL(url).port);
      const get = (opts: https.RequestOptions) =>
        new Promise<{ status?: number; protocol?: string }>((resolve, reject) => {
          const req = https.get({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, ...opts }, (res) => {
            res.resume();
            resolve({ status: res.statusCode, protocol: (res.socket as tls.TLSSocket).getProtocol?.() ?? undefined });
          });
          req.on('error', reject);
        });
      const ok = await get({});
      expect(ok.status).toBe(200);
      expect(['TLSv1.2', 'TLSv1.3']).toContain(ok.protocol);
      await expect(get({ maxVersion: 'TLSv1.1', minVersion: 'TLSv1' })).rejects.toThrow();
      // Plain HTTP on the same port gets no answer.
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    } finally {
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
