/**
 * Where the engine keeps user data, and where the shipped models are. The user data folder follows
 * the same rule as the Python trainer (trainer/s5trainer/paths.py): `$S5_DATA_DIR`, else
 * `$XDG_DATA_HOME/s5-studio`, else `~/.local/share/s5-studio`. Inside it: `models/<id>/` (user
 * models) and `settings.json`.
 *
 * Shipped models: `$S5_SHIPPED_MODELS` when set; in the packaged app `<resources>/models`
 * (Electron's `process.resourcesPath`); otherwise `<repo>/models`, found by walking up from this
 * file to the folder holding package.json (works from the sources under tsx and from `.vite/build`).
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.S5_DATA_DIR) return path.resolve(expandHome(env.S5_DATA_DIR));
  if (env.XDG_DATA_HOME) return path.join(path.resolve(expandHome(env.XDG_DATA_HOME)), 's5-studio');
  return path.join(os.homedir(), '.local', 'share', 's5-studio');
}

export function userModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(dataDir(env), 'models');
}

export function settingsFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(dataDir(env), 'settings.json');
}

export function shippedModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.S5_SHIPPED_MODELS) return path.resolve(expandHome(env.S5_SHIPPED_MODELS));
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  if (resources && existsSync(path.join(resources, 'models'))) return path.join(resources, 'models');
  return path.join(repoRoot(), 'models');
}

/** The nearest folder above this file that holds package.json (the repository or app root). */
export function repoRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}
