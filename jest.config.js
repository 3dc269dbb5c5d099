/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Types are checked once by `tsc --noEmit` in the test command; here files are only transpiled.
  // tsconfig.json sets isolatedModules, so ts-jest transpiles each file on its own (fast).
  transform: { '^.+\\.ts$': 'ts-jest' },
  // One Temporal dev server, one fresh database, one mail capture and one workflow bundle per run.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};
