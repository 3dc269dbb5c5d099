import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { SMTPServer } from 'smtp-server';
import { createTransport, deliverOnce, mailActivities, type Email, type EmailReceipt } from '../activities/mail';
import { createPrisma } from '../common/db';
import { testEnv } from './support/env';
import { Mailbox } from './support/mailbox';
import { freePort } from './support/ports';

/**
 * The mail activity against the real database and the real SMTP capture. Only the activity's
 * context (which workflow it runs for) is supplied by the SDK's test environment.
 */
const prisma = createPrisma(testEnv('databaseUrl'), 2);
const mailbox = new Mailbox(testEnv('mailboxUrl'));
afterAll(() => prisma.$disconnect());

function inWorkflow(workflowId: string) {
  const env = new MockActivityEnvironment({ workflowExecution: { workflowId, runId: randomUUID() } });
  return { run: (send: (e: Email) => Promise<EmailReceipt>, email: Email) => env.run(send, email) as Promise<EmailReceipt> };
}

test('an email is sent once per (workflow, purpose) however often the activity runs', async () => {
  const workflowId = `test-${randomUUID()}`;
  const to = `office-${randomUUID()}@example.org`;
  const transport = createTransport(testEnv('smtpUrl'));
  const { sendEmail } = mailActivities({ prisma, transport, from: 'Test <test@prior-auth.local>' });
  const email = { purpose: 'access-key-1', to, subject: 'Your access key', text: 'Follow https://example.org/k/1' };

  const first = await inWorkflow(workflowId).run(sendEmail, email);
  const retried = await inWorkflow(workflowId).run(sendEmail, email);
  expect(first.alreadySent).toBe(false);
  expect(retried).toEqual({ messageId: first.messageId, alreadySent: true });

  // Another purpose in the same workflow is another email.
  await inWorkflow(workflowId).run(sendEmail, { ...email, purpose: 'access-key-2' });

  const messages = await mailbox.waitFor(to, { count: 2 });
  await new Promise((r) => setTimeout(r, 300));
  expect(await mailbox.list(to)).toHaveLength(2);
  expect(messages[0]).toMatchObject({ subject: 'Your access key', messageId: first.messageId, links: ['https://example.org/k/1'] });
  const row = await prisma.emailDelivery.findUniqueOrThrow({ where: { workflowId_purpose: { workflowId, purpose: 'access-key-1' } } });
  expect(row).toMatchObject({ status: 'SENT', attempts: 2, lastError: null });
  transport.close();
});

test('a mail server that refuses leaves the failure recorded, and the retry sends exactly one message', async () => {
  const workflowId = `test-${randomUUID()}`;
  const to = `office-${randomUUID()}@example.org`;
  const email = { purpose: 'decision-letter', to, subject: 'Decision', text: 'Approved.' };

  const down = createTransport(`smtp://127.0.0.1:${await freePort()}`);
  const failing = mailActivities({ prisma, transport: down, from: 'test@prior-auth.local' });
  await expect(inWorkflow(workflowId).run(failing.sendEmail, email)).rejects.toThrow(/ECONNREFUSED/);
  const failed = await prisma.emailDelivery.findUniqueOrThrow({ where: { workflowId_purpose: { workflowId, purpose: email.purpose } } });
  expect(failed).toMatchObject({ status: 'SENDING', attempts: 1, lastError: expect.stringContaining('ECONNREFUSED') });

  const up = createTransport(testEnv('smtpUrl'));
  const working = mailActivities({ prisma, transport: up, from: 'test@prior-auth.local' });
  await expect(inWorkflow(workflowId).run(working.sendEmail, email)).resolves.toMatchObject({ alreadySent: false });
  expect(await mailbox.waitFor(to)).toHaveLength(1);
  const sent = await prisma.emailDelivery.findUniqueOrThrow({ where: { workflowId_purpose: { workflowId, purpose: email.purpose } } });
  expect(sent).toMatchObject({ status: 'SENT', attempts: 2, lastError: null });
  down.close();
  up.close();
});

test('a first try that stops waiting for a slow mail server: the retrying step waits for it and sends nothing more', async () => {
  // A real SMTP server that takes 1.5 s to accept each message.
  const received: string[] = [];
  const slow = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, done) {
      let raw = '';
      stream.on('data', (d: Buffer) => (raw += d.toString()));
      stream.on('end', () => setTimeout(() => (received.push(raw), done()), 1500));
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => slow.listen(port, '127.0.0.1', resolve));
  const transport = createTransport(`smtp://127.0.0.1:${port}`);
  const deps = { prisma, transport, from: 'test@prior-auth.local' };
  const workflowId = `test-${randomUUID()}`;
  let composed = 0;
  const compose = () => (composed++, { to: `office-${randomUUID()}@example.org`, subject: 'Decision', text: 'Approved.' });
  try {
    const first = await deliverOnce(deps, workflowId, 'decision-2', compose, { waitMs: 200 });
    expect(first).toMatchObject({ alreadySent: false, stillSending: true });
    const retried = await deliverOnce(deps, workflowId, 'decision-2', compose);
    expect(retried).toEqual({ messageId: first.messageId, alreadySent: true });
    await new Promise((r) => setTimeout(r, 2000));
    expect(received).toHaveLength(1);
    expect(composed).toBe(1);
    const row = await prisma.emailDelivery.findUniqueOrThrow({ where: { workflowId_purpose: { workflowId, purpose: 'decision-2' } } });
    expect(row).toMatchObject({ status: 'SENT', attempts: 1, lastError: null });
  } finally {
    transport.close();
    await new Promise<void>((resolve) => slow.close(() => resolve()));
  }
});
