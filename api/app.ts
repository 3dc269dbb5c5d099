import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import type { ApiContext } from './context';
import { errorHandler, notFound } from './errors';
import { mountRoutes, openApiDocument, openApiRoute } from './route';
import { healthRoutes } from './routes/health';
import { caseRoutes } from './routes/cases';
import { draftRoutes } from './routes/drafts';
import { referenceRoutes } from './routes/reference';
import { registrationRoutes } from './routes/registrations';
import { sessionRoutes } from './routes/sessions';
import { systemCheckRoutes } from './routes/systemChecks';

const REQUEST_ID = /^[\w.-]{1,100}$/;

export function createApp(ctx: ApiContext): Express {
  const routes = [...healthRoutes(ctx), ...systemCheckRoutes(ctx), ...registrationRoutes(ctx), ...sessionRoutes(ctx), ...referenceRoutes(ctx), ...draftRoutes(ctx), ...caseRoutes(ctx)];
  routes.push(openApiRoute(() => openApiDocument(routes, { title: 'Prior authorization platform API', version: '0.1.0', serverUrl: ctx.config.PUBLIC_BASE_URL })));

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
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
      // Paths only: query strings can carry link tokens, which never belong in a log.
      serializers: {
        req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
          remoteAddress: req.remoteAddress,
        }),
      },
    }),
  );
  app.use(express.json({ limit: '100kb' }));
  app.use(mountRoutes(routes));
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
