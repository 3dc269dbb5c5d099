import { bundleWorkflowCode, NativeConnection, Runtime, Worker } from '@temporalio/worker';

/**
 * The floor phase's worker (bench/floor/measure.ts), in a process of its own so that its CPU is
 * counted apart: bundled like the system's (stack capture off in the sandbox), the SDK's default
 * settings otherwise, the system's workflow cache size. Prints `ready <pid>`; stops on SIGTERM.
 */
/** The SDK's and the bundler's lines below a warning are left out. */
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };

async function main() {
  const [address, taskQueue] = process.argv.slice(2);
  Runtime.install({ shutdownSignals: ['SIGTERM'], logger: quiet });
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows'),
    preloadModules: [require.resolve('../../workflows/stackTraces')],
    logger: quiet,
  });
  const connection = await NativeConnection.connect({ address: address! });
  const worker = await Worker.create({ connection, taskQueue: taskQueue!, workflowBundle, activities: { step: async () => 'opened' }, maxCachedWorkflows: 1000 });
  console.log(`ready ${process.pid}`);
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
