/**
 * Folder evaluation with an injected audio reader: the per-file checks (rate, channels, length),
 * the multi-channel estimate rule, progress events, and both tasks' result shapes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EvaluateResultSchema } from '../../../src/shared/evaluate';
import { evaluateFolders, type EvaluateProgress } from '../../../src/engine/metrics/evaluate';
import { averageChannels, type DecodedAudio } from '../../../src/engine/metrics/load';
import { snr } from '../../../src/engine/metrics/snr';

const L = 64;
const wave = (seed: number, n = L) => Float32Array.from({ length: n }, (_, i) => Math.sin(0.3 * (i + 1) * seed) * 0.5);

describe('evaluateFolders', () => {
  let root: string;
  let audio: Map<string, DecodedAudio>;
  const put = (rel: string, a: DecodedAudio) => {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '');
    audio.set(file, a);
  };
  const read = async (file: string) => audio.get(file)!;
  const req = (task: 'dcase2025t4' | 'dcase2026t4') => ({
    task,
    soundscapes: path.join(root, 'soundscape'),
    oracle: path.join(root, 'oracle_target'),
    estimates: path.join(root, 'estimate'),
  });
  const mono = (x: Float32Array): DecodedAudio => ({ sampleRate: 32000, data: [x] });

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 's5-eval-'));
    audio = new Map();
    const s1 = wave(1);
    const s2 = wave(2);
    const mix = s1.map((v, i) => v + s2[i]);
    put('soundscape/m0.wav', { sampleRate: 32000, data: [mix, wave(3), wave(4), wave(5)] });
    put('oracle_target/m0_Speech.wav', mono(s1));
    put('oracle_target/m0_Dishes.wav', mono(s2));
    put('estimate/m0_Speech.wav', mono(s1.map((v) => 0.9 * v)));
    put('soundscape/m1.wav', { sampleRate: 32000, data: [wave(6), wave(7), wave(8), wave(9)] });
    put('oracle_target/m1_Cough.wav', mono(wave(6)));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('2025: scores in name order, emits progress, fits the contract', async () => {
    const events: EvaluateProgress[] = [];
    const result = await evaluateFolders(req('dcase2025t4'), (p) => events.push(p), { readAudio: read });
    expect(EvaluateResultSchema.parse(result)).toBeTruthy();
    if (result.task !== 'dcase2025t4') throw new Error('task');
    const s1 = wave(1);
    const mix = audio.get(path.join(root, 'soundscape/m0.wav'))!.data[0];
    const sdri = snr(s1.map((v) => 0.9 * v), s1) - snr(mix, s1);
    expect(result.per_mixture.m0.ca_sdri).toBeCloseTo(sdri / 2, 9); // Speech TP + Dishes FN
    expect(result.per_mixture.m1).toMatchObject({ ca_sdri: 0, labels_correct: false, fn: 1, ref_labels: ['Cough'], est_labels: [] });
    expect(result.ca_sdri).toBeCloseTo(sdri / 4, 9);
    expect(result.label_accuracy).toBe(0);
    expect(events.map((e) => [e.stage, e.done, e.total, e.mixture])).toEqual([
      ['scan', 0, 2, undefined],
      ['score', 1, 2, 'm0'],
      ['score', 2, 2, 'm1'],
    ]);
    expect(result.warnings!.join('\n')).toMatch(/without any estimate file.*m1/);
  });

  it('2026: same set, multiset counts and scored mixtures', async () => {
    const result = await evaluateFolders(req('dcase2026t4'), undefined, { readAudio: read });
    if (result.task !== 'dcase2026t4') throw new Error('task');
    expect(result.per_mixture.m0).toMatchObject({ tp: 1, fp: 0, fn: 1, labels_correct: false });
    expect(result.scored_mixtures).toBe(2);
    expect(result.source_accuracy).toBeCloseTo(100 / 3, 9);
  });

  it('wrong sample rate → bad_input naming the file', async () => {
    put('estimate/m0_Speech.wav', { sampleRate: 16000, data: [wave(1)] });
    await expect(evaluateFolders(req('dcase2025t4'), undefined, { readAudio: read })).rejects.toMatchObject({
      code: 'bad_input',
      file: path.join(root, 'estimate/m0_Speech.wav'),
      message: expect.stringMatching(/16000 Hz.*32000 Hz/),
    });
  });

  it('multi-channel oracle → bad_input', async () => {
    put('oracle_target/m0_Speech.wav', { sampleRate: 32000, data: [wave(1), wave(1)] });
    await expect(evaluateFolders(req('dcase2025t4'), undefined, { readAudio: read })).rejects.toMatchObject({
      file: path.join(root, 'oracle_target/m0_Speech.wav'),
      message: expect.stringMatching(/2 channels; it must be mono/),
    });
  });

  it('length mismatch → bad_input', async () => {
    put('estimate/m0_Speech.wav', mono(wave(1, L - 1)));
    await expect(evaluateFolders(req('dcase2025t4'), undefined, { readAudio: read })).rejects.toMatchObject({
      message: expect.stringMatching(/63 samples but its soundscape has 64/),
    });
  });

  it('multi-channel estimate → averaged to mono with a warning', async () => {
    const a = wave(1);
    const b = wave(11);
    put('estimate/m0_Speech.wav', { sampleRate: 32000, data: [a, b] });
    const result = await evaluateFolders(req('dcase2025t4'), undefined, { readAudio: read });
    if (result.task !== 'dcase2025t4') throw new Error('task');
    const avg = averageChannels([a, b]);
    const mix = audio.get(path.join(root, 'soundscape/m0.wav'))!.data[0];
    expect(result.per_mixture.m0.ca_sdri).toBeCloseTo((snr(avg, a) - snr(mix, a)) / 2, 9);
    expect(result.warnings!.join('\n')).toMatch(/1 estimate\(s\) are not mono and were averaged/);
  });

  it('a soundscape with other than 4 channels uses channel 0, with a warning', async () => {
    const m1 = audio.get(path.join(root, 'soundscape/m1.wav'))!;
    put('soundscape/m1.wav', { sampleRate: 32000, data: [m1.data[0]] });
    const result = await evaluateFolders(req('dcase2025t4'), undefined, { readAudio: read });
    expect(result.warnings!.join('\n')).toMatch(/1 channel\(s\) instead of 4; channel 0 was used/);
  });

  it('reader failures become bad_input naming the file', async () => {
    const failing = async (file: string) => {
      if (file.endsWith('m0_Dishes.wav')) throw new Error('truncated header');
      return read(file);
    };
    await expect(evaluateFolders(req('dcase2025t4'), undefined, { readAudio: failing })).rejects.toMatchObject({
      code: 'bad_input',
      file: path.join(root, 'oracle_target/m0_Dishes.wav'),
      message: 'cannot read audio: truncated header',
    });
  });
});
