// One project per test tier (see design.md). `npm run test:unit` runs the fast tiers, `npm run e2e` the
// MiniStack tier; `npm test` runs all of them.
const transform = { '^.+\\.ts$': '<rootDir>/test/support/esbuild-transform.js' };
const common = {
  transform,
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/support/setup.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  // Many tests talk to real servers (PostgreSQL, MariaDB, dynalite, CDK synthesis): on a loaded two-core
  // machine 5 s is not enough for a slow one. A bound against hangs, never a speed check (benchmarks are).
  testTimeout: 30_000,
  // Coverage (collected by `npm run test:unit`, V8's own counters: no instrumentation pass). Thresholds per
  // layer. cli/ measures 82.7% lines over the CLI-focused tests alone (2026-12-06; the whole unit run can only
  // add to that): test/unit/cli-program.test.ts parses the real program, so option checks count too.
  coverageProvider: 'v8',
  collectCoverageFrom: ['{core,adapters,functions,cli}/**/*.ts'],
  coverageReporters: ['text-summary', 'json-summary'],
  coverageThreshold: {
    './core/': { lines: 90 },
    './adapters/': { lines: 90 },
    './functions/': { lines: 80 },
    './cli/': { lines: 80 },
  },
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'functions', testMatch: ['<rootDir>/test/functions/**/*.test.ts'] },
    // Seeded, bounded mutations of every spec example through the real bridge handler (see test/fuzz).
    { ...common, displayName: 'fuzz', testMatch: ['<rootDir>/test/fuzz/**/*.test.ts'] },
    { ...common, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
    { ...common, displayName: 'statemachines', testMatch: ['<rootDir>/test/statemachines/**/*.test.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/e2e/global-setup.ts',
      globalTeardown: '<rootDir>/test/e2e/global-teardown.ts',
    },
  ],
};
