/**
 * Electron Forge 7 configuration (loaded through jiti). Four Vite builds land in `.vite/build`:
 * main.js (Electron main), entry.js (the engine, run as a utilityProcess), ort-worker.js (the
 * engine's ONNX Runtime worker thread) and preload.js; the
 * Svelte renderer builds to `.vite/renderer/main_window`.
 *
 * Packaging: the Vite plugin's default keeps only `.vite/`, which would drop the runtime packages
 * vite.main.config.mts leaves external (onnxruntime-node, the wasm decoders, …). `packagerConfig.
 * ignore` below keeps `.vite/`, package.json and the installed closure of package.json's
 * `dependencies` (minus tools that only the CLI / web mode use).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ForgeConfig } from '@electron-forge/shared-types';
import { MakerZIP } from '@electron-forge/maker-zip';
import { MakerDeb } from '@electron-forge/maker-deb';
import { VitePlugin } from '@electron-forge/plugin-vite';

/** Runtime dependencies the desktop app does not need (tsx runs the CLI and web mode from source). */
const NOT_IN_APP = new Set(['tsx']);

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
const appDependencies = Object.keys(readManifest(path.join(projectDir, 'package.json')).dependencies ?? {}).filter(
  (name) => !NOT_IN_APP.has(name),
);

const config: ForgeConfig = {
  packagerConfig: {
    asar: { unpack: '**/*.{node,so,so.*,wasm}' },
    name: 'S5 Studio',
    executableName: 's5-studio',
    ignore: makeIgnore(dependencyClosure(appDependencies, projectDir)),
  },
  // onnxruntime-node ships prebuilt N-API binaries: nothing to rebuild against Electron's headers.
  rebuildConfig: { onlyModules: [] },
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
  ],
};

export default config;
