import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs; one root logger per process, children carry context (request id,
 * workflow). Standard output unless a destination is given (tests read what was logged).
 */
export function createLogger(level: string, name: string, destination?: pino.DestinationStream): Logger {
  const options = {
    name,
    level,
    base: { service: name },
    // Credentials never reach the log, whatever a caller passes in.
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
