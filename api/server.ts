import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { createServer as createHttpsServer } from 'node:https';
import type { Express } from 'express';
import type { Config } from '../common/config';
import type { ErrorBody } from './errors';

/**
 * Listens on the configured address: HTTPS only (TLS 1.2 or newer) when a certificate and key
 * are configured, plain HTTP otherwise (behind a TLS-terminating proxy, or on a laptop).
 */
export async function listen(app: Express, config: Pick<Config, 'API_HOST' | 'API_PORT' | 'TLS_CERT_FILE' | 'TLS_KEY_FILE'>): Promise<{ server: Server; url: string }> {
  const tls = config.TLS_CERT_FILE && config.TLS_KEY_FILE;
  const server: Server = tls
    ? createHttpsServer({ cert: readFileSync(config.TLS_CERT_FILE!), key: readFileSync(config.TLS_KEY_FILE!), minVersion: 'TLSv1.2' }, app)
    : createHttpServer(app);
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.API_PORT, config.API_HOST, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.API_PORT;
  return { server, url: `${tls ? 'https' : 'http'}://${config.API_HOST}:${port}` };
}

/**
 * A request Node cannot parse (a broken request line, headers over its 16 KB limit) never reaches
 * Express; without this, Node answers a bare 400 or 431 with no body. Here it gets the API's
 * error shape like every other refusal.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body: ErrorBody = {
    error: tooLarge
      ? { code: 'headers_too_large', message: 'The request headers are too large: send at most 16 KB of headers (cookies and tokens included)' }
      : { code: 'bad_request', message: 'The request is not valid HTTP/1.1: check the request line, the header names and values, and the Content-Length' },
  };
  const text = JSON.stringify(body);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
}
