/**
 * The layout's import rules (docs/ARCHITECTURE.md, "Layout rules"), checked on the source tree so
 * the folders keep showing the processes: every import specifier of every file under src/ is read
 * with TypeScript's own pre-parser (static, dynamic, `export … from`, `require`, and the
 * `<script>` blocks of .svelte files), relative paths are resolved, and each edge between top-level
 * folders must be an allowed one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const SRC = join(ROOT, 'src');

/** Which top-level folder of src/ may import which (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  shared: [],
  engine: ['shared'],
  host: ['shared'],
  cli: ['engine', 'shared'],
  web: ['host', 'shared'],
  main: ['host', 'shared'],
  preload: ['shared'],
  renderer: ['shared'],
};
/** Files outside src/ that a folder may import (the engine reads its version from package.json). */
const ALLOWED_OUTSIDE: Record<string, readonly string[]> = { engine: ['package.json'] };
/** Packages only some folders may import. */
const ELECTRON_FOLDERS = ['main', 'preload'];
/** Folders that run without Node (sandboxed preload, the renderer) or must stay portable (shared). */
const NO_NODE_BUILTINS = ['shared', 'preload', 'renderer'];
const SHARED_PACKAGES = ['zod'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|mts|cts|svelte)$/.test(e.name) ? [p] : [];
  });
}

/** The code TypeScript should pre-parse: the file itself, or the script blocks of a component. */
function scriptText(file: string): string {
  const text = readFileSync(file, 'utf8');
  if (!file.endsWith('.svelte')) return text;
  return [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
}

function importsOf(file: string): string[] {
  const info = ts.preProcessFile(scriptText(file), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** Top-level folder of src/ a path lies in ('' for a file directly in src/), or null outside src/. */
function folderOf(abs: string): string | null {
  const rel = relative(SRC, abs);
  if (rel.startsWith('..')) return null;
  const parts = rel.split(sep);
  return parts.length > 1 ? parts[0] : '';
}

interface Edge {
  from: string; // top-level folder of the importing file
  file: string; // the importing file, relative to the repository
  spec: string; // the specifier as written
}

const isBuiltin = (spec: string) => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]);
const packageOf = (spec: string) =>
  spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];

/** Every rule an import breaks, as "file: spec (rule)"; empty when it keeps them all. */
function broken(e: Edge): string[] {
  const out: string[] = [];
  const why = (rule: string) => out.push(`${e.file}: '${e.spec}' (${rule})`);
  if (e.spec.startsWith('.')) {
    const target = resolve(ROOT, dirname(e.file), e.spec);
    const to = folderOf(target);
    if (to === null) {
      const outside = relative(ROOT, target);
      if (!(ALLOWED_OUTSIDE[e.from] ?? []).includes(outside)) {
        why(outside.split(sep)[0] === 'test' ? 'src/ never imports test/' : `src/${e.from} may not import ${outside}`);
      }
    } else if (to !== e.from && !(ALLOWED[e.from] ?? []).includes(to)) {
      why(`src/${e.from} may import ${ALLOWED[e.from]?.join(', ') || 'nothing else'}, not src/${to}`);
    }
    return out;
  }
  if (packageOf(e.spec) === 'electron' && !ELECTRON_FOLDERS.includes(e.from)) {
    why(`only ${ELECTRON_FOLDERS.join(' and ')} import electron`);
  }
  if (NO_NODE_BUILTINS.includes(e.from) && isBuiltin(e.spec)) why(`src/${e.from} runs without Node built-ins`);
  if (e.from === 'shared' && !isBuiltin(e.spec) && !SHARED_PACKAGES.includes(packageOf(e.spec))) {
    why(`src/shared imports no package but ${SHARED_PACKAGES.join(', ')}`);
  }
  return out;
}

const edges: Edge[] = sourceFiles(SRC).flatMap((abs) =>
  importsOf(abs).map((spec) => ({ from: folderOf(abs) ?? '', file: relative(ROOT, abs), spec })),
);

describe('layout: import rules between the folders of src/', () => {
  it('reads the source tree (imports in .ts and .svelte files, relative and package)', () => {
    // Guards the check itself: a reader that found nothing would pass every rule.
    const folders = new Set(edges.map((e) => e.from));
    for (const f of Object.keys(ALLOWED)) expect(folders, `no imports found in src/${f}`).toContain(f);
    expect(edges.some((e) => e.file.endsWith('.svelte') && e.spec === 'svelte')).toBe(true);
    expect(edges.some((e) => e.file === join('src', 'engine', 'engine.ts') && e.spec === '../shared/api')).toBe(true);
    expect(edges.some((e) => e.from === 'engine' && e.spec.startsWith('node:'))).toBe(true);
  });

  it('every top-level folder of src/ is named in the rules', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.sort()).toEqual(Object.keys(ALLOWED).sort());
  });

  it('the rules catch each kind of drift', () => {
    const e = (file: string, spec: string): Edge => ({ from: folderOf(join(ROOT, file)) ?? '', file, spec });
    expect(broken(e('src/engine/x.ts', 'electron'))).toHaveLength(1);
    expect(broken(e('src/engine/pipeline/x.ts', '../../host/engine-host'))).toHaveLength(1);
    expect(broken(e('src/shared/x.ts', 'node:fs'))).toHaveLength(1);
    expect(broken(e('src/shared/x.ts', 'ws'))).toHaveLength(1);
    expect(broken(e('src/renderer/lib/x.ts', 'fs'))).toHaveLength(1);
    expect(broken(e('src/renderer/lib/x.ts', '../../engine/audio'))).toHaveLength(1);
    expect(broken(e('src/web/x.ts', '../engine/engine'))).toHaveLength(1);
    expect(broken(e('src/cli/x.ts', '../../test/tools/npy'))).toEqual([
      "src/cli/x.ts: '../../test/tools/npy' (src/ never imports test/)",
    ]);
    // and let the allowed ones through
    expect(broken(e('src/cli/commands/x.ts', '../../engine/models/registry'))).toEqual([]);
    expect(broken(e('src/main/main.ts', 'electron'))).toEqual([]);
    expect(broken(e('src/engine/version.ts', '../../package.json'))).toEqual([]);
  });

  it('every import in src/ keeps the rules', () => {
    expect(edges.flatMap(broken)).toEqual([]);
  });
});
