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
