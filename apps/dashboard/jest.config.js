// Unit tests of the dashboard's pure helpers (parsing, formatting, permissions, routing tables)
// in Node; what needs a browser is the e2e test (tools/e2e/src/dashboard.e2e.spec.ts).
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'dashboard',
  rootDir: __dirname,
  setupFiles: [],
};
