/**
 * Smoke test of the Forge + Vite pipeline without an Electron binary (research/stack.md §1e):
 * `electron-forge start` builds main, engine entry and preload, starts the renderer dev server and
 * spawns "Electron" from ELECTRON_OVERRIDE_DIST_PATH — here a shell script that records its
 * arguments and exits 0, which ends the run. Also checks what the bundles may require (a sandboxed
 * preload can only require 'electron') and the packager filter that decides what ships.
 *
 * Then `electron-forge package` with a stand-in Electron distribution (a zip holding a shell
 * script that carries Electron's fuse wire, S5_ELECTRON_ZIP_DIR; no download): the packaged
 * layout (asar with main/engine/ORT-worker/preload/renderer, native modules unpacked, the shipped
 * models and the trainer beside it in resources/), the fuse wire read back from the packaged
 * "binary", and the packaged engine entry run under plain Node (resources path set as Electron
 * sets it) separating a demo scene with the packaged models and finding the packaged trainer.
 * All in one file: both builds write .vite/, so they must not run in parallel.
 */
import { execFileSync, fork, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { extractAll, listPackage } from '@electron/asar';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import forgeConfig, { dependencyClosure, FUSES, makeIgnore } from '../../forge.config';
import { EngineHost } from '../../src/host/engine-host';
import { adaptChildProcess } from '../../src/host/node-launcher';
import { toEngineArgv } from '../../src/shared/engine-protocol';
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
  }, 600_000);

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

// ---- electron-forge package with a stand-in Electron distribution ------------------------------

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron's own defaults (fuse wire v1, 8 fuses): RunAsNode, NODE_OPTIONS, inspect and file:// privileges on. */
const DEFAULT_WIRE = [1, 0, 1, 1, 0, 0, 0, 1];

/** `electron-v<version>-linux-x64.zip` holding a shell script with a fuse wire where the binary would be. */
function standInElectronZip(dir: string, version: string): void {
  const dist = path.join(dir, 'dist');
  mkdirSync(path.join(dist, 'resources'), { recursive: true });
  const wire = Buffer.from([1, DEFAULT_WIRE.length, ...DEFAULT_WIRE.map((on) => (on ? 0x31 : 0x30))]);
  const script = Buffer.from('#!/bin/sh\necho "stand-in Electron for packaging tests, not a real binary" >&2\nexit 1\n# ');
  writeFileSync(path.join(dist, 'electron'), Buffer.concat([script, Buffer.from(SENTINEL), wire, Buffer.from('\n')]), { mode: 0o755 });
  writeFileSync(path.join(dist, 'version'), version);
  writeFileSync(path.join(dist, 'LICENSE'), 'stand-in');
  writeFileSync(path.join(dist, 'resources', 'default_app.asar'), '');
  execFileSync('zip', ['-q', '-r', path.join(dir, `electron-v${version}-linux-x64.zip`), '.'], { cwd: dist });
}

/** The fuse bytes after the sentinel, read directly (independent of @electron/fuses). */
function fuseBytes(binary: string): number[] {
  const buf = readFileSync(binary);
  const at = buf.indexOf(SENTINEL) + SENTINEL.length;
  expect(at).toBeGreaterThan(SENTINEL.length - 1);
  return [...buf.subarray(at + 2, at + 2 + buf[at + 1])];
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('electron-forge package with a stand-in Electron distribution', () => {
  let tmp: string;
  let appDir: string; // <out>/S5 Studio-linux-x64
  let resources: string;
  let result: { code: number | null; output: string };
  const electronVersion = JSON.parse(readFileSync(path.join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version as string;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 's5-forge-package-'));
    standInElectronZip(path.join(tmp, 'electron-zip'), electronVersion);
    const forge = path.join(root, 'node_modules', '.bin', 'electron-forge');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_ENV' && !k.startsWith('VITEST')));
    result = await run(forge, ['package', '--platform', 'linux', '--arch', 'x64'], {
      ...env, S5_ELECTRON_ZIP_DIR: path.join(tmp, 'electron-zip'), S5_FORGE_OUT_DIR: path.join(tmp, 'out'), S5_SKIP_NATIVE_REBUILD: '1',
    });
    appDir = path.join(tmp, 'out', 'S5 Studio-linux-x64');
    resources = path.join(appDir, 'resources');
  }, 900_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('packages without downloading anything; the executable is named s5-studio', () => {
    expect(result.code, result.output).toBe(0);
    expect(existsSync(path.join(appDir, 's5-studio'))).toBe(true);
    expect(existsSync(path.join(appDir, 'electron'))).toBe(false);
  });

  test('the asar holds main, the engine entry, the ORT worker, preload, the renderer and the runtime packages', () => {
    const files = new Set(listPackage(path.join(resources, 'app.asar'), { isPack: false }).map((f) => f.replace(/\\/g, '/')));
    for (const f of ['/package.json', '/.vite/build/main.js', '/.vite/build/entry.js', '/.vite/build/ort-worker.js', '/.vite/build/preload.js', '/.vite/renderer/main_window/index.html']) {
      expect(files.has(f), f).toBe(true);
    }
    expect(files.has('/node_modules/onnxruntime-node/package.json')).toBe(true);
    expect([...files].some((f) => f.startsWith('/src/') || f.startsWith('/test/') || f.startsWith('/trainer/') || f.startsWith('/node_modules/tsx/'))).toBe(false);
  });

  test('native modules are unpacked from the asar', () => {
    const unpacked = path.join(resources, 'app.asar.unpacked', 'node_modules');
    const find = (dir: string, re: RegExp): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? find(path.join(dir, d.name), re) : re.test(d.name) ? [path.join(dir, d.name)] : []));
    const ort = find(path.join(unpacked, 'onnxruntime-node'), /\.(node|so(\.\d+)*)$/);
    expect(ort.some((f) => f.endsWith(path.join('linux', 'x64', 'onnxruntime_binding.node')))).toBe(true);
    expect(ort.some((f) => /libonnxruntime\.so/.test(f))).toBe(true);
    expect(find(path.join(unpacked, 'naudiodon'), /\.node$/).length).toBeGreaterThan(0);
  });

  test('resources/models carries every shipped model: manifest and the ONNX file it names', () => {
    const shipped = readdirSync(path.join(root, 'models'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    expect(shipped.length).toBeGreaterThan(0);
    expect(readdirSync(path.join(resources, 'models'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()).toEqual(shipped);
    for (const id of shipped) {
      const manifest = JSON.parse(readFileSync(path.join(resources, 'models', id, 'manifest.json'), 'utf8'));
      expect(sha256(path.join(resources, 'models', id, manifest.onnx_file ?? 'model.onnx')), id).toBe(manifest.sha256);
    }
  });

  test('resources/trainer carries the s5trainer package, its resources and pyproject.toml — no tests, no caches', () => {
    const t = path.join(resources, 'trainer');
    for (const f of ['s5trainer/__init__.py', 's5trainer/cli.py', 'resources/library_manifest.json', 'pyproject.toml']) expect(existsSync(path.join(t, f)), f).toBe(true);
    expect(readdirSync(t).sort()).toEqual(['README.md', 'pyproject.toml', 'resources', 's5trainer']);
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? [d.name, ...walk(path.join(dir, d.name))] : [d.name]));
    expect(walk(t).filter((n) => n === '__pycache__' || n.endsWith('.pyc'))).toEqual([]);
  });

  test('the fuses are flipped in the packaged binary as configured', async () => {
    const wire = fuseBytes(path.join(appDir, 's5-studio'));
    const expected = DEFAULT_WIRE.map((on, i) => {
      const set = (FUSES as Record<number, boolean | undefined>)[i];
      return (set === undefined ? on : set ? 1 : 0) ? 0x31 : 0x30;
    });
    expect(wire).toEqual(expected);
    expect(wire[FuseV1Options.RunAsNode]).toBe(0x30);
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(0x30);
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(0x30);
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(0x31);
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(0x31);
    expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(0x31);
    const read = await getCurrentFuseWire(path.join(appDir, 's5-studio'));
    expect(read[FuseV1Options.RunAsNode]).toBe(0x30);
  });

  test('the rebuild step names the ABI-specific native module (naudiodon) for Electron', () => {
    // Skipped in this test (no Electron headers can be downloaded here): S5_SKIP_NATIVE_REBUILD.
    expect(forgeConfig.rebuildConfig?.onlyModules).toEqual(expect.arrayContaining(['naudiodon']));
  });

  describe('the packaged engine entry under plain Node', () => {
    let host: EngineHost;
    let app: string;
    const data = () => path.join(tmp, 'data');

    beforeAll(async () => {
      app = path.join(tmp, 'app');
      extractAll(path.join(resources, 'app.asar'), app); // the unpacked files come along
      // What Electron gives every process of the packaged app: process.resourcesPath.
      const preload = path.join(tmp, 'resources-path.cjs');
      writeFileSync(preload, `process.resourcesPath = ${JSON.stringify(resources)};\n`);
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['S5_SHIPPED_MODELS', 'S5_TRAINER_DIR', 'S5_ORT_WORKER', 'NODE_OPTIONS'].includes(k) && !k.startsWith('VITEST')));
      host = new EngineHost({
        launch: (starts) =>
          adaptChildProcess(fork(path.join(app, '.vite', 'build', 'entry.js'), toEngineArgv({ shell: 'inprocess', starts }), {
            serialization: 'advanced', execArgv: ['-r', preload], env: { ...env, S5_DATA_DIR: data() }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          })),
      });
      await host.start();
    }, 600_000);

    afterAll(() => host?.dispose());

    const call = async (method: string, arg: unknown) => {
      const reply = await host.call(method, arg);
      if (!reply.ok) throw new Error(`${method}: ${reply.error.message}`);
      return reply.value as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    };

    test('lists the models from resources/models', async () => {
      const { models } = await call('listModels', {});
      const shipped = models.filter((m: { source: string }) => m.source === 'shipped');
      expect(shipped.length).toBeGreaterThanOrEqual(2);
      for (const m of shipped) {
        expect(m.dir.startsWith(path.join(resources, 'models'))).toBe(true);
        expect(m.valid, m.errors.join('; ')).toBe(true);
      }
    });

    test('separates a demo scene with them, as the repository build does', async () => {
      const scene = path.join(root, 'resources', 'demo', 'soundscape', 'demo_000000.wav');
      const out = path.join(tmp, 'separated');
      const r = await call('separate', { path: scene, outDir: out });
      expect(r.stems.length).toBeGreaterThan(0);
      for (const s of r.stems) expect(existsSync(path.join(out, 'demo_000000', s.file)), s.file).toBe(true);
      expect(existsSync(path.join(out, 'demo_000000', 'labels.json'))).toBe(true);
      // The same scene through the repository's own s5 (its models folder): the same tagger output.
      const ref = JSON.parse(execFileSync(process.execPath, [path.join(root, 'bin', 's5.cjs'), 'tag', scene, '--json'], { encoding: 'utf8', env: { ...process.env, S5_DATA_DIR: path.join(tmp, 'data-ref') } }));
      expect(r.timeline.length).toBe(ref.timeline.length);
      r.timeline.forEach((w: { probs: number[] }, i: number) => w.probs.forEach((p, k) => expect(Math.abs(p - ref.timeline[i].probs[k])).toBeLessThan(1e-4)));
      expect(r.labels.map((l: { label: string }) => l.label)).toEqual(ref.labels.map((l: { label: string }) => l.label));
    }, 600_000);

    test('finds the trainer in resources/trainer and checks its Python dependencies (doctor, trainDoctor)', async () => {
      const doc = await call('doctor', {});
      const system = doc.python.find((p: { executable: string }) => p.executable === '/usr/bin/python3');
      expect(system, JSON.stringify(doc.python)).toBeDefined();
      expect(system.trainer?.path).toBe(path.join(resources, 'trainer', 's5trainer'));
      for (const dep of ['numpy', 'scipy', 'soundfile']) expect(system.packages?.[dep], dep).toMatch(/^\d/);
      expect(system.problems).toEqual([]);
      const train = await call('trainDoctor', {});
      expect(train.ok, JSON.stringify(train.problems)).toBe(true);
    }, 600_000);
  });
});
