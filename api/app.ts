import { randomUUID } from 'node:crypto';
import { msToNumber } from '@temporalio/common/lib/time';
import express, { type Express, type RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { ApiContext } from './context';
import { errorHandler, HttpError, notFound } from './errors';
import { portal } from './portal';
import { mountRoutes, openApiDocument, openApiRoute } from './route';
import { healthRoutes } from './routes/health';
import { identityConfirmationRoutes } from './routes/identityConfirmations';
import { adminRoutes } from './routes/admin';
import { auditRoutes } from './routes/audit';
import { caseRoutes } from './routes/cases';
import { draftRoutes } from './routes/drafts';
import { passwordResetRoutes } from './routes/passwordResets';
import { referenceRoutes } from './routes/reference';
import { registrationRoutes } from './routes/registrations';
import { sessionRoutes } from './routes/sessions';
import { supportRoutes } from './routes/support';
import { systemCheckRoutes } from './routes/systemChecks';

const REQUEST_ID = /^[\w.-]{1,100}$/;

export function createApp(ctx: ApiContext): Express {
  const routes = [...healthRoutes(ctx), ...systemCheckRoutes(ctx), ...registrationRoutes(ctx), ...sessionRoutes(ctx), ...passwordResetRoutes(ctx), ...identityConfirmationRoutes(ctx), ...referenceRoutes(ctx), ...draftRoutes(ctx), ...caseRoutes(ctx), ...auditRoutes(ctx), ...adminRoutes(ctx), ...supportRoutes(ctx)];
  routes.push(openApiRoute(() => openApiDocument(routes, { title: 'Prior authorization platform API', version: '0.1.0', serverUrl: ctx.config.PUBLIC_BASE_URL })));

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // Client addresses feed the rate limits and the audit log: behind a proxy they come from it.
  if (ctx.config.TRUST_PROXY) {
    app.set('trust proxy', /^\d+$/.test(ctx.config.TRUST_PROXY) ? Number(ctx.config.TRUST_PROXY) : ctx.config.TRUST_PROXY);
  }
  app.use(
    pinoHttp({
      logger: ctx.log,
      // A caller's own request id is kept (when sane) so that logs can be joined across systems.
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' },
      // Paths only: query strings can carry link tokens, which never belong in a log. Answers
      // by status only: their headers carry the session cookie (Set-Cookie).
      serializers: {
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
          remoteAddress: req.remoteAddress,
        }),
      },
    }),
  );
  // Security headers (CSP, HSTS, no sniffing, no framing, no referrer leaks).
  app.use(helmet());
  const limit = (max: number, what: string): RequestHandler =>
    rateLimit({
      windowMs: msToNumber(ctx.config.RATE_LIMIT_WINDOW),
      limit: max,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: (_req, res, next) => {
        const retry = Math.ceil(Number(res.getHeader('Retry-After') ?? 60) / 60);
        next(new HttpError(429, 'too_many_requests', `Too many ${what} from your address: wait ${retry} minute(s) and try again`));
      },
    });
  // Middleware, not routes: the route registry (and /openapi.json) stays the one list of endpoints.
  const onPost = (paths: string[], limiter: RequestHandler): RequestHandler => (req, res, next) =>
    req.method === 'POST' && paths.includes(req.path) ? limiter(req, res, next) : next();
  app.use(onPost(['/api/sessions', '/api/identity-confirmations', '/api/sessions/mfa', '/api/sessions/mfa/email-code'], limit(ctx.config.RATE_LIMIT_SIGN_IN, 'sign-in attempts')));
  app.use(onPost(['/api/registrations', '/api/registrations/validate'], limit(ctx.config.RATE_LIMIT_REGISTRATION, 'registrations')));
  app.use(onPost(['/api/password-resets', '/api/password-resets/complete'], limit(ctx.config.RATE_LIMIT_PASSWORD_RESET, 'password reset requests')));
  app.use(express.json({ limit: '100kb' }));
  app.use(mountRoutes(routes));
  // The web portal: its assets, and its page for every other address a browser opens.
  app.use(portal({ minify: ctx.config.NODE_ENV === 'production' }));
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
