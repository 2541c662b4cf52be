/**
 * `s5 evaluate` end to end: the real CLI (node bin/s5.cjs, a child process) on official-layout
 * sets whose expected scores come from an independent numpy evaluator
 * (test/fixtures/make_eval_fixture.py), for both editions; plus the committed demo examples and
 * every data-error / usage-error case the command promises to report.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 's5.cjs');
const SCRIPT = path.join(ROOT, 'test', 'fixtures', 'make_eval_fixture.py');
const PYTHON = process.env.S5_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const DB = 1e-3;

const pythonReady =
  spawnSync(PYTHON, ['-c', 'import numpy, scipy, soundfile'], { encoding: 'utf8' }).status === 0;
if (!pythonReady) console.warn(`evaluate.test: ${PYTHON} lacks numpy/scipy/soundfile; fixture tests are skipped`);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function s5(...args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function evaluateArgs(task: string, dir: string, json = true): string[] {
  const args = ['evaluate', '--task', task, '--soundscapes', path.join(dir, 'soundscape'), '--oracle', path.join(dir, 'oracle_target'), '--estimates', path.join(dir, 'estimate')];
  return json ? [...args, '--json'] : args;
}

type Json = Record<string, any>;
const readJson = (file: string): Json => JSON.parse(readFileSync(file, 'utf8'));

/** Compares a CLI --json result with the numpy evaluator's expected.json. */
function expectMatches(got: Json, expected: Json): void {
  const task = expected.task as string;
  const metric = task === 'dcase2025t4' ? 'ca_sdri' : 'capi_sdri';
  expect(got.task).toBe(task);
  expect(Object.keys(got.per_mixture)).toEqual(Object.keys(expected.per_mixture));
  for (const [name, exp] of Object.entries<Json>(expected.per_mixture)) {
    const g = got.per_mixture[name];
    if (exp[metric] === null) expect(g[metric], name).toBeNull();
    else expect(Math.abs(g[metric] - exp[metric]), name).toBeLessThan(DB);
    expect(g.labels_correct, name).toBe(exp.labels_correct);
    if (task === 'dcase2026t4') expect([g.tp, g.fp, g.fn], name).toEqual([exp.tp, exp.fp, exp.fn]);
  }
  if (expected[metric] === null) expect(got[metric]).toBeNull();
  else expect(Math.abs(got[metric] - expected[metric])).toBeLessThan(DB);
  for (const key of ['label_accuracy', 'mixture_accuracy', 'source_accuracy']) {
    if (key in expected) expect(got[key]).toBeCloseTo(expected[key], 9);
  }
  if ('per_class' in expected) {
    expect(Object.keys(got.per_class)).toEqual(Object.keys(expected.per_class));
    for (const [label, exp] of Object.entries<Json>(expected.per_class)) {
      const g = got.per_class[label];
      expect([g.tp, g.fp, g.fn], label).toEqual([exp.tp, exp.fp, exp.fn]);
      if (exp.sdri === null) expect(g.sdri, label).toBeNull();
      else expect(Math.abs(g.sdri - exp.sdri), label).toBeLessThan(DB);
    }
  }
}

describe.skipIf(!pythonReady)('s5 evaluate on numpy-scored fixtures', () => {
  let tmp: string;
  const sets: Record<string, string> = {};

  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 's5-evaluate-'));
    for (const task of ['dcase2025t4', 'dcase2026t4']) {
      sets[task] = path.join(tmp, task);
      const r = spawnSync(PYTHON, [SCRIPT, '--task', task, '--out', sets[task], '--seed', '7', '--broken'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`fixture script failed: ${r.stderr}`);
    }
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** A private copy of a fixture set to break. */
  function copyOf(task: string): string {
    const dir = mkdtempSync(path.join(tmp, 'case-'));
    cpSync(sets[task], dir, { recursive: true });
    return dir;
  }

  for (const task of ['dcase2025t4', 'dcase2026t4']) {
    it(`${task}: --json matches the independent numpy scores within 1e-3 dB`, () => {
      const r = s5(...evaluateArgs(task, sets[task]));
      expect(r.stderr).not.toMatch(/error/);
      expect(r.code).toBe(0);
      expectMatches(JSON.parse(r.stdout), readJson(path.join(sets[task], 'expected.json')));
    });

    it(`${task}: plain output is the official summary, digit for digit`, () => {
      const r = s5(...evaluateArgs(task, sets[task], false));
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(readFileSync(path.join(sets[task], 'expected.txt'), 'utf8'));
      expect(r.stderr).not.toContain('\r'); // no progress line when stderr is not a terminal
    });
  }

  it('2025 plain output has the two official lines', () => {
    const lines = s5(...evaluateArgs('dcase2025t4', sets.dcase2025t4, false)).stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^CA-SDRi: -?\d+\.\d{3}$/);
    expect(lines[1]).toMatch(/^Label prediction accuracy: \d+\.\d{2}$/);
  });

  it('2026 plain output has the official names', () => {
    const lines = s5(...evaluateArgs('dcase2026t4', sets.dcase2026t4, false)).stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CAPI-SDRi: -?\d+\.\d{3}$/);
    expect(lines[1]).toMatch(/^Accuracy \(mixture\): \d+\.\d{3}$/);
    expect(lines[2]).toMatch(/^Accuracy \(source\) : \d+\.\d{3}$/);
  });

  it('missing folder → exit 1, the folder named', () => {
    const missing = path.join(tmp, 'no-such-folder');
    const r = s5('evaluate', '--task', 'dcase2025t4', '--soundscapes', path.join(sets.dcase2025t4, 'soundscape'), '--oracle', path.join(sets.dcase2025t4, 'oracle_target'), '--estimates', missing);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`s5: error: ${missing}: estimates folder does not exist\n`);
  });

  it('label not in the label set → exit 1, the file named', () => {
    const dir = copyOf('dcase2025t4');
    const bad = path.join(dir, 'estimate', 'dev2025_0000_Trumpet.wav');
    cpSync(path.join(dir, 'estimate', 'dev2025_0000_Speech.wav'), bad);
    const r = s5(...evaluateArgs('dcase2025t4', dir));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`s5: error: ${bad}: label "Trumpet" is not one of the 18 dcase2025t4 labels`);
  });

  it('unparsable name → exit 1, the file named', () => {
    const dir = copyOf('dcase2025t4');
    const bad = path.join(dir, 'oracle_target', 'dev2025_0001.wav');
    cpSync(path.join(dir, 'oracle_target', 'dev2025_0001_Cough.wav'), bad);
    const r = s5(...evaluateArgs('dcase2025t4', dir));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}: unparsable name: expected dev2025_0001_<Label>.wav`);
  });

  it('indexed 2026 names under dcase2025t4 → exit 1 with a hint', () => {
    const dir = copyOf('dcase2025t4');
    renameSync(path.join(dir, 'estimate', 'dev2025_0000_Speech.wav'), path.join(dir, 'estimate', 'dev2025_0000_0_Speech.wav'));
    const r = s5(...evaluateArgs('dcase2025t4', dir));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/dev2025_0000_0_Speech\.wav: .*use --task dcase2026t4/);
  });

  it('wrong sample rate → exit 1, the file named', () => {
    const dir = copyOf('dcase2025t4');
    const target = path.join(dir, 'estimate', 'dev2025_0001_Doorbell.wav');
    cpSync(path.join(dir, 'broken', 'rate16k.wav'), target);
    const r = s5(...evaluateArgs('dcase2025t4', dir));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`s5: error: ${target}: sample rate is 16000 Hz; the task needs 32000 Hz\n`);
  });

  it('wrong channel count (stereo oracle) → exit 1, the file named', () => {
    const dir = copyOf('dcase2026t4');
    const target = path.join(dir, 'oracle_target', 'dev2026_0000_2_Typing.wav');
    cpSync(path.join(dir, 'broken', 'stereo.wav'), target);
    const r = s5(...evaluateArgs('dcase2026t4', dir));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`s5: error: ${target}: oracle target has 2 channels; it must be mono\n`);
  });

  it('wrong length → exit 1, the file named', () => {
    const dir = copyOf('dcase2025t4');
    const target = path.join(dir, 'estimate', 'dev2025_0002_AlarmClock.wav');
    cpSync(path.join(dir, 'broken', 'short.wav'), target);
    const r = s5(...evaluateArgs('dcase2025t4', dir));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${escape(target)}: has 63680 samples but its soundscape has 64000`));
  });

  it('stereo estimate → averaged to mono, exit 0 with a warning', () => {
    const dir = copyOf('dcase2025t4');
    const target = path.join(dir, 'estimate', 'dev2025_0002_Blender.wav');
    cpSync(path.join(dir, 'broken', 'stereo.wav'), target);
    const r = s5(...evaluateArgs('dcase2025t4', dir));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/s5: warning: 1 estimate\(s\) are not mono and were averaged to mono.*dev2025_0002_Blender\.wav \(2 ch\)/);
    // Blender is a false positive here: its waveform does not change the score.
    expectMatches(JSON.parse(r.stdout), readJson(path.join(dir, 'expected.json')));
  });

  it('2025 soundscape without any oracle file → exit 1, the soundscape named', () => {
    const dir = copyOf('dcase2025t4');
    unlinkSync(path.join(dir, 'oracle_target', 'dev2025_0003_Percussion.wav'));
    unlinkSync(path.join(dir, 'oracle_target', 'dev2025_0003_Pour.wav'));
    const r = s5(...evaluateArgs('dcase2025t4', dir));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`s5: error: ${path.join(dir, 'soundscape', 'dev2025_0003.wav')}: soundscape has no oracle file dev2025_0003_<Label>.wav`);
  });

  it('usage errors → exit 2 with a pointer to --help', () => {
    for (const args of [
      ['evaluate', '--soundscapes', 'a', '--oracle', 'b', '--estimates', 'c'],
      ['evaluate', '--task', 'dcase2027t4', '--soundscapes', 'a', '--oracle', 'b', '--estimates', 'c'],
      ['evaluate', '--task', 'dcase2025t4', '--bogus'],
      ['evaluate', 'stray'],
      ['frobnicate'],
      [],
    ]) {
      const r = s5(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
    }
    expect(s5('evaluate', '--task', 'x').stderr).toMatch(/^s5: error: --task must be one of dcase2025t4, dcase2026t4 \(got 'x'\)\nRun 's5 evaluate --help' for usage\.\n$/);
  });
});

describe('s5 evaluate on the committed examples (npm run demo)', () => {
  for (const [task, dir] of [
    ['dcase2025t4', 'resources/examples/evaluate-2025'],
    ['dcase2026t4', 'resources/examples/evaluate-2026'],
  ]) {
    it(`${dir} reproduces its expected.json and expected.txt`, () => {
      const abs = path.join(ROOT, dir);
      const json = s5(...evaluateArgs(task, abs));
      expect(json.code).toBe(0);
      expectMatches(JSON.parse(json.stdout), readJson(path.join(abs, 'expected.json')));
      const plain = s5(...evaluateArgs(task, abs, false));
      expect(plain.stdout).toBe(readFileSync(path.join(abs, 'expected.txt'), 'utf8'));
    });
  }
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
