import { runWorkerProcess } from './run';

runWorkerProcess().catch((err) => {
  console.error(JSON.stringify({ level: 'fatal', service: 'worker', msg: 'worker failed', err: String(err?.stack ?? err) }));
  process.exit(1);
});
