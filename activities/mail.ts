import { createHash, randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import nodemailer, { type Transporter } from 'nodemailer';
import type { PrismaClient } from '../common/db';

export interface Email {
  /** What the email is for within its workflow (for example `access-key-1`); one send per purpose. */
  purpose: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface EmailReceipt {
  messageId: string;
  /** True when an earlier attempt had already sent it and this call sent nothing. */
  alreadySent: boolean;
  /**
   * With `waitMs`: the SMTP server had not accepted it within that time. The send goes on in this
   * process; the next attempt for the same email waits for it and sends nothing more if it got through.
   */
  stillSending?: true;
}

export function createTransport(smtpUrl: string): Transporter {
  // Fail fast on an unreachable or stalled server (nodemailer waits minutes by default): the
  // activity's retry policy, not a hung socket, decides when to try again. Connections are
  // pooled and reused: a new one costs a TCP handshake, the server's greeting (servers pause
  // before it, 100 ms for the development server) and EHLO, and a case's answer waits for its
  // letter's first try. So a connection is not dropped after a number of messages (nodemailer's
  // default, 100, made one answer in a hundred 100 ms slower: the load-held p99), only when the
  // server closes it or it fails.
  return nodemailer.createTransport({ url: smtpUrl, pool: true, maxConnections: 5, maxMessages: Infinity, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 });
}

export interface MailDeps {
  prisma: PrismaClient;
  transport: Transporter;
  from: string;
}

/**
 * Attempts running in this process, by workflow and purpose: each resolves true once the SMTP
 * server has accepted its message. An attempt that stopped waiting (`waitMs`), or whose activity
 * timed out, is still running here, and the next attempt of the same email must not send beside it.
 * An entry leaves when its attempt has recorded the delivery or failed; one whose message was
 * accepted but could not be recorded stays, so that the next attempt only records it.
 */
const attempts = new Map<string, Promise<boolean>>();

const digestOf = (workflowId: string, purpose: string) => createHash('sha256').update(`${workflowId}\u0000${purpose}`).digest('hex');
const messageIdOfDigest = (digest: string) => `<${digest.slice(0, 32)}@prior-auth>`;

/** The Message-ID of a workflow's email for `purpose`: the same on every attempt, so mail systems recognise a copy. */
export function messageIdOf(workflowId: string, purpose: string): string {
  return messageIdOfDigest(digestOf(workflowId, purpose));
}

/**
 * Sends an email at most once per (workflow, purpose), however often the calling activity is
 * retried: the EmailDelivery row is the idempotency record. Once the SMTP server has accepted
 * the message, nothing may make the retry send it again:
 * - the activity heartbeats "accepted" at once, and Temporal hands that to the next attempt,
 *   which then only records the delivery (a database outage after the send cost a copy before);
 * - an attempt still running in this process is waited for (see `attempts`);
 * - recording SENT is tried again for the rest of the attempt before giving up.
 * The one window left is a crash between the SMTP server accepting the message and that
 * heartbeat reaching Temporal (milliseconds); the retry then sends again with the same
 * Message-ID, which lets mail systems recognise the copy.
 * `compose` runs only when the email still has to be sent (it may create what the email links to).
 * `waitMs`: answer `stillSending` rather than wait longer for the SMTP server (a first try that
 * must not hold its caller; the durable retry after it learns the outcome).
 * `recorded`: the caller's own statement just created the delivery row (see `messageIdOf`), so
 * there is nothing to look up or write before the send (the opening of a case does: two
 * statements fewer for its letter); `compose` is not called.
 */
export async function deliverOnce(
  deps: MailDeps,
  workflowId: string,
  purpose: string,
  compose: () => Promise<Omit<Email, 'purpose'>> | Omit<Email, 'purpose'>,
  opts: { waitMs?: number; recorded?: Omit<Email, 'purpose'> } = {},
): Promise<EmailReceipt> {
  const { prisma, transport, from } = deps;
  const key = { workflowId, purpose };
  const digest = digestOf(workflowId, purpose);
  const messageId = messageIdOfDigest(digest);
  const activity = activityContext();
  const accepted: SendProgress = { smtpAccepted: messageId };
  const markSent = () => recordSent(prisma, key, () => activity?.heartbeat(accepted), activity?.info.startToCloseTimeoutMs);

  const earlier = attempts.get(digest);
  if (acceptedEarlier(activity, messageId) || (earlier && (await earlier))) {
    await markSent();
    if (attempts.get(digest) === earlier) attempts.delete(digest);
    return { messageId, alreadySent: true };
  }
  let smtpAccepted!: (yes: boolean) => void;
  const entry = new Promise<boolean>((resolve) => (smtpAccepted = resolve));
  attempts.set(digest, entry);
  const attempt = (async () => {
    let sent = false;
    try {
      let email = opts.recorded;
      if (!email) {
        // Raw statements: every letter makes these, and a model query costs twice the CPU.
        const [existing] = await prisma.$queryRaw<{ status: string }[]>`
          SELECT "status" FROM "EmailDelivery" WHERE "workflowId" = ${workflowId} AND "purpose" = ${purpose}`;
        if (existing?.status === 'SENT') {
          await prisma.$executeRaw`UPDATE "EmailDelivery" SET "attempts" = "attempts" + 1 WHERE "workflowId" = ${workflowId} AND "purpose" = ${purpose}`;
          return true;
        }
        email = await compose();
        await prisma.$executeRaw`
          INSERT INTO "EmailDelivery" ("id", "workflowId", "purpose", "recipient", "subject", "messageId", "attempts")
          VALUES (${randomUUID()}::uuid, ${workflowId}, ${purpose}, ${email.to}, ${email.subject}, ${messageId}, 1)
          ON CONFLICT ("workflowId", "purpose") DO UPDATE SET "attempts" = "EmailDelivery"."attempts" + 1, "recipient" = EXCLUDED."recipient", "subject" = EXCLUDED."subject"`;
      }
      try {
        await transport.sendMail({ from, to: email.to, subject: email.subject, text: email.text, html: email.html, messageId });
      } catch (err) {
        await prisma.$executeRaw`UPDATE "EmailDelivery" SET "lastError" = ${String(err)} WHERE "workflowId" = ${workflowId} AND "purpose" = ${purpose}`;
        throw err;
      }
      sent = true;
      smtpAccepted(true);
      activity?.heartbeat(accepted);
      await markSent();
      if (attempts.get(digest) === entry) attempts.delete(digest);
      return false;
    } finally {
      if (!sent) {
        smtpAccepted(false);
        if (attempts.get(digest) === entry) attempts.delete(digest);
      }
    }
  })();
  const receipt = (alreadySent: boolean): EmailReceipt => ({ messageId, alreadySent });
  if (opts.waitMs === undefined) return receipt(await attempt);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), opts.waitMs)));
  try {
    const outcome = await Promise.race([attempt, late]);
    if (outcome !== 'late') return receipt(outcome);
    attempt.catch(() => undefined); // its failure is the next attempt's to meet
    return { messageId, alreadySent: false, stillSending: true };
  } finally {
    clearTimeout(timer);
  }
}

interface SendProgress {
  smtpAccepted: string;
}

/** The running (non-local) activity, which can heartbeat; undefined elsewhere. */
function activityContext(): Context | undefined {
  try {
    const ctx = Context.current();
    return ctx.info.isLocal ? undefined : ctx;
  } catch {
    return undefined;
  }
}

/** Whether an earlier attempt of this activity reported the message accepted by the SMTP server. */
function acceptedEarlier(activity: Context | undefined, messageId: string): boolean {
  const details = activity?.info.heartbeatDetails as SendProgress | undefined;
  return details?.smtpAccepted === messageId;
}

/** Marks the delivery SENT, trying again (a database restarting, say) until the attempt's time is nearly up. */
async function recordSent(prisma: PrismaClient, key: { workflowId: string; purpose: string }, stillAccepted: () => void, attemptMs = 20_000): Promise<void> {
  const deadline = Date.now() + Math.max(1000, attemptMs - 5000);
  for (let wait = 250; ; wait = Math.min(wait * 2, 2000)) {
    try {
      await prisma.$executeRaw`
        UPDATE "EmailDelivery" SET "status" = 'SENT', "sentAt" = ${new Date().toISOString()}::timestamp(3), "lastError" = NULL
        WHERE "workflowId" = ${key.workflowId} AND "purpose" = ${key.purpose}`;
      return;
    } catch (err) {
      if (Date.now() + wait > deadline) throw err;
      stillAccepted();
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** The workflow id of the running activity: the idempotency key of what it does. */
export function currentWorkflowId(): string {
  const workflowId = Context.current().info.workflowExecution?.workflowId;
  if (!workflowId) throw new Error('This activity runs only inside a workflow: its idempotency key is the workflow id');
  return workflowId;
}

export function mailActivities(deps: MailDeps) {
  return {
    /** Sends a message composed by the workflow, once per (workflow, purpose). */
    async sendEmail(email: Email): Promise<EmailReceipt> {
      const { purpose, ...message } = email;
      return deliverOnce(deps, currentWorkflowId(), purpose, () => message);
    },
  };
}
