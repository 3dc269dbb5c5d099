import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Duration } from '@temporalio/common';
import { z } from 'zod';

/**
 * The one place environment variables are read. Every variable has a default that suits a
 * laptop; production refuses to start without the ones that have no safe default.
 * README.md lists the same variables: test/config.test.ts keeps the two in step.
 */
const port = z.coerce.number().int().min(0).max(65535);

const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration such as 30s, 15m or 24h')
  .transform((s) => s as Duration);

/** The project root (where package.json is), from source (tsx) and from compiled dist/ alike. */
export const ROOT_DIR = ((): string => {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
  }
  throw new Error(`No package.json above ${__dirname}`);
})();

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().min(1).default(path.join(ROOT_DIR, '.data')),

  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
  // HTTPS only (TLS 1.2+) when both are set: PEM files of the certificate (chain) and its key.
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  // Requests per client address per window on sign-in, registration and password reset.
  // Behind a load balancer or TLS proxy: which proxies' X-Forwarded-For to believe, as Express
  // reads it ("loopback", a subnet list, or a hop count). Unset: the client address as it connects.
  TRUST_PROXY: z.string().min(1).optional(),
  RATE_LIMIT_WINDOW: duration.default('15m'),
  RATE_LIMIT_SIGN_IN: z.coerce.number().int().positive().default(20),
  RATE_LIMIT_REGISTRATION: z.coerce.number().int().positive().default(10),
  RATE_LIMIT_PASSWORD_RESET: z.coerce.number().int().positive().default(5),
  PUBLIC_BASE_URL: z.url().default('http://localhost:3000'),

  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('prior-auth'),
  TEMPORAL_UI_URL: z.url().default('http://127.0.0.1:8233'),
  WORKER_SHUTDOWN_GRACE_MS: z.coerce.number().int().positive().default(10_000),
  // Workflows a worker keeps in memory between their steps (the rest are replayed from history
  // when they next act): bounds the worker's memory with many open cases.
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(1000),
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
  // Whether workflow code captures stacks: for the stack trace query (the Web UI's Stack Trace
  // tab) and the stacks of errors thrown in workflow code. Off, the worker spends about a sixth
  // less CPU per auto-approved case (the SDK captures a stack for every promise a workflow creates).
  WORKFLOW_STACK_TRACES: z.enum(['true', 'false'], 'must be true or false').default('false').transform((v) => v === 'true'),

  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL').optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().positive().default(10),
  // The API and the worker prepare each statement once per connection (common/db.ts). Off for
  // the embedded PGlite, whose one backend every connection shares (names would collide).
  DATABASE_PREPARED_STATEMENTS: z.enum(['true', 'false'], 'must be true or false').default('true').transform((v) => v === 'true'),
  PGLITE_PORT: port.default(5433),

  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
  MAIL_FROM: z.string().min(3).default('Prior Authorization <no-reply@prior-auth.local>'),
  MAIL_CAPTURE_SMTP_PORT: port.default(1025),
  MAIL_CAPTURE_HTTP_PORT: port.default(8025),

  SYSTEM_CHECK_TIMEOUT: duration.default('24h'),

  ACCESS_KEY_TTL: duration.default('24h'),
  ACCESS_KEY_MAX_SENDS: z.coerce.number().int().min(1).max(20).default(5),
  REGISTRATION_SIGN_IN_WINDOW: duration.default('60d'),
  // Absolute lifetime of a session, and the idle time after which it ends.
  SESSION_TTL: duration.default('8h'),
  SESSION_IDLE_TIMEOUT: duration.default('15m'),
  // Failed sign-ins in a row that lock an account, and for how long.
  LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).default(5),
  LOCKOUT_DURATION: duration.default('15m'),
  // Without a sign-in for longer than this, an account is locked until identity is confirmed.
  INACTIVITY_LOCK_AFTER: duration.default('45d'),
  // Multi-factor sign-in: the key that encrypts TOTP secrets (32 bytes, hex or base64), how long
  // the second step may take, and how long an emailed code works.
  MFA_ENCRYPTION_KEY: z.string().min(32).optional(),
  MFA_CHALLENGE_TTL: duration.default('5m'),
  MFA_EMAIL_CODE_TTL: duration.default('10m'),
  // How long an emailed password reset link works (once), and a new staff account's invitation.
  PASSWORD_RESET_TTL: duration.default('30m'),
  STAFF_INVITATION_TTL: duration.default('72h'),
  // How long the code emailed to unlock an account locked for inactivity works (once).
  IDENTITY_CODE_TTL: duration.default('15m'),

  // Decision timeframes come from the plan (hours); these override every plan (shortened in tests).
  STANDARD_DECISION_TIME: duration.optional(),
  EXPEDITED_DECISION_TIME: duration.optional(),
  DECISION_WARN_FRACTION: z.coerce.number().gt(0).lt(1).default(0.8),
  INFO_REQUEST_TIMEOUT: duration.default('5d'),
  // Order validity comes from the plan (days); this overrides it (shortened in tests).
  ORDER_VALIDITY: duration.optional(),
  EXTENSION_GRACE: duration.default('14d'),
  WORKFLOW_ID_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),

  // Support console: how often the mirror audit compares the database with the workflows, and
  // how young a change may be to count as in flight rather than drift.
  MIRROR_AUDIT_INTERVAL: duration.default('10m'),
  MIRROR_AUDIT_GRACE: duration.default('60s'),
  // A case is at risk when its decision is due within this time.
  AT_RISK_WITHIN: duration.default('24h'),
  // A registration waiting for a support decision longer than this is overdue (the seeds promise 24 hours).
  SUPPORT_DECISION_TIME: duration.default('24h'),
  // An activity is listed as stuck from this many failed attempts on.
  STUCK_AFTER_ATTEMPTS: z.coerce.number().int().min(1).default(2),
});

export type Env = z.infer<typeof envSchema>;
export type Config = Env & {
  databaseUrl: string;
  smtpUrl: string;
  mailCaptureUrl: string;
  workflowIdSecret: string;
  mfaEncryptionKey: string;
};

export class ConfigError extends Error {}

/** Reads and checks the environment; throws a ConfigError naming every bad variable at once. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(
    Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== '')),
  );
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  if (!env.TLS_CERT_FILE !== !env.TLS_KEY_FILE) {
    throw new ConfigError('Invalid environment:\n  TLS_CERT_FILE and TLS_KEY_FILE: set both (HTTPS) or neither (HTTP)');
  }
  if (env.NODE_ENV === 'production') {
    const missing = (['DATABASE_URL', 'SMTP_URL', 'WORKFLOW_ID_SECRET', 'MFA_ENCRYPTION_KEY'] as const).filter((k) => !env[k]);
    if (missing.length) {
      throw new ConfigError(`Invalid environment:\n${missing.map((k) => `  ${k}: required in production`).join('\n')}`);
    }
  }
  return {
    ...env,
    // Unset means the embedded defaults that `npm start` runs (PGlite, the mail capture).
    databaseUrl: env.DATABASE_URL ?? `postgresql://postgres@127.0.0.1:${env.PGLITE_PORT}/postgres`,
    smtpUrl: env.SMTP_URL ?? `smtp://127.0.0.1:${env.MAIL_CAPTURE_SMTP_PORT}`,
    mailCaptureUrl: `http://127.0.0.1:${env.MAIL_CAPTURE_HTTP_PORT}`,
    // Development defaults only: production refuses to start without real values (above).
    workflowIdSecret: env.WORKFLOW_ID_SECRET ?? 'development-only-workflow-id-secret',
    mfaEncryptionKey: env.MFA_ENCRYPTION_KEY ?? '00'.repeat(32),
  };
}

/** The variable names the config reads, for the README and docker-compose checks. */
export const ENV_VARS = Object.keys(envSchema.shape) as (keyof Env)[];
