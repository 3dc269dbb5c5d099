import { Client, Connection } from '@temporalio/client';
import type { Config } from '../common/config';

/** The API's one Temporal client: it starts, signals, updates and queries workflows. */
export async function createTemporalClient(config: Config): Promise<Client> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: '5s' });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}
