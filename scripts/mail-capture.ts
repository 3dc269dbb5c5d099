import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import express from 'express';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * A development mail server: a real SMTP server on loopback that keeps every message it
 * receives (in memory, and as .eml files when given a folder, so a restart keeps them), with a
 * mailbox page for people and a JSON API for tests. Never run in production: there, SMTP_URL
 * points at a real relay.
 */
export interface CapturedMessage {
  id: string;
  messageId?: string;
  receivedAt: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html?: string;
  /** Every http(s) link in the message, in order, as a reader would click them. */
  links: string[];
}

export interface MailCapture {
  smtpPort: number;
  httpUrl: string;
  messages(): Promise<CapturedMessage[]>;
  stop(): Promise<void>;
}

/**
 * A message as received: its recipients (the SMTP envelope's, which the mailbox filters by) and
 * its raw text, parsed the first time someone reads it. Parsing every message as it arrived cost
 * the capture about half a millisecond of CPU a letter, on the same cores as the system it serves
 * (the benchmark sends one letter a case, and reads none of them).
 */
interface Stored {
  id: string;
  receivedAt: string;
  to: string[];
  raw?: Buffer;
  parsed?: Promise<CapturedMessage>;
}

const LINK = /https?:\/\/[^\s<>"')]+/g;

function addresses(a: AddressObject | AddressObject[] | undefined): string[] {
  const list = Array.isArray(a) ? a : a ? [a] : [];
  return list.flatMap((x) => x.value.map((v) => (v.address ?? '').toLowerCase())).filter(Boolean);
}

async function parse(raw: Buffer, id: string, receivedAt: string): Promise<CapturedMessage> {
  const mail = await simpleParser(raw);
  const text = mail.text ?? '';
  const html = typeof mail.html === 'string' ? mail.html : undefined;
  const links = [...new Set([...(text.match(LINK) ?? []), ...((html ?? '').match(LINK) ?? [])])];
  return {
    id,
    messageId: mail.messageId,
    receivedAt,
    from: addresses(mail.from)[0] ?? '',
    to: addresses(mail.to),
    subject: mail.subject ?? '',
    text,
    html,
    links,
  };
}

export async function startMailCapture(opts: { smtpPort: number; httpPort: number; host?: string; dir?: string }): Promise<MailCapture> {
  const host = opts.host ?? '127.0.0.1';
  const store: Stored[] = [];
  const read = (m: Stored): Promise<CapturedMessage> => {
    if (!m.parsed) {
      // A message the parser refuses is still listed (it was accepted over SMTP), with the reason.
      m.parsed = parse(m.raw!, m.id, m.receivedAt).catch((err: Error) => ({
        id: m.id,
        receivedAt: m.receivedAt,
        from: '',
        to: m.to,
        subject: '(could not be parsed)',
        text: err.message,
        links: [],
      }));
      delete m.raw;
    }
    return m.parsed;
  };
  if (opts.dir) {
    mkdirSync(opts.dir, { recursive: true });
    // A file keeps the message, not its envelope: the recipients of earlier messages are their To.
    for (const file of readdirSync(opts.dir).filter((f) => f.endsWith('.eml')).sort()) {
      const [stamp, id] = file.replace(/\.eml$/, '').split('_');
      const parsed = parse(readFileSync(path.join(opts.dir, file)), id ?? file, new Date(Number(stamp)).toISOString());
      const m = await parsed;
      store.push({ id: m.id, receivedAt: m.receivedAt, to: m.to, parsed });
    }
  }

  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    banner: 'prior-auth development mail capture',
    // No reverse DNS lookup of each client (up to 1.5 s a connection where no resolver answers).
    disableReverseLookup: true,
    size: 10 * 1024 * 1024,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const id = randomUUID();
        const now = Date.now();
        try {
          if (opts.dir) writeFileSync(path.join(opts.dir, `${now}_${id}.eml`), raw);
        } catch (err) {
          callback(err as Error);
          return;
        }
        const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        store.push({ id, receivedAt: new Date(now).toISOString(), to, raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(opts.smtpPort, host, () => resolve());
  });
  const smtpPort = (smtp.server.address() as { port: number }).port;

  const app = express();
  const select = (to: unknown) =>
    Promise.all(store.filter((m) => typeof to !== 'string' || m.to.includes(to.toLowerCase())).reverse().map(read));
  app.get('/api/messages', async (req, res) => {
    res.json({ messages: await select(req.query.to) });
  });
  app.get('/api/messages/:id', async (req, res) => {
    const m = store.find((x) => x.id === req.params.id);
    if (m) res.json(await read(m));
    else res.status(404).json({ error: { code: 'not_found', message: `No message ${req.params.id}` } });
  });
  app.delete('/api/messages', (_req, res) => {
    store.length = 0;
    res.status(204).end();
  });
  app.get('/', async (req, res) => {
    res.type('html').send(page('Mailbox', mailboxList(await select(req.query.to))));
  });
  app.get('/messages/:id', async (req, res) => {
    const stored = store.find((x) => x.id === req.params.id);
    const m = stored && (await read(stored));
    if (!m) res.status(404).type('html').send(page('Not found', '<p>No such message.</p><p><a href="/">Back to the mailbox</a></p>'));
    else res.type('html').send(page(m.subject, messageView(m)));
  });
  const http: Server = await new Promise((resolve, reject) => {
    // Express 5 hands a listen error (a port taken) to this callback too.
    const s = app.listen(opts.httpPort, host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const httpPort = (http.address() as { port: number }).port;

  return {
    smtpPort,
    httpUrl: `http://${host}:${httpPort}`,
    messages: () => Promise.all(store.map(read)),
    async stop() {
      http.closeAllConnections();
      await Promise.all([
        new Promise<void>((r) => http.close(() => r())),
        new Promise<void>((r) => smtp.close(() => r())),
      ]);
    },
  };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · dev mailbox</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4rem;border-bottom:1px solid #ccc}
pre{white-space:pre-wrap;background:#f5f5f5;padding:1rem}a{color:#0645ad}</style></head>
<body><main>${body}</main></body></html>`;
}

function mailboxList(messages: CapturedMessage[]): string {
  const rows = messages
    .map((m) => `<tr><td>${esc(m.receivedAt)}</td><td>${esc(m.to.join(', '))}</td><td><a href="/messages/${esc(m.id)}">${esc(m.subject || '(no subject)')}</a></td></tr>`)
    .join('');
  return `<h1>Development mailbox</h1><p>${messages.length} message(s). Every email the platform sends in development lands here.</p>
<table><thead><tr><th scope="col">Received</th><th scope="col">To</th><th scope="col">Subject</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function messageView(m: CapturedMessage): string {
  const text = esc(m.text).replace(/https?:\/\/[^\s<>"')]+/g, (url) => `<a href="${url}">${url}</a>`);
  return `<p><a href="/">Back to the mailbox</a></p><h1>${esc(m.subject)}</h1>
<dl><dt>From</dt><dd>${esc(m.from)}</dd><dt>To</dt><dd>${esc(m.to.join(', '))}</dd><dt>Received</dt><dd>${esc(m.receivedAt)}</dd></dl>
<pre>${text}</pre>`;
}

if (require.main === module) {
  const [smtpPort, httpPort, dir] = process.argv.slice(2);
  if (process.env.NODE_ENV === 'production') {
    console.error('The development mail capture does not run in production: set SMTP_URL to a real mail server.');
    process.exit(2);
  }
  startMailCapture({ smtpPort: Number(smtpPort ?? 1025), httpPort: Number(httpPort ?? 8025), dir }).then(
    (mc) => {
      console.log(JSON.stringify({ level: 'info', service: 'mail-capture', msg: 'development mailbox ready', smtp: mc.smtpPort, mailbox: mc.httpUrl }));
      const stop = () => void mc.stop().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
    (err: Error) => {
      console.error(`mail capture failed to start: ${err.message}`);
      process.exit(1);
    },
  );
}
