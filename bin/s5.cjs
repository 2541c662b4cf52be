#!/usr/bin/env node
/**
 * npm bin entry of `s5` (package.json "bin"). Runs the bundled command line, dist/node/s5.js
 * (built by `npm run setup` / `npm run build:node`, scripts/build-node.mjs), when it is present
 * and no source it was built from is newer; otherwise (a checkout without a build, or sources
 * edited since) runs src/cli/bin.ts from source in a child Node under tsx's loader — slower to
 * start, same behaviour. S5_CLI_FROM_SOURCE=1 forces the source path, =0 the bundle (if built).
 * The exit status comes from runCli (0 ok, 1 data error, 2 usage error).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const distDir = path.join(root, 'dist', 'node');

/**
 * The build's info when the bundle is present and no input is newer than it, else null (the
 * same rule as isFresh() in scripts/build-node.mjs; kept here so this file needs no ESM import).
 */
function freshBuild() {
  try {
    const info = JSON.parse(fs.readFileSync(path.join(distDir, 'build-info.json'), 'utf8'));
    for (const name of Object.keys(info.entries)) fs.statSync(path.join(distDir, `${name}.js`));
    return info.inputs.every((rel) => fs.statSync(path.join(root, rel)).mtimeMs <= info.builtAtMs) ? info : null;
  } catch {
    return null;
  }
}

/**
 * Loads the bundle like require() would, with V8's code cache: the first run saves the compiled
 * code beside the bundle as `s5.js.<build time>.cache` (temp + rename; named per build so a cache
 * is only ever read with the bundle it was made from — scripts/build-node.mjs deletes old ones —
 * and V8 itself refuses one made by another V8 or with other flags); later runs skip most of the
 * parsing and compiling. Without a writable folder it just runs without a cache.
 */
function runBundle(file, builtAtMs) {
  const vm = require('node:vm');
  const Module = require('node:module');
  const cacheFile = `${file}.${builtAtMs}.cache`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        fs.rmSync(tmp, { force: true });
      }
    });
  }
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
}

/** S5_CLI_FROM_SOURCE=1: always the sources; =0: the bundle whenever it exists, fresh or not. */
function chosenBuild() {
  const choice = process.env.S5_CLI_FROM_SOURCE;
  if (choice === '1') return null;
  if (choice === '0') {
    try {
      return JSON.parse(fs.readFileSync(path.join(distDir, 'build-info.json'), 'utf8'));
    } catch {
      return null;
    }
  }
  return freshBuild();
}

const build = chosenBuild();
if (build) {
  runBundle(path.join(distDir, 's5.js'), build.builtAtMs);
} else {
  // tsx's full loader (--import): the engine's lazily imported decoders (import('./flac')) resolve
  // only through its ESM hooks, which its in-process CommonJS API does not install.
  const { spawn } = require('node:child_process');
  const { pathToFileURL } = require('node:url');
  const loader = pathToFileURL(require.resolve('tsx')).href;
  const child = spawn(process.execPath, ['--import', loader, path.join(root, 'src', 'cli', 'bin.ts'), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  // Ctrl+C reaches the child from the terminal itself (same process group): the parent only waits.
  // A signal sent to this process alone (kill PID) is passed on.
  const onSigint = () => {};
  const forward = (signal) => () => child.kill(signal);
  process.on('SIGINT', onSigint);
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, forward(signal));
  child.on('error', (err) => {
    process.stderr.write(`s5: internal error: cannot start Node for the sources: ${err.message}\n`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.removeAllListeners(s);
      process.kill(process.pid, signal);
    } else {
      process.exitCode = code ?? 1;
    }
  });
}
