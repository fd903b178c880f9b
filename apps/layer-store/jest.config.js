module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'layer-store',
  rootDir: __dirname,
};
