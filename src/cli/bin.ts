/**
 * Process entry of the `s5` command: runs one command line and sets the exit status. bin/s5.cjs
 * loads this file's bundle (dist/node/s5.js, scripts/build-node.mjs) or, in a checkout without an
 * up-to-date build, runs it from source under tsx's loader.
 */
import { runCli } from './main';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const detail = err instanceof Error ? (process.env.S5_DEBUG ? err.stack ?? err.message : err.message) : String(err);
    process.stderr.write(`s5: internal error: ${detail}\n`);
    process.exitCode = 1;
  },
);
