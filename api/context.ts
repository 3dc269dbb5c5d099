import type { Client } from '@temporalio/client';
import type { Config } from '../common/config';
import type { PrismaClient } from '../common/db';
import type { Logger } from '../common/logger';

/** What request handlers may use: the process's one config, logger, database and Temporal client. */
export interface ApiContext {
  config: Config;
  log: Logger;
  prisma: PrismaClient;
  temporal: Client;
}
