import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { rolesInWords } from '../domain/access';
import type { Security } from './auth';
import { errorBodySchema, HttpError, validationError, type FieldProblem } from './errors';

/**
 * An endpoint is declared once, with the zod schemas that validate it. The same declarations
 * mount the Express handlers and produce /openapi.json, so the document cannot drift from
 * what the server accepts.
 */
type AnyObject = z.ZodObject<z.ZodRawShape>;
type Where = Parameters<typeof validationError>[0];

export interface RouteSpec<P extends AnyObject, Q extends AnyObject, B extends z.ZodType, R extends z.ZodType, H extends AnyObject = AnyObject> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express path syntax (`/things/:id`); converted to `{id}` in the document. */
  path: string;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  /** Request headers the endpoint reads, by their name as documented (matched without regard to case). */
  headers?: H;
  body?: B;
  /**
   * Replaces `body.safeParse` when the body needs more than one schema can say (for example
   * checks against the database whose problems are listed together with the schema's). The
   * schema still documents the body. Throws an HttpError to refuse.
   */
  parseBody?: (raw: unknown) => Promise<z.infer<B>>;
  /** The success status and the schema of its body. */
  status?: number;
  response: R;
  /** Other statuses this endpoint answers with besides 400/500, and when (error shape unless a schema is given). */
  errors?: Record<number, string | { description: string; schema: z.ZodType }>;
  /** Other media types offered besides JSON (for example a page for people following a link). */
  alsoProduces?: string[];
  /** Who may call it: `'public'`, or the roles allowed (`allow(ctx, ...roles)`). Required, so that no endpoint is open by omission. */
  security: 'public' | Security;
  handler: (
    input: { params: z.infer<P>; query: z.infer<Q>; headers: z.infer<H>; body: z.infer<B> },
    req: Request,
    res: Response,
  ) => Promise<z.infer<R> | void>;
}

export interface Route {
  method: RouteSpec<AnyObject, AnyObject, z.ZodType, z.ZodType, AnyObject>['method'];
  path: string;
  operation: Record<string, unknown>;
  handlers: RequestHandler[];
}

const empty = z.object({});

export function defineRoute<
  P extends AnyObject = typeof empty,
  Q extends AnyObject = typeof empty,
  B extends z.ZodType = z.ZodUndefined,
  R extends z.ZodType = z.ZodType,
  H extends AnyObject = typeof empty,
>(spec: RouteSpec<P, Q, B, R, H>): Route {
  const status = spec.status ?? 200;
  const headerNames = Object.keys(spec.headers?.shape ?? {});
  const handler: RequestHandler = async (req, res, next) => {
    try {
      const params = parse('path', spec.params ?? empty, req.params);
      const query = parse('query', spec.query ?? empty, req.query);
      const headers = parse('header', spec.headers ?? empty, Object.fromEntries(headerNames.map((name) => [name, req.get(name)])));
      let body: unknown = undefined;
      if (spec.body) {
        if (!req.is('application/json')) {
          throw new HttpError(415, 'unsupported_media_type', 'Send the body as JSON with Content-Type: application/json');
        }
        body = spec.parseBody ? await spec.parseBody(storable('body', req.body ?? {})) : parse('body', spec.body, req.body);
      }
      const result = await spec.handler({ params, query, headers, body } as never, req, res);
      // A handler may answer with another success status (res.locals.status), e.g. 200 for "already there".
      if (!res.headersSent) res.status((res.locals.status as number | undefined) ?? status).json(result);
    } catch (err) {
      next(err);
    }
  };
  const handlers = spec.security === 'public' ? [handler] : [spec.security.guard, handler];
  return { method: spec.method, path: spec.path, operation: operationOf(spec, status), handlers };
}

function parse<S extends z.ZodType>(where: Where, schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(storable(where, value ?? {}));
  if (!result.success) throw validationError(where, result.error);
  return result.data;
}

/**
 * PostgreSQL cannot store the NUL character or an unpaired UTF-16 surrogate in text or JSON: a
 * request carrying one anywhere (a value or a key) is refused here, with the fields named,
 * rather than failing at the database. Walks without recursion: a body may nest deeply.
 */
function storable<T>(where: Where, value: T): T {
  type Item = { v: unknown; key?: string; parent?: Item };
  const field = (item: Item): string => {
    const path: string[] = [];
    for (let i: Item | undefined = item; i?.key !== undefined; i = i.parent) path.unshift(i.key);
    return [where, ...path].join('.');
  };
  const problems: FieldProblem[] = [];
  const check = (s: string, item: Item, what: string) => {
    const problem = s.includes('\u0000') ? 'the NUL character (\\u0000)' : UNPAIRED_SURROGATE.test(s) ? 'an unpaired UTF-16 surrogate (not Unicode text)' : undefined;
    if (problem) problems.push({ field: field(item), message: `${what} contains ${problem}: remove it` });
  };
  const todo: Item[] = [{ v: value }];
  for (let item = todo.pop(); item && problems.length < 20; item = todo.pop()) {
    if (typeof item.v === 'string') check(item.v, item, 'The text');
    else if (item.v && typeof item.v === 'object') {
      for (const [key, v] of Object.entries(item.v)) {
        const child = { v, key, parent: item };
        check(key, child, 'The name');
        todo.push(child);
      }
    }
  }
  if (problems.length) {
    throw new HttpError(400, 'validation_failed', `The request has ${problems.length} problem(s): ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, { problems });
  }
  return value;
}
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function mountRoutes(routes: Route[]): Router {
  const router = Router();
  for (const r of routes) router[r.method](r.path, ...r.handlers);
  return router;
}

// ---- OpenAPI -------------------------------------------------------------------------------

const jsonSchema = (s: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' });

function parametersOf(where: 'path' | 'query' | 'header', schema: AnyObject | undefined) {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => {
    const s = field as z.ZodType;
    const js = jsonSchema(s, 'input') as Record<string, unknown>;
    delete js.$schema;
    return {
      name,
      in: where,
      required: where === 'path' || !s.safeParse(undefined).success,
      ...(s.description ? { description: s.description } : {}),
      schema: js,
    };
  });
}

function content(schema: z.ZodType, io: 'input' | 'output') {
  const js = jsonSchema(schema, io) as Record<string, unknown>;
  delete js.$schema;
  return { 'application/json': { schema: js } };
}

function operationOf(spec: RouteSpec<AnyObject, AnyObject, z.ZodType, z.ZodType, AnyObject>, status: number) {
  const errorContent = content(errorBodySchema, 'output');
  const errors: Record<number, string | { description: string; schema: z.ZodType }> = {
    400: 'The request is invalid; `details.problems` lists every problem',
    500: 'Unexpected failure; quote the request id to support',
  };
  if (spec.body) Object.assign(errors, { 413: 'The body is too large', 415: 'The body is not JSON' });
  const secured = spec.security === 'public' ? undefined : spec.security;
  if (secured) {
    Object.assign(errors, {
      401: 'Not signed in, or the session has ended',
      403: `Signed in, but not as ${rolesInWords(secured.roles)}`,
    });
  }
  Object.assign(errors, spec.errors);
  const success: Record<string, unknown> = { ...content(spec.response, 'output') };
  for (const type of spec.alsoProduces ?? []) success[type] = { schema: { type: 'string' } };
  return {
    operationId: `${spec.method}${spec.path.replace(/[/:{}-]+(\w)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: spec.summary,
    ...(secured ? { description: `For ${rolesInWords(secured.roles)}.` } : {}),
    tags: [spec.tag],
    parameters: [...parametersOf('path', spec.params), ...parametersOf('query', spec.query), ...parametersOf('header', spec.headers)],
    // Public operations say so (an empty requirement) rather than inheriting a default.
    security: secured ? [{ sessionBearer: [] }, { sessionCookie: [] }] : [],
    ...(secured ? { 'x-roles': [...secured.roles] } : {}),
    ...(spec.body ? { requestBody: { required: true, content: content(spec.body, 'input') } } : {}),
    responses: {
      [status]: { description: 'Success', content: success },
      ...Object.fromEntries(
        Object.entries(errors).map(([code, e]) =>
          typeof e === 'string'
            ? [code, { description: e, content: errorContent }]
            : [code, { description: e.description, content: content(e.schema, 'output') }],
        ),
      ),
    },
  };
}

export function openApiDocument(routes: Route[], info: { title: string; version: string; serverUrl: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const p = r.path.replace(/:(\w+)/g, '{$1}');
    (paths[p] ??= {})[r.method] = r.operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version },
    servers: [{ url: info.serverUrl }],
    paths,
    components: {
      securitySchemes: {
        sessionBearer: { type: 'http', scheme: 'bearer', description: 'The token from POST /api/sessions' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'pa_session', description: 'Browsers: the session cookie, with X-CSRF-Token on every change' },
      },
    },
  };
}

/** GET /openapi.json: the document describes itself too, built once on first request. */
export function openApiRoute(build: () => ReturnType<typeof openApiDocument>): Route {
  let doc: ReturnType<typeof openApiDocument> | undefined;
  return defineRoute({
    method: 'get',
    path: '/openapi.json',
    tag: 'operations',
    summary: 'This OpenAPI 3.1 document, generated from the schemas that validate requests; `x-roles` lists who may call each operation',
    security: 'public',
    response: z.record(z.string(), z.unknown()),
    handler: async () => (doc ??= build()),
  });
}
