import { mkdirSync } from 'node:fs';
import { PGlite, type Extension } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * PostgreSQL for a laptop without one: PGlite (Postgres compiled to WASM) keeping its data in
 * `dataDir`, served over the Postgres wire protocol on loopback so Prisma and `pg` use it as
 * they would a real server. One PGlite instance runs one query at a time: fine for development,
 * not for load (tests and production use a real PostgreSQL).
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; host?: string }): Promise<EmbeddedPostgres> {
  mkdirSync(opts.dataDir, { recursive: true });
  // pg_trgm: code search's trigram indexes (the migrations create the extension). Required, not
  // imported: the package exports it by subpath, which this project's module resolution lacks.
  const { pg_trgm } = require('@electric-sql/pglite/contrib/pg_trgm') as { pg_trgm: Extension };
  const db = await PGlite.create({ dataDir: opts.dataDir, extensions: { pg_trgm } });
  const host = opts.host ?? '127.0.0.1';
  // The socket server takes a single connection unless told otherwise; Prisma pools several.
  const server = new PGLiteSocketServer({ db, port: opts.port, host, maxConnections: 20 });
  await server.start();
  return {
    url: `postgresql://postgres@${host}:${opts.port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

if (require.main === module) {
  // Run on its own (the start command does this): node scripts/pglite-server.ts <dataDir> <port>
  const [dataDir, port] = process.argv.slice(2);
  if (!dataDir || !port) {
    console.error('usage: pglite-server <dataDir> <port>');
    process.exit(2);
  }
  startEmbeddedPostgres({ dataDir, port: Number(port) }).then(
    (pg) => {
      console.log(JSON.stringify({ level: 'info', service: 'pglite', msg: 'embedded PostgreSQL listening', url: pg.url }));
      const stop = () => void pg.stop().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
    (err: Error) => {
      console.error(`embedded PostgreSQL failed to start: ${err.message}`);
      process.exit(1);
    },
  );
}
