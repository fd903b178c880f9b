module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'e2e',
  rootDir: __dirname,
  // run by plain `jest -c` (not Nx's executor), so the global timeout applies
  setupFilesAfterEnv: [],
  testTimeout: 180000,
};
