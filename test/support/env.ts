/**
 * What global setup hands to the test files (through the environment, which Jest's workers
 * inherit): where the run's Temporal server, database, mail capture and workflow bundle are.
 */
export const TEST_ENV = {
  temporalAddress: 'TEST_TEMPORAL_ADDRESS',
  databaseUrl: 'TEST_DATABASE_URL',
  adminDatabaseUrl: 'TEST_ADMIN_DATABASE_URL',
  smtpUrl: 'TEST_SMTP_URL',
  mailboxUrl: 'TEST_MAILBOX_URL',
  bundlePath: 'TEST_WORKFLOW_BUNDLE',
  temporalCli: 'TEST_TEMPORAL_CLI',
} as const;

export function testEnv(key: keyof typeof TEST_ENV): string {
  const value = process.env[TEST_ENV[key]];
  if (!value) throw new Error(`${TEST_ENV[key]} is not set: run the tests with \`npm test\` (jest global setup sets it)`);
  return value;
}
