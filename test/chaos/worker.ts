import { appendFileSync } from 'node:fs';
import { runWorkerProcess } from '../../worker/run';
import { failAfterWork } from '../support/faults';

/**
 * The chaos run's worker: the production worker process, plus steps that fail after their work
 * (CHAOS_AFTER_WORK_RATE of first attempts). Each injected failure is one line in
 * CHAOS_FAULT_LOG, which the harness counts.
 */
const rate = Number(process.env.CHAOS_AFTER_WORK_RATE ?? '0');
const logFile = process.env.CHAOS_FAULT_LOG;

runWorkerProcess({
  activityInterceptors: [
    failAfterWork({
      rate,
      onInjected: (f) => {
        if (logFile) appendFileSync(logFile, `${JSON.stringify(f)}\n`);
      },
    }),
  ],
}).catch((err) => {
  console.error(JSON.stringify({ level: 'fatal', service: 'worker', msg: 'worker failed', err: String(err?.stack ?? err) }));
  process.exit(1);
});
