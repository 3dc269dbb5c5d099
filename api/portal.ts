import { createHash } from 'node:crypto';
import path from 'node:path';
import { build } from 'esbuild';
import type { RequestHandler } from 'express';
import { ROOT_DIR } from '../common/config';

/**
 * The web portal: a small TypeScript app (web/src) that uses the same JSON API as every other
 * client. esbuild bundles it in memory when the API first needs it (about 100 ms; no build step,
 * nothing downloaded), and the API serves it: /assets/app.js and /assets/app.css, and the page
 * itself for any other address a browser asks for (the app routes by path).
 */
export interface PortalAssets {
  files: Map<string, { type: string; body: Buffer; etag: string }>;
  index: string;
}

const SRC = path.join(ROOT_DIR, 'web/src');

export async function buildPortal(opts: { minify?: boolean } = {}): Promise<PortalAssets> {
  const result = await build({
    entryPoints: { app: path.join(SRC, 'main.ts') },
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    minify: opts.minify ?? false,
    outdir: 'out',
    logLevel: 'silent',
  });
  const files = new Map<string, { type: string; body: Buffer; etag: string }>();
  for (const f of result.outputFiles) {
    const name = path.basename(f.path);
    if (name.endsWith('.map')) continue;
    const body = Buffer.from(f.contents);
    files.set(`/assets/${name}`, { type: name.endsWith('.css') ? 'text/css' : 'text/javascript', body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` });
  }
  const v = (p: string) => files.get(p)!.etag.slice(1, 9);
  const index =
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<title>Prior Authorization Portal</title>' +
    `<link rel="stylesheet" href="/assets/app.css?v=${v('/assets/app.css')}"></head>` +
    `<body><div id="app"><noscript><p>The portal needs JavaScript.</p></noscript></div><script type="module" src="/assets/app.js?v=${v('/assets/app.js')}"></script></body></html>`;
  return { files, index };
}

/** Serves the portal; API paths, the document and health checks pass through to their routes. */
export function portal(opts: { minify?: boolean } = {}): RequestHandler & { ready: () => Promise<PortalAssets> } {
  let assets: Promise<PortalAssets> | undefined;
  const ready = () => (assets ??= buildPortal(opts));
  const handler: RequestHandler = (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path.startsWith('/api/') || req.path === '/openapi.json' || req.path === '/healthz') return next();
    const asset = req.path.startsWith('/assets/');
    // Browsers ask for text/html by name; API clients (Accept: */* or JSON) get the API's 404.
    if (!asset && !(req.get('accept') ?? '').includes('text/html')) return next();
    ready().then(
      (a) => {
        if (!asset) {
          res.type('html').set('Cache-Control', 'no-cache').send(a.index);
          return;
        }
        const f = a.files.get(req.path);
        if (!f) return next();
        res.set({ 'Cache-Control': 'no-cache', ETag: f.etag }).type(f.type);
        if (req.get('if-none-match') === f.etag) res.status(304).end();
        else res.send(f.body);
      },
      (err: unknown) => next(err),
    );
  };
  return Object.assign(handler, { ready });
}
