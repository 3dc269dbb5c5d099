import { Client } from 'pg';
import type { MailCapture } from '../../scripts/mail-capture';
import type { TemporalDevServer } from '../../scripts/temporal-server';

export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as Record<string, unknown>).__stack as
    | { temporal: TemporalDevServer; mail: MailCapture; admin: string; dbName: string }
    | undefined;
  if (!stack) return;
  await stack.mail.stop();
  await stack.temporal.stop();
  const client = new Client({ connectionString: stack.admin });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${stack.dbName}" WITH (FORCE)`);
  await client.end();
}
