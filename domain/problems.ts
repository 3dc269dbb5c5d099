/**
 * Stuck work in the words a support person repeats to a caller: what an activity does, why it
 * fails, how long something has waited. Pure functions, shared by the worker (which records
 * problems) and the API (which explains them).
 */

const LETTERS: Record<string, string> = {
  decision: 'decision letter email',
  info_request: 'information request email',
  cancelled: 'cancellation letter email',
  peer_to_peer: 'peer-to-peer offer email',
};

const ACTIVITIES: Record<string, string> = {
  openCase: 'opening the case (checking the request and its guidelines)',
  mirrorCase: 'saving the case to the database',
  issueOrderNumber: 'issuing the order number',
  checkServicingProvider: 'checking the servicing provider',
  createAccount: 'saving the registration',
  issueAccessKey: 'access key email',
  markEmailConfirmed: 'recording the confirmed email address',
  verifyAccount: 'verifying the account against the roster',
  recordRegistrationOutcome: 'recording the registration decision',
  recordFirstSignIn: 'recording the first sign-in',
  mirrorRegistration: 'saving the registration to the database',
  issuePasswordReset: 'password reset email',
  completePasswordReset: 'setting the new password',
  sendPasswordChangedEmail: 'password changed email',
  issueIdentityConfirmation: 'identity confirmation code email',
  sendMfaEmailCode: 'sign-in code email',
  auditMirrors: 'checking the database mirror against the workflows',
};

/** What an activity does, in words: "decision letter email", "saving the case to the database". */
export function activityLabel(activityType: string, args: unknown[] = []): string {
  const first = (args[0] ?? {}) as { kind?: string; purpose?: string };
  if (activityType === 'sendCaseEmail') return LETTERS[first.kind ?? ''] ?? 'case email';
  if (activityType === 'sendRegistrationEmail') return `registration ${first.kind ?? 'status'} email`;
  if (activityType === 'issuePasswordReset' && first.purpose === 'INVITATION') return 'staff invitation email';
  if (activityType === 'sendEmail') return `email (${first.purpose ?? 'message'})`;
  return ACTIVITIES[activityType] ?? activityType;
}

/** The cause of a failure in words: "SMTP connection refused", "database unreachable". */
export function failureInWords(message: string, label = ''): string {
  const email = /email/.test(label);
  if (/ECONNREFUSED/.test(message)) return email ? 'SMTP connection refused' : /prisma|database|P1001|5432/i.test(message) ? 'database unreachable' : 'connection refused';
  if (/ETIMEDOUT|timed out/i.test(message)) return email ? 'SMTP server not answering' : 'timed out';
  if (/EAUTH|Invalid login/i.test(message)) return 'SMTP authentication failed';
  if (/P1001|P1017|Can't reach database|Connection terminated|ECONNRESET/i.test(message)) return 'database unreachable';
  if (/TMPRL1100|Nondeterminism/i.test(message)) return `the workflow code no longer matches the history it recorded (non-determinism, usually a bad deploy): ${message.replace(/^\[TMPRL1100\]\s*/, '')}`;
  return message.length > 300 ? `${message.slice(0, 297)}...` : message;
}

/** "3 h", "45 min", "2 d 4 h", "12 s". */
export function durationInWords(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 && h < 10 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** The message of the failure that the worker's core logs as Rust debug text (`Failure { message: "..." ... }`). */
export function coreFailureMessage(debugText: string): string {
  const m = /message: "((?:[^"\\]|\\.)*)"/.exec(debugText);
  return m ? m[1]!.replace(/\\"/g, '"').replace(/\\n/g, ' ') : debugText.slice(0, 300);
}
