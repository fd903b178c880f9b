module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'cluster',
  rootDir: __dirname,
  testMatch: ['**/*.e2e.spec.ts'],
  // run by plain `jest -c` (not Nx's executor), so the global timeout applies
  setupFilesAfterEnv: [],
  testTimeout: 240000,
};
