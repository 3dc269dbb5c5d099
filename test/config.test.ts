import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ENV_VARS, loadConfig, ROOT_DIR } from '../common/config';

test('README documents every environment variable the config reads', () => {
  const readme = readFileSync(path.join(ROOT_DIR, 'README.md'), 'utf8');
  const missing = ENV_VARS.filter((name) => !readme.includes(`\`${name}\``));
  expect(missing).toEqual([]);
});

test('defaults suit a laptop: embedded database and mail capture when unset', () => {
  const c = loadConfig({});
  expect(c).toMatchObject({
    NODE_ENV: 'development',
    API_PORT: 3000,
    TEMPORAL_ADDRESS: '127.0.0.1:7233',
    TEMPORAL_TASK_QUEUE: 'prior-auth',
    databaseUrl: 'postgresql://postgres@127.0.0.1:5433/postgres',
    smtpUrl: 'smtp://127.0.0.1:1025',
  });
  expect(loadConfig({ DATABASE_URL: 'postgresql://u@db:5432/pa', SMTP_URL: 'smtp://mail:25' })).toMatchObject({
    databaseUrl: 'postgresql://u@db:5432/pa',
    smtpUrl: 'smtp://mail:25',
  });
});

test('bad values are all named at once, with what is expected', () => {
  expect(() => loadConfig({ API_PORT: 'eighty', DATABASE_URL: 'mysql://x', SYSTEM_CHECK_TIMEOUT: 'soon' })).toThrow(
    /API_PORT: .*\n.*DATABASE_URL: must be a postgresql:\/\/ URL\n.*SYSTEM_CHECK_TIMEOUT: must be a duration/,
  );
});

test('production refuses to start on the development defaults', () => {
  expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
    /DATABASE_URL: required in production\n\s+SMTP_URL: required in production\n\s+WORKFLOW_ID_SECRET: required in production\n\s+MFA_ENCRYPTION_KEY: required in production/,
  );
  const prod = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://db/pa',
    SMTP_URL: 'smtps://relay:465',
    WORKFLOW_ID_SECRET: 'a-long-random-secret-value',
    MFA_ENCRYPTION_KEY: 'ab'.repeat(32),
  };
  expect(loadConfig(prod)).toMatchObject({ workflowIdSecret: prod.WORKFLOW_ID_SECRET, mfaEncryptionKey: prod.MFA_ENCRYPTION_KEY });
  expect(() => loadConfig({ ...prod, WORKFLOW_ID_SECRET: 'short' })).toThrow(/WORKFLOW_ID_SECRET: must be at least 16 characters/);
});
