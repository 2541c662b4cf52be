/**
 * Runs the corpus through the engine in a child process (test/corpus/run-corpus.ts) with a time
 * bound per entry, and checks each result against the entry's expectation. Used by
 * test/unit/corpus.test.ts; kept apart so a longer local run can reuse it.
 *
 * A child that dies (native crash, out of memory) or stays on one entry longer than
 * `perEntryMs` is killed; the entry is recorded as `crash` / `hang` and the run continues with the
 * next entry in a new child.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isEither, type CorpusEntry } from './make-corpus';
import type { CorpusResult } from './run-corpus';

export type Outcome = CorpusResult | { i: number; file: string; failure: 'crash' | 'hang'; detail: string };

const RUNNER = path.join(__dirname, 'run-corpus.ts');

/** Runs every entry; resolves with one outcome per entry, in order. */
export async function runCorpus(root: string, work: string, count: number, perEntryMs: number): Promise<Outcome[]> {
  const userDir = path.join(work, 'user-models');
  mkdirSync(userDir, { recursive: true });
  const outcomes: Outcome[] = [];
  let from = 0;
  while (from < count) {
    const next = await runChild(root, work, userDir, from, perEntryMs, (o) => outcomes.push(o));
    from = next;
  }
  return outcomes;
}

function runChild(root: string, cwd: string, userDir: string, from: number, perEntryMs: number, push: (o: Outcome) => void): Promise<number> {
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', tsx, RUNNER, root, userDir, '--from', String(from)], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let current = from;
    let started = false;
    let timer: NodeJS.Timeout | null = null;
    let killedForHang = false;
    let stderr = '';
    let buffered = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const msg = JSON.parse(line) as { start: number } | CorpusResult;
        if ('start' in msg) {
          current = msg.start;
          started = true;
          timer = setTimeout(() => {
            killedForHang = true;
            child.kill('SIGKILL');
          }, perEntryMs);
        } else {
          if (timer) clearTimeout(timer);
          started = false;
          push(msg);
          current = msg.i + 1;
        }
      }
    });
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (!started && code === 0) return resolve(Number.MAX_SAFE_INTEGER);
      const failure = killedForHang ? 'hang' : 'crash';
      push({ i: current, file: `#${current}`, failure, detail: `exit ${code ?? signal}; ${stderr.trim().slice(-600)}` });
      resolve(current + 1);
    });
  });
}

/** Every file under `dir` with its size and mtime, to prove nothing was written or changed. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const st = statSync(p);
      out.set(path.relative(dir, p), `${e.isDirectory() ? 'd' : st.size}:${st.mtimeMs}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** The problems with one outcome (empty = as expected). */
export function checkOutcome(root: string, entry: CorpusEntry, o: Outcome): string[] {
  if ('failure' in o) return [`${o.failure}: ${o.detail}`];
  const problems: string[] = [];
  const full = path.join(root, entry.file);
  const exp = entry.expect;
  const err = o.error;
  if (err && !err.s5) problems.push(`threw a non-S5 error (a defect): ${err.message}`);

  if (entry.target === 'audio') {
    if (err?.s5) {
      if (err.file !== full) problems.push(`error.file is ${JSON.stringify(err.file)}, expected the file`);
      if (err.message.includes(full) || err.message.includes(path.basename(full))) problems.push(`message repeats the path: ${err.message}`);
      if (err.message.trim().length < 10) problems.push(`message says nothing: ${JSON.stringify(err.message)}`);
    }
    if (isEither(exp)) {
      if (!o.ok && !(err?.s5 && (err.code === 'bad_input' || err.code === 'unsupported'))) problems.push(`neither opened nor refused cleanly: ${JSON.stringify(err)}`);
      return problems;
    }
    if (exp.outcome === 'reject') {
      if (o.ok) problems.push(`opened, but should be refused (${exp.code}: /${exp.says}/); warnings: ${o.warnings.join(' | ')}`);
      else if (err?.s5) {
        if (err.code !== exp.code) problems.push(`code ${err.code}, expected ${exp.code} (${err.message})`);
        if (!new RegExp(exp.says, 'i').test(err.message)) problems.push(`message ${JSON.stringify(err.message)} does not say /${exp.says}/`);
      }
    } else {
      if (!o.ok) problems.push(`refused, but should open: ${err?.code}: ${err?.message}`);
      else if (exp.warns && !o.warnings.some((w) => new RegExp(exp.warns!, 'i').test(w))) {
        problems.push(`no warning matches /${exp.warns}/: ${JSON.stringify(o.warnings)}`);
      }
    }
    return problems;
  }

  // model folders
  if ((o.userDirAfter ?? []).length > 0) problems.push(`the user models folder is not empty afterwards: ${o.userDirAfter!.join(', ')}`);
  if (exp.outcome === 'accept') {
    if (!o.ok) problems.push(`refused, but should be valid: ${JSON.stringify(o.errors)} ${err ? err.message : ''}`);
    return problems;
  }
  const errors = o.errors ?? [];
  if (errors.length === 0) problems.push('validation found nothing wrong');
  else if (!errors.some((e) => new RegExp(exp.says, 'i').test(e))) problems.push(`no validation error says /${exp.says}/: ${JSON.stringify(errors)}`);
  for (const e of errors) if (!e.includes(full)) problems.push(`validation error does not name a file in the folder: ${e}`);
  const importable = /differs from its folder name/.test(exp.says);
  if (!importable) {
    if (o.ok || !err) problems.push('importModel accepted a broken model');
    else if (err.s5 && err.code !== 'bad_input' && err.code !== 'invalid_request') problems.push(`importModel failed with ${err.code}: ${err.message}`);
  }
  return problems;
}
