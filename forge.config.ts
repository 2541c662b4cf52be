/**
 * Electron Forge 7 configuration (loaded through jiti). Four Vite builds land in `.vite/build`:
 * main.js (Electron main), entry.js (the engine, run as a utilityProcess), ort-worker.js (the
 * engine's ONNX Runtime worker thread) and preload.js; the
 * Svelte renderer builds to `.vite/renderer/main_window`.
 *
 * Packaging: the Vite plugin's default keeps only `.vite/`, which would drop the runtime packages
 * vite.main.config.mts leaves external (onnxruntime-node, the wasm decoders, …). `packagerConfig.
 * ignore` below keeps `.vite/`, package.json and the installed closure of package.json's
 * `dependencies` (minus tools that only the CLI / web mode use). Native and wasm files are
 * unpacked from the asar (a .node/.so cannot be loaded from inside it).
 *
 * Beside the asar, in `<resources>/` (Electron's `process.resourcesPath`), the app carries
 * `models/` (the shipped models: src/engine/settings/paths.ts shippedModelsDir) and `trainer/`
 * (the `s5trainer` package, its resources and pyproject.toml, staged without tests or caches
 * into dist/package-resources/ by the prePackage hook: src/engine/training/python.ts trainerDir).
 *
 * Fuses, as Forge's own templates set them: no ELECTRON_RUN_AS_NODE, no NODE_OPTIONS, no
 * --inspect arguments, cookie encryption on, the app only from its asar, whose embedded integrity
 * is validated (where the platform supports it).
 *
 * Without network access (tests, offline builds): S5_ELECTRON_ZIP_DIR names a folder holding
 * `electron-v<version>-<platform>-<arch>.zip` to use instead of downloading Electron, and
 * S5_FORGE_OUT_DIR replaces `out/`.
 */
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { ForgeConfig } from '@electron-forge/shared-types';
import { MakerZIP } from '@electron-forge/maker-zip';
import { MakerDeb } from '@electron-forge/maker-deb';
import { VitePlugin } from '@electron-forge/plugin-vite';
import { FusesPlugin } from '@electron-forge/plugin-fuses';
import { FuseV1Options, FuseVersion } from '@electron/fuses';

/** Runtime dependencies the desktop app does not need (tsx: the CLI's and web mode's source fallback). */
const NOT_IN_APP = new Set(['tsx']);

/** Electron fuses of the packaged binary (the values of Forge's Vite template). */
export const FUSES = {
  version: FuseVersion.V1,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
} as const;

/** What of `trainer/` the app carries: the package, its data files, its metadata. */
export const TRAINER_PARTS = ['s5trainer', 'resources', 'pyproject.toml', 'README.md'];

/** Copies the trainer's shipped parts into `dest` (a fresh folder), without Python caches. */
export function stageTrainer(projectDir: string, dest: string): void {
  rmSync(dest, { recursive: true, force: true });
  for (const part of TRAINER_PARTS) {
    cpSync(path.join(projectDir, 'trainer', part), path.join(dest, part), {
      recursive: true,
      filter: (src) => !/(^|[\\/])__pycache__([\\/]|$)|\.py[co]$/.test(src),
    });
  }
}

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
const readManifest = (file: string): Manifest => JSON.parse(readFileSync(file, 'utf8')) as Manifest;

/** Names of the installed packages reachable from `roots` (hoisted layout; nested folders come along). */
export function dependencyClosure(roots: Iterable<string>, projectDir: string): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string) => {
    const manifest = path.join(projectDir, 'node_modules', name, 'package.json');
    if (seen.has(name) || !existsSync(manifest)) return; // optional dependencies may be absent
    seen.add(name);
    const { dependencies = {}, optionalDependencies = {} } = readManifest(manifest);
    for (const dep of Object.keys({ ...dependencies, ...optionalDependencies })) visit(dep);
  };
  for (const root of roots) visit(root);
  return seen;
}

/** Packager filter: true = leave `file` (a project-relative path starting with '/') out of the app. */
export function makeIgnore(modules: Set<string>): (file: string) => boolean {
  const scopes = new Set([...modules].filter((m) => m.startsWith('@')).map((m) => m.split('/')[0]));
  return (file) => {
    if (!file || file === '/package.json' || file === '/.vite' || file.startsWith('/.vite/')) return false;
    const parts = file.split('/').slice(1);
    if (parts[0] !== 'node_modules') return true;
    if (parts.length === 1) return false;
    if (parts[1].startsWith('@')) {
      if (parts.length === 2) return !scopes.has(parts[1]);
      return !modules.has(`${parts[1]}/${parts[2]}`);
    }
    return !modules.has(parts[1]);
  };
}

const projectDir = __dirname;
/** Where the prePackage hook stages the trainer (its basename is the folder name in resources/). */
export const STAGED_TRAINER = path.join(projectDir, 'dist', 'package-resources', 'trainer');
const appDependencies = Object.keys(readManifest(path.join(projectDir, 'package.json')).dependencies ?? {}).filter(
  (name) => !NOT_IN_APP.has(name),
);

const config: ForgeConfig = {
  packagerConfig: {
    asar: { unpack: '**/*.{node,so,so.*,wasm}' },
    name: 'S5 Studio',
    executableName: 's5-studio',
    ignore: makeIgnore(dependencyClosure(appDependencies, projectDir)),
    extraResource: [path.join(projectDir, 'models'), STAGED_TRAINER],
    ...(process.env.S5_ELECTRON_ZIP_DIR ? { electronZipDir: path.resolve(process.env.S5_ELECTRON_ZIP_DIR) } : {}),
  },
  ...(process.env.S5_FORGE_OUT_DIR ? { outDir: path.resolve(process.env.S5_FORGE_OUT_DIR) } : {}),
  hooks: {
    prePackage: async () => stageTrainer(projectDir, STAGED_TRAINER),
  },
  // onnxruntime-node ships prebuilt N-API binaries; naudiodon (PortAudio, Live) is a NAN addon
  // compiled for Node by npm ci and must be rebuilt against Electron's headers (downloaded; a
  // build without network sets S5_SKIP_NATIVE_REBUILD=1 and gets Live without PortAudio).
  rebuildConfig: { onlyModules: process.env.S5_SKIP_NATIVE_REBUILD === '1' ? [] : ['naudiodon', 'segfault-handler'] },
  makers: [new MakerZIP({}, ['linux']), new MakerDeb({ options: { name: 's5-studio', productName: 'S5 Studio' } })],
  plugins: [
    new VitePlugin({
      build: [
        { entry: 'src/main/main.ts', config: 'vite.main.config.mts', target: 'main' },
        { entry: 'src/engine/process/entry.ts', config: 'vite.main.config.mts', target: 'main' },
        // ONNX Runtime worker thread of the engine (.vite/build/ort-worker.js; src/engine/inference/ort-client.ts finds it next to entry.js)
        { entry: 'src/engine/inference/ort-worker.ts', config: 'vite.main.config.mts', target: 'main' },
        { entry: 'src/preload/preload.ts', config: 'vite.preload.config.mts', target: 'preload' },
      ],
      renderer: [{ name: 'main_window', config: 'vite.renderer.config.mts' }],
    }),
    new FusesPlugin(FUSES),
  ],
};

export default config;
