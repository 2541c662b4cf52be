#!/usr/bin/env node
/**
 * Builds the plain-Node entry points to CommonJS bundles in `dist/node/` (esbuild), so the `s5`
 * command and web mode start without transpiling TypeScript on every run:
 *
 *   dist/node/s5.js          the `s5` command (src/cli/bin.ts), run by bin/s5.cjs
 *   dist/node/entry.js       the engine process (src/engine/process/entry.ts), forked by web mode
 *   dist/node/ort-worker.js  the ONNX Runtime worker thread (found next to the bundle that starts it)
 *   dist/node/web.js         web mode's server (src/web/server.ts)
 *   dist/node/build-info.json  what went in: bin/s5.cjs rebuilds nothing, it only checks that no
 *                            input is newer than the build and runs the sources through tsx if one is
 *
 * Native and wasm-carrying packages stay external and load from node_modules (as in
 * vite.main.config.mts). Each file is written under a temporary name and renamed, so a run of
 * `s5` during a rebuild sees the old or the new bundle, never half of one.
 *
 * Usage: node scripts/build-node.mjs [--if-stale] [--quiet]
 * (`npm run setup` runs it; `npm run build:node` by hand).
 */
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist', 'node');
const infoFile = path.join(outDir, 'build-info.json');

export const ENTRIES = {
  s5: 'src/cli/bin.ts',
  entry: 'src/engine/process/entry.ts',
  'ort-worker': 'src/engine/inference/ort-worker.ts',
  web: 'src/web/server.ts',
};

/** Loaded from node_modules at run time: native addons, wasm decoders, ws's optional addons. */
export const EXTERNAL = [
  'electron',
  'onnxruntime-node',
  'naudiodon',
  'segfault-handler',
  '@wasm-audio-decoders/flac',
  '@wasm-audio-decoders/ogg-vorbis',
  'mpg123-decoder',
  '@alexanderolsen/libsamplerate-js',
  'libflacjs',
  'ws',
  'tsx', // only the source fallback of the engine launcher resolves it
];

/** Besides the bundled sources: a change here also makes the bundle stale. */
const EXTRA_INPUTS = ['package.json', 'package-lock.json', 'scripts/build-node.mjs', 'tsconfig.json'];

/** True when the bundle exists and no input is newer than it (the rule bin/s5.cjs applies). */
export function isFresh() {
  try {
    const info = JSON.parse(readFileSync(infoFile, 'utf8'));
    for (const name of Object.keys(ENTRIES)) statSync(path.join(outDir, `${name}.js`));
    return info.inputs.every((rel) => statSync(path.join(root, rel)).mtimeMs <= info.builtAtMs);
  } catch {
    return false;
  }
}

export async function buildNode({ quiet = false } = {}) {
  const t0 = Date.now();
  // The time the inputs are compared with: taken before reading them, so an edit made during
  // the build makes the result stale rather than silently missing.
  const builtAtMs = Date.now();
  const tmp = path.join(outDir, `.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const result = await build({
      absWorkingDir: root,
      entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([k, v]) => [k, path.join(root, v)])),
      outdir: tmp,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20.19',
      external: EXTERNAL,
      sourcemap: 'external',
      legalComments: 'none',
      metafile: true,
      logLevel: 'warning',
      // The sources read package.json (version) through a JSON import; keep it as data.
      loader: { '.json': 'json' },
    });
    const inputs = new Set(EXTRA_INPUTS);
    for (const input of Object.keys(result.metafile.inputs)) {
      if (!input.startsWith('node_modules/')) inputs.add(input); // node_modules: package-lock.json stands for them
    }
    // V8 code caches of earlier bundles (bin/s5.cjs names them per build).
    for (const f of readdirSync(outDir)) if (f.endsWith('.cache')) rmSync(path.join(outDir, f), { force: true });
    for (const name of Object.keys(ENTRIES)) {
      for (const ext of ['.js', '.js.map']) renameSync(path.join(tmp, name + ext), path.join(outDir, name + ext));
    }
    const info = { builtAtMs, entries: ENTRIES, external: EXTERNAL, inputs: [...inputs].sort() };
    writeFileSync(path.join(tmp, 'build-info.json'), `${JSON.stringify(info, null, 1)}\n`);
    renameSync(path.join(tmp, 'build-info.json'), infoFile);
    if (!quiet) console.log(`== built ${Object.keys(ENTRIES).map((n) => `dist/node/${n}.js`).join(', ')} (${inputs.size} inputs, ${Date.now() - t0} ms)`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = new Set(process.argv.slice(2));
  if (args.has('--if-stale') && isFresh()) {
    if (!args.has('--quiet')) console.log('== dist/node is up to date');
  } else {
    await buildNode({ quiet: args.has('--quiet') });
  }
}
