import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import { defaultPayloadConverter, type Headers } from '@temporalio/common';
import type { Config } from '../common/config';
import { REQUESTED_AT_HEADER } from '../workflows/requestTime';
import { buildIdsAtStart, workerBuilds } from './workerBuilds';

/** The API's one Temporal client: it starts, signals, updates and queries workflows. */
export async function createTemporalClient(config: Config): Promise<Client> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: '5s' });
  return temporalClient(connection, config.TEMPORAL_NAMESPACE, config.TEMPORAL_TASK_QUEUE);
}

/**
 * A client whose updates carry their request's time (the API's, and the test stack's in its
 * place), and whose workflows on `taskQueue` start with the `BuildIds` their first workflow task
 * would give them (api/workerBuilds.ts).
 */
export function temporalClient(connection: Connection, namespace: string, taskQueue: string): Client {
  const builds = workerBuilds(connection, namespace, taskQueue);
  void builds.refresh();
  return new Client({ connection, namespace, interceptors: { workflow: [requestedAtHeader, buildIdsAtStart(taskQueue, builds)] } });
}

/**
 * Every update carries the time it was asked for: what its handler stamps comes from there, the
 * same when the workflow replays (workflows/requestTime.ts says why the workflow's clock is not).
 */
export const requestedAtHeader: WorkflowClientInterceptor = {
  startUpdate: (input, next) => next({ ...input, headers: withRequestTime(input.headers) }),
  startUpdateWithStart: (input, next) => next({ ...input, updateHeaders: withRequestTime(input.updateHeaders) }),
};
const withRequestTime = (headers: Headers): Headers => ({ ...headers, [REQUESTED_AT_HEADER]: defaultPayloadConverter.toPayload(Date.now()) });
