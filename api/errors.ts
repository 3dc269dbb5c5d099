import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';

/** The one error shape every endpoint answers with: `{ error: { code, message, details } }`. */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().describe('Stable machine-readable code, e.g. validation_failed'),
      message: z.string().describe('What went wrong and how to fix it'),
      details: z.unknown().optional(),
      requestId: z.string().optional(),
    }),
  });

export type ErrorBody = z.infer<typeof errorBodySchema>;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** Every problem of a request at once, each with the field it belongs to. */
export function validationError(where: 'body' | 'query' | 'path' | 'header', error: z.ZodError): HttpError {
  const problems: FieldProblem[] = error.issues.map((i) => ({
    field: [where, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  const summary = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return new HttpError(400, 'validation_failed', `The request has ${problems.length} problem(s): ${summary}`, { problems });
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `No endpoint ${req.method} ${req.path}; see /openapi.json for the list`));
};

/**
 * Failures of Express itself and of body-parser carry a status (and body-parser's a `type`):
 * turn them into answers that say what to fix, in the error shape, instead of a 500.
 */
function fromFramework(err: { type?: string; status?: number; statusCode?: number; limit?: number; expose?: boolean; message?: string }): HttpError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new HttpError(400, 'invalid_json', 'The request body is not valid JSON');
    case 'entity.too.large':
      return new HttpError(413, 'body_too_large', `The request body is larger than the ${err.limit} byte limit`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_encoding', 'Send the body as UTF-8 JSON');
  }
  // The router could not decode a percent-escape of the path ("%E0%A4").
  if (err instanceof URIError) return new HttpError(400, 'invalid_path', `The address is not valid: ${err.message}; write a literal % as %25`);
  const status = err.status ?? err.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // For example a body that says Content-Encoding: gzip but is not gzip.
    return new HttpError(status, 'unreadable_request', `The request could not be read${err.expose && err.message ? `: ${err.message}` : ''}; check its headers and body`);
  }
  return undefined;
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const known = err instanceof HttpError ? err : fromFramework(err);
  const requestId = String(req.id ?? '');
  if (!known) {
    // Unexpected: log with context, answer without internals.
    req.log.error({ err }, 'unhandled error');
  }
  const e = known ?? new HttpError(500, 'internal_error', 'Something went wrong on our side; quote the request id to support');
  const body: ErrorBody = { error: { code: e.code, message: e.message, details: e.details, requestId } };
  res.status(e.status).json(body);
};
