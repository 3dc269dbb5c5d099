import { loadConfig } from '../common/config';
import { createPrisma } from '../common/db';
import { createLogger } from '../common/logger';
import { createApp } from './app';
import { listen } from './server';
import { createTemporalClient } from './temporal';

/** API process: serve until SIGTERM/SIGINT, then finish in-flight requests and close. */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, 'api');
  const prisma = createPrisma(config.databaseUrl, config.DATABASE_POOL_SIZE, { preparedStatements: config.DATABASE_PREPARED_STATEMENTS });
  const temporal = await createTemporalClient(config);
  const app = createApp({ config, log, prisma, temporal });

  const { server, url } = await listen(app, config);
  log.info({ url }, 'api listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'api stopping');
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await temporal.connection.close();
    await prisma.$disconnect();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  console.error(JSON.stringify({ level: 'fatal', service: 'api', msg: 'api failed to start', err: String(err?.stack ?? err) }));
  process.exit(1);
});
