/**
 * Smoke test of the Forge + Vite pipeline without an Electron binary (research/stack.md §1e):
 * `electron-forge start` builds main, engine entry and preload, starts the renderer dev server and
 * spawns "Electron" from ELECTRON_OVERRIDE_DIST_PATH — here a shell script that records its
 * arguments and exits 0, which ends the run. Also checks what the bundles may require (a sandboxed
 * preload can only require 'electron') and the packager filter that decides what ships.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import forgeConfig, { dependencyClosure, makeIgnore } from '../../forge.config';
import { buildProductionBundles } from './forge-build';

const root = path.resolve(__dirname, '../..');
const build = (name: string) => path.join(root, '.vite', 'build', name);
const requiresOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('electron-forge start with a stub Electron', () => {
  let stubDir: string;
  let result: { code: number | null; output: string };

  beforeAll(async () => {
    stubDir = mkdtempSync(path.join(os.tmpdir(), 's5-electron-stub-'));
    const stub = path.join(stubDir, 'electron');
    writeFileSync(stub, `#!/bin/sh\nprintf '%s\\n' "$@" > "${stubDir}/args.txt"\nexit 0\n`);
    chmodSync(stub, 0o755);
    for (const name of ['main.js', 'preload.js', 'entry.js']) rmSync(build(name), { force: true });
    const forge = path.join(root, 'node_modules', '.bin', 'electron-forge');
    // Forge must not inherit Vitest's mode (NODE_ENV=test, VITEST*), as if run from a shell.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_ENV' && !k.startsWith('VITEST')));
    result = await run(forge, ['start'], { ...env, ELECTRON_OVERRIDE_DIST_PATH: stubDir });
  }, 240_000);

  afterAll(() => rmSync(stubDir, { recursive: true, force: true }));

  test('exits 0 after spawning the stub with the app folder', () => {
    expect(result.code, result.output).toBe(0);
    expect(readFileSync(path.join(stubDir, 'args.txt'), 'utf8').trim().split('\n')).toContain('.');
  });

  test('built main, preload and engine entry', () => {
    for (const name of ['main.js', 'preload.js', 'entry.js']) expect(existsSync(build(name)), name).toBe(true);
  });

  test("the sandboxed preload requires nothing but 'electron' (zod and src/shared are bundled)", () => {
    expect(new Set(requiresOf(build('preload.js')))).toEqual(new Set(['electron']));
  });

  test('main requires only electron and Node built-ins; the engine entry never requires electron', () => {
    for (const dep of requiresOf(build('main.js'))) expect(dep === 'electron' || dep.startsWith('node:'), dep).toBe(true);
    expect(requiresOf(build('entry.js'))).not.toContain('electron');
  });
});

describe('production bundles (what `electron-forge package` builds before it downloads Electron)', () => {
  beforeAll(() => buildProductionBundles(root, { renderer: false }), 240_000);

  test('main loads the renderer from app://, with no dev-server URL baked in', () => {
    const main = readFileSync(build('main.js'), 'utf8');
    expect(main).toContain('app://s5/index.html');
    expect(main).not.toMatch(/http:\/\/localhost:\d+/);
  });

  test("the production preload still requires nothing but 'electron'", () => {
    expect(new Set(requiresOf(build('preload.js')))).toEqual(new Set(['electron']));
  });
});

describe('packager filter', () => {
  const ignore = forgeConfig.packagerConfig?.ignore as (file: string) => boolean;

  test('ships the Vite output and the runtime packages, nothing else', () => {
    expect(ignore('/.vite/build/main.js')).toBe(false);
    expect(ignore('/.vite/renderer/main_window/index.html')).toBe(false);
    expect(ignore('/package.json')).toBe(false);
    expect(ignore('/node_modules')).toBe(false);
    expect(ignore('/node_modules/onnxruntime-node/package.json')).toBe(false);
    expect(ignore('/node_modules/@wasm-audio-decoders')).toBe(false);
    expect(ignore('/node_modules/@wasm-audio-decoders/flac/src/x.wasm')).toBe(false);
    expect(ignore('/src/main/main.ts')).toBe(true);
    expect(ignore('/test')).toBe(true);
    expect(ignore('/node_modules/electron')).toBe(true);
    expect(ignore('/node_modules/tsx')).toBe(true);
    expect(ignore('/node_modules/@electron-forge')).toBe(true);
  });

  test('the closure follows dependencies of dependencies', () => {
    const closure = dependencyClosure(['@wasm-audio-decoders/flac'], root);
    expect(closure.has('@wasm-audio-decoders/flac')).toBe(true);
    expect(closure.size).toBeGreaterThan(1); // it depends on @wasm-audio-decoders/common
    expect(makeIgnore(closure)('/node_modules/@wasm-audio-decoders/common')).toBe(false);
  });
});
