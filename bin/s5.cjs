#!/usr/bin/env node
/**
 * npm bin entry of `s5` (package.json "bin"): runs the TypeScript CLI (src/cli/main.ts)
 * straight from source through tsx's CommonJS loader, so `npx s5 …` works right after `npm ci`
 * with no build step. The exit status comes from runCli (0 ok, 1 data error, 2 usage error).
 */
'use strict';
const path = require('node:path');
const tsx = require('tsx/cjs/api');

const { runCli } = tsx.require(path.join(__dirname, '..', 'src', 'cli', 'main.ts'), __filename);

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`s5: internal error: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
