import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTransport } from 'nodemailer';
import { startMailCapture, type CapturedMessage, type MailCapture } from '../scripts/mail-capture';

/**
 * The development mail capture keeps each message as received and parses it when it is first
 * read: the mailbox filters by the envelope's recipients, answers the parsed message, and a
 * restart from its folder keeps what it had.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'mail-capture-'));
let capture: MailCapture | undefined;
afterAll(async () => {
  await capture?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const send = (port: number, to: string, subject: string) =>
  createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true }).sendMail({
    from: 'Prior Auth <no-reply@example.org>',
    to,
    subject,
    text: `Hello ${to}: https://example.org/cases/${encodeURIComponent(subject)}`,
    html: `<p>Hello <b>${to}</b></p>`,
  });

async function mailbox(url: string, to?: string): Promise<CapturedMessage[]> {
  const res = await fetch(`${url}/api/messages${to ? `?to=${encodeURIComponent(to)}` : ''}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: CapturedMessage[] }).messages;
}

test('messages are listed by recipient, newest first, parsed when read, and kept across a restart', async () => {
  capture = await startMailCapture({ smtpPort: 0, httpPort: 0, dir });
  const first = await send(capture.smtpPort, 'Ann@Example.org', 'first');
  await send(capture.smtpPort, 'bob@example.org', 'second');
  await send(capture.smtpPort, 'ann@example.org', 'third');
  expect(readdirSync(dir).filter((f) => f.endsWith('.eml'))).toHaveLength(3);

  const ann = await mailbox(capture.httpUrl, 'ANN@example.org');
  expect(ann.map((m) => m.subject)).toEqual(['third', 'first']);
  expect(ann[1]).toMatchObject({
    messageId: first.messageId,
    from: 'no-reply@example.org',
    to: ['ann@example.org'],
    links: ['https://example.org/cases/first'],
  });
  expect(ann[1]!.text).toContain('Hello Ann@Example.org');
  expect(ann[1]!.html).toContain('<b>Ann@Example.org</b>');
  expect((await mailbox(capture.httpUrl)).map((m) => m.subject)).toEqual(['third', 'second', 'first']);

  const one = await fetch(`${capture.httpUrl}/api/messages/${ann[0]!.id}`);
  expect(((await one.json()) as CapturedMessage).subject).toBe('third');
  const page = await fetch(`${capture.httpUrl}/messages/${ann[0]!.id}`);
  expect(await page.text()).toContain('<h1>third</h1>');
  expect((await capture.messages()).map((m) => m.subject)).toEqual(['first', 'second', 'third']);

  await capture.stop();
  capture = await startMailCapture({ smtpPort: 0, httpPort: 0, dir });
  expect((await mailbox(capture.httpUrl, 'bob@example.org')).map((m) => m.subject)).toEqual(['second']);
  expect((await mailbox(capture.httpUrl)).map((m) => m.subject)).toEqual(['third', 'second', 'first']);
});

test('an unknown message is a 404 in the error shape', async () => {
  capture ??= await startMailCapture({ smtpPort: 0, httpPort: 0, dir });
  const res = await fetch(`${capture.httpUrl}/api/messages/nope`);
  expect(res.status).toBe(404);
  expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'No message nope' } });
});
