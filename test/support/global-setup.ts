import { mkdtempSync, writeFileSync } from 'node:fs';
import { migrateAndSeed } from './databases';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createPrisma } from '../../common/db';
import { bundleWorkflows } from '../../worker/worker';
import { startMailCapture } from '../../scripts/mail-capture';
import { ensureTemporalCli, startTemporalDevServer } from '../../scripts/temporal-server';
import { TEST_ENV } from './env';
import { freePort } from './ports';

/** Postgres server the tests create their database on: DATABASE_URL's server, else the local one. */
function adminUrl(): string {
  const url = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
  url.pathname = '/postgres';
  return url.toString();
}

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const work = mkdtempSync(path.join(tmpdir(), 'prior-auth-test-'));

  const [cli, bundle] = await Promise.all([ensureTemporalCli(), bundleWorkflows()]);
  const bundlePath = path.join(work, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  const temporal = await startTemporalDevServer({ cli, ip: '127.0.0.1', port: await freePort(), namespace: 'default' });

  const admin = adminUrl();
  const dbName = `prior_auth_test_${process.pid}_${Date.now()}`;
  const dbUrl = new URL(admin);
  dbUrl.pathname = `/${dbName}`;
  try {
    const client = new Client({ connectionString: admin });
    await client.connect();
    await client.query(`CREATE DATABASE "${dbName}"`);
    await client.end();
    await migrateAndSeed(dbUrl.toString());
  } catch (err) {
    // Jest skips the teardown when setup fails: stop the server here, or it outlives the run.
    await temporal.stop();
    throw err;
  }

  const mail = await startMailCapture({ smtpPort: 0, httpPort: 0 });

  Object.assign(process.env, {
    [TEST_ENV.temporalAddress]: temporal.address,
    [TEST_ENV.databaseUrl]: dbUrl.toString(),
    [TEST_ENV.adminDatabaseUrl]: admin,
    [TEST_ENV.smtpUrl]: `smtp://127.0.0.1:${mail.smtpPort}`,
    [TEST_ENV.mailboxUrl]: mail.httpUrl,
    [TEST_ENV.bundlePath]: bundlePath,
    [TEST_ENV.temporalCli]: cli,
  });
  (globalThis as Record<string, unknown>).__stack = { temporal, mail, admin, dbName };
  console.log(`\n[test] stack up in ${Date.now() - started} ms: Temporal ${temporal.address}, database ${dbName}, mail ${mail.httpUrl}`);
}
