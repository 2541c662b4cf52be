/**
 * Child process of the corpus test: feeds corpus entries, in order from `--from`, to the engine's
 * own entry points and prints one JSON line before (`start`) and after (`done`) each, so that the
 * parent can bound each file's time and attribute a crash or a hang to the file that caused it.
 *
 *   audio  → openAudio (the API method: header, full streaming decode, overview, format hint)
 *   model  → validateModelFolder, then ModelRegistry.importModel into an empty user folder
 *
 *   node --import tsx test/corpus/run-corpus.ts CORPUS_DIR USER_MODELS_DIR [--from N]
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { openAudio } from '../../src/engine/audio/open';
import { ModelRegistry } from '../../src/engine/models/registry';
import { validateModelFolder } from '../../src/engine/models/validate';
import { SettingsStore } from '../../src/engine/settings/settings';
import { S5Error } from '../../src/shared/errors';
import type { CorpusEntry } from './make-corpus';

export interface CorpusResult {
  i: number;
  file: string;
  /** true = the input was accepted (audio opened / model valid and imported). */
  ok: boolean;
  /** The thrown error, when one was thrown. `s5` false = not an S5Error (a defect). */
  error?: { s5: boolean; code?: string; message: string; file?: string };
  warnings: string[];
  /** Model folders: the validation errors (each names its file). */
  errors?: string[];
  /** Model folders: what the user models folder holds after the import attempt. */
  userDirAfter?: string[];
  ms: number;
}

function errorOf(e: unknown): CorpusResult['error'] {
  if (e instanceof S5Error) return { s5: true, code: e.code, message: e.message, ...(e.file !== undefined ? { file: e.file } : {}) };
  return { s5: false, message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
}

async function runOne(root: string, userDir: string, entry: CorpusEntry): Promise<Omit<CorpusResult, 'i' | 'file' | 'ms'>> {
  const full = path.join(root, entry.file);
  if (entry.target === 'audio') {
    try {
      const r = await openAudio({ path: full, overviewBuckets: 64 });
      return { ok: true, warnings: r.info.warnings };
    } catch (e) {
      return { ok: false, error: errorOf(e), warnings: [] };
    }
  }
  const v = await validateModelFolder(full, 'user');
  const registry = new ModelRegistry({
    roots: [{ dir: userDir, source: 'user' }],
    userDir,
    settings: new SettingsStore(path.join(userDir, '..', 'settings.json')),
  });
  let error: CorpusResult['error'];
  let imported = false;
  try {
    const e = await registry.importModel(full);
    imported = e.valid;
    if (imported) await registry.remove(e.id); // leave the folder empty for the next entry
  } catch (e) {
    error = errorOf(e);
  }
  return {
    ok: v.valid && imported,
    warnings: v.warnings,
    errors: v.errors,
    ...(error ? { error } : {}),
    userDirAfter: readdirSync(userDir),
  };
}

async function main(): Promise<void> {
  const [root, userDir] = process.argv.slice(2, 4);
  const fromArg = process.argv.indexOf('--from');
  const from = fromArg > 0 ? Number(process.argv[fromArg + 1]) : 0;
  const entries = JSON.parse(readFileSync(path.join(root, 'corpus.json'), 'utf8')) as CorpusEntry[];
  for (let i = from; i < entries.length; i++) {
    process.stdout.write(`${JSON.stringify({ start: i })}\n`);
    const t0 = performance.now();
    const r = await runOne(root, userDir, entries[i]);
    const result: CorpusResult = { i, file: entries[i].file, ...r, ms: Math.round(performance.now() - t0) };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`run-corpus: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(3);
});
