/**
 * `s5 submission` end to end with the tiny 32 kHz test models: official-layout soundscapes and
 * oracle targets are generated here (tones at the test models' class frequencies, FOA plane
 * waves), the archive is written, unpacked by Python's zipfile (an independent reader), its names
 * checked against the official rules, and the estimates scored by `s5 evaluate` — for DCASE 2025
 * and 2026 (indexed names, eval_results.json, a zero-target scene without files).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S5Label } from '../../src/shared/labels';
import { writeAudio } from '../../src/engine/audio';
import { runCli } from '../../src/cli/main';
import { cachedTestModels, classHz, encodeFoa, mixInto, noise, PYTHON, sine, torchReady } from '../fixtures/models/helpers';

const RATE = 32000;
const N = 10 * RATE;
const ready = torchReady();
let root: string;

interface Scene {
  name: string;
  sources: [S5Label, number][]; // label, azimuth
}

/** soundscape/<name>.wav (4-ch) and oracle_target/<name>_<Label>.wav (the W-channel source). */
async function writeSet(dir: string, scenes: Scene[]): Promise<void> {
  mkdirSync(path.join(dir, 'soundscape'), { recursive: true });
  mkdirSync(path.join(dir, 'oracle_target'), { recursive: true });
  for (const [k, scene] of scenes.entries()) {
    const mix = encodeFoa(noise(N, k + 1).map((v) => v * 1e-4), 0);
    for (const [i, [label, az]] of scene.sources.entries()) {
      const s = sine(N, classHz(label, RATE), RATE, 0.1, i);
      mixInto(mix, encodeFoa(s, az));
      await writeAudio(path.join(dir, 'oracle_target', `${scene.name}_${label}.wav`), [s], RATE, 'pcm16');
    }
    await writeAudio(path.join(dir, 'soundscape', `${scene.name}.wav`), mix, RATE, 'pcm16');
  }
}

function io() {
  const o = { out: '', err: '', stderrIsTTY: false, stdout: (t: string) => void (o.out += t), stderr: (t: string) => void (o.err += t) };
  return o;
}

function unzip(zip: string, into: string): string[] {
  const r = spawnSync(PYTHON, ['-c', 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nz.extractall(sys.argv[2])\nprint("\\n".join(z.namelist()))', zip, into], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return r.stdout.trim().split('\n');
}

beforeAll(() => {
  if (!ready) return;
  process.env.S5_SHIPPED_MODELS = cachedTestModels(RATE, 10);
  process.env.S5_DATA_DIR = mkdtempSync(path.join(os.tmpdir(), 's5-data-'));
  root = mkdtempSync(path.join(os.tmpdir(), 's5-submission-'));
});
afterAll(() => {
  for (const d of [root, process.env.S5_DATA_DIR]) if (d) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!ready)('s5 submission', () => {
  it('dcase2025t4: official names and layout; s5 evaluate scores it', async () => {
    const set = path.join(root, 'set2025');
    await writeSet(set, [
      { name: 'eval_0000', sources: [['Speech', 30]] },
      { name: 'eval_0001', sources: [['Blender', -60], ['Dishes', 120]] },
      { name: 'eval_0002', sources: [['AlarmClock', 0], ['Cough', 90], ['Typing', -150]] },
    ]);
    const zip = path.join(root, 'Smith_Univ-X_task4_1_out.zip');
    const o = io();
    const code = await runCli(['submission', '--task', 'dcase2025t4', '--soundscapes', path.join(set, 'soundscape'), '-o', zip, '--author', 'Smith', '--affiliation', 'Univ-X', '--number', '1', '--models', 'test-tagger-2025,test-sep-k3', '--threads', '1'], o);
    expect(o.err).toBe('');
    expect(code).toBe(0);
    expect(o.out).toMatch(/6 estimates for 3 soundscapes in Smith_Univ-X_task4_1_out\/eval_out/);
    const names = unzip(zip, path.join(root, 'x2025'));
    expect(names).toEqual([
      'Smith_Univ-X_task4_1_out/', 'Smith_Univ-X_task4_1_out/eval_out/',
      'Smith_Univ-X_task4_1_out/eval_out/eval_0000_Speech.wav',
      'Smith_Univ-X_task4_1_out/eval_out/eval_0001_Blender.wav', 'Smith_Univ-X_task4_1_out/eval_out/eval_0001_Dishes.wav',
      'Smith_Univ-X_task4_1_out/eval_out/eval_0002_AlarmClock.wav', 'Smith_Univ-X_task4_1_out/eval_out/eval_0002_Cough.wav', 'Smith_Univ-X_task4_1_out/eval_out/eval_0002_Typing.wav',
    ]);
    const e = io();
    expect(await runCli(['evaluate', '--task', 'dcase2025t4', '--soundscapes', path.join(set, 'soundscape'), '--oracle', path.join(set, 'oracle_target'), '--estimates', path.join(root, 'x2025', 'Smith_Univ-X_task4_1_out', 'eval_out'), '--json'], e)).toBe(0);
    const score = JSON.parse(e.out);
    expect(score.label_accuracy).toBe(100);
    expect(score.ca_sdri).toBeGreaterThan(15);
    expect(readdirSync(root).filter((f) => f.startsWith('.'))).toEqual([]); // no work folder or partial zip left
  });

  it('dcase2026t4: indexed names, eval_results.json, no file for an empty scene', async () => {
    const set = path.join(root, 'set2026');
    await writeSet(set, [
      { name: 'eval_0000', sources: [['Speech', 30], ['Dishes', -90]] },
      { name: 'eval_0001', sources: [] },
    ]);
    const zip = path.join(root, 'custom-name.zip');
    const o = io();
    expect(await runCli(['submission', '--task', 'dcase2026t4', '--soundscapes', path.join(set, 'soundscape'), '-o', zip, '--author', 'Smith', '--affiliation', 'UX', '--number', '2', '--models', 'test-tagger-2026,test-sep-k3-2026', '--json'], o)).toBe(0);
    expect(o.err).toMatch(/the official name of this archive is Smith_UX_task4_2\.zip/);
    expect(JSON.parse(o.out)).toMatchObject({ mixtures: 2, estimates: 2, empty: ['eval_0001'], root: 'Smith_UX_task4_2' });
    const names = unzip(zip, path.join(root, 'x2026'));
    const wavs = names.filter((n) => n.endsWith('.wav')).map((n) => path.basename(n));
    // slot order = the tagger's slot order (here: by band energy; the two tones tie)
    expect(wavs.map((w) => w.replace(/_(Speech|Dishes)\.wav$/, '')).sort()).toEqual(['eval_0000_0', 'eval_0000_1']);
    expect(wavs.map((w) => /_([A-Za-z]+)\.wav$/.exec(w)![1]).sort()).toEqual(['Dishes', 'Speech']);
    const results = JSON.parse(readFileSync(path.join(root, 'x2026', 'Smith_UX_task4_2', 'eval_results.json'), 'utf8'));
    expect(results.nparams).toBe(0);
    expect(results.probabilities).toEqual([
      { soundscape: 'eval_0000', estimate: wavs.map((filename) => ({ filename, label: /_([A-Za-z]+)\.wav$/.exec(filename)![1], probability: 1 })) },
      { soundscape: 'eval_0001', estimate: [] },
    ]);
    const e = io();
    expect(await runCli(['evaluate', '--task', 'dcase2026t4', '--soundscapes', path.join(set, 'soundscape'), '--oracle', path.join(set, 'oracle_target'), '--estimates', path.join(root, 'x2026', 'Smith_UX_task4_2', 'eval_out'), '--json'], e)).toBe(0);
    const score = JSON.parse(e.out);
    expect(score.mixture_accuracy).toBe(100);
    expect(score.capi_sdri).toBeGreaterThan(15);
  });

  it('refuses models of the other task and names that break the official pattern', async () => {
    const set = path.join(root, 'set2025', 'soundscape');
    const a = io();
    expect(await runCli(['submission', '--task', 'dcase2026t4', '--soundscapes', set, '-o', path.join(root, 'a.zip'), '--author', 'A', '--affiliation', 'B', '--number', '1', '--models', 'test-tagger-2025,test-sep-k3'], a)).toBe(1);
    expect(a.err).toMatch(/model 'test-tagger-2025' is for dcase2025t4, not dcase2026t4/);
    const b = io();
    expect(await runCli(['submission', '--task', 'dcase2025t4', '--soundscapes', set, '-o', path.join(root, 'b.zip'), '--author', 'Van_Dam', '--affiliation', 'B', '--number', '1'], b)).toBe(1);
    expect(b.err).toMatch(/author 'Van_Dam' may only contain letters, digits and '-'/);
    const c = io();
    expect(await runCli(['submission', '--task', 'dcase2025t4', '--soundscapes', set, '-o', path.join(root, 'c.zip'), '--author', 'A', '--affiliation', 'B', '--number', '5'], c)).toBe(2);
    expect(c.err).toMatch(/--number must be a whole number from 1 to 4/);
    expect(readdirSync(root).filter((f) => f.endsWith('.zip')).sort()).toEqual(['Smith_Univ-X_task4_1_out.zip', 'custom-name.zip']);
  });
});
