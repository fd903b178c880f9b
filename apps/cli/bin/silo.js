#!/usr/bin/env node
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const entry = path.resolve(__dirname, '../../../dist/apps/cli/src/main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('silo: the CLI is not built yet. Run `npm run build` (or `npm start`) in the Silo repository first.\n');
  process.exit(1);
}
require(entry);
