import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Express } from 'express';
import type { Config } from '../common/config';

/**
 * Listens on the configured address: HTTPS only (TLS 1.2 or newer) when a certificate and key
 * are configured, plain HTTP otherwise (behind a TLS-terminating proxy, or on a laptop).
 */
export async function listen(app: Express, config: Pick<Config, 'API_HOST' | 'API_PORT' | 'TLS_CERT_FILE' | 'TLS_KEY_FILE'>): Promise<{ server: Server; url: string }> {
  const tls = config.TLS_CERT_FILE && config.TLS_KEY_FILE;
  const server: Server = tls
    ? createHttpsServer({ cert: readFileSync(config.TLS_CERT_FILE!), key: readFileSync(config.TLS_KEY_FILE!), minVersion: 'TLSv1.2' }, app)
    : createHttpServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.API_PORT, config.API_HOST, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.API_PORT;
  return { server, url: `${tls ? 'https' : 'http'}://${config.API_HOST}:${port}` };
}
