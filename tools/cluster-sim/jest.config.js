module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'cluster-sim',
  rootDir: __dirname,
};
