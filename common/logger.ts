import pino, { type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs; one root logger per process, children carry context (request id, workflow). */
export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
    base: { service: name },
    // Credentials never reach the log, whatever a caller passes in.
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'], censor: '[redacted]' },
  });
}
