import { parseArgs } from 'node:util';
import { createTemporalClient } from '../api/temporal';
import { HttpError } from '../api/errors';
import { createStaffAccount, newStaffSchema } from '../api/staffAccounts';
import { loadConfig } from '../common/config';
import { createPrisma } from '../common/db';
import { createLogger } from '../common/logger';
import { masked } from '../api/routes/passwordResets';

/**
 * `npm run admin:create -- --username NAME --email ADDRESS --first-name F --last-name L [--role ROLE --plan ID ...]`
 *
 * Creates a staff account (an administrator unless --role says otherwise) exactly as the admin
 * API does, and emails its invitation. The way to make the first administrator of a new
 * deployment; later ones are made in the API by an administrator. Needs the database, Temporal
 * and a worker running (`npm start` in another terminal, or the deployment).
 */
const USAGE = 'usage: npm run admin:create -- --username NAME --email ADDRESS --first-name FIRST --last-name LAST [--role ADMIN|SUPPORT|NURSE|PHYSICIAN|SUPERVISOR] [--plan PLAN_ID ...]';

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        username: { type: 'string' },
        email: { type: 'string' },
        'first-name': { type: 'string' },
        'last-name': { type: 'string' },
        role: { type: 'string', default: 'ADMIN' },
        plan: { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const parsed = newStaffSchema.safeParse({
    username: values.username ?? '',
    email: values.email ?? '',
    firstName: values['first-name'] ?? '',
    lastName: values['last-name'] ?? '',
    accessRole: values.role.toUpperCase(),
    planIds: values.plan,
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) console.error(`--${flagOf(String(issue.path[0] ?? ''))}: ${issue.message}`);
    console.error(USAGE);
    return 2;
  }

  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL, 'admin-create');
  const prisma = createPrisma(config.databaseUrl, 1);
  const temporal = await createTemporalClient(config);
  try {
    const user = await createStaffAccount({ prisma, temporal, config, log }, parsed.data, { name: 'cli' });
    console.log(`Created ${user.accessRole} ${user.username} (${user.id}).`);
    console.log(`An invitation to choose a password is on its way to ${masked(user.email!)}; its link works once, for ${config.STAFF_INVITATION_TTL}.`);
    if (!config.SMTP_URL) console.log(`Development mail capture: ${config.mailCaptureUrl}`);
    return 0;
  } catch (err) {
    if (err instanceof HttpError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  } finally {
    await temporal.connection.close();
    await prisma.$disconnect();
  }
}

const flagOf = (field: string) => ({ firstName: 'first-name', lastName: 'last-name', accessRole: 'role', planIds: 'plan' })[field] ?? field;

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`admin:create failed: ${err?.stack ?? err}`);
    process.exit(1);
  },
);
