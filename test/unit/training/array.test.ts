/**
 * Microphone arrays for simulated rooms (issue #8): the contract's bounds with one message per
 * violation, the capsule layouts (checked against the geometry the trainer uses), the trainer's
 * `--array` argument, the cached bank folder and its build command, the run config pointing at it,
 * the manifest mark-up after export, and how the engine runs a model whose input is raw array
 * channels (channel_format 'other': no FOA conversion, no direction, a warning).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TrainArraySchema, TrainRequestSchema, arrayCapsules, arraySpecArg, capsuleProblems, describeArray, type TrainArray,
} from '../../../src/shared/api-train';
import { ModelManifestSchema, type ModelManifest } from '../../../src/shared/manifest';
import { S5_LABELS } from '../../../src/shared/labels';
import { arrayBankDir, arrayBankPlan, markArrayModel } from '../../../src/engine/training/array-bank';
import { buildConfig, runSampleRate } from '../../../src/engine/training/config';
import { checkData, checkRooms } from '../../../src/engine/training/data-check';
import { checkRoles } from '../../../src/engine/models/roles';
import { readAudio, writeAudio } from '../../../src/engine/audio';
import { processRecording } from '../../../src/engine/pipeline/process';
import type { PipelineModel } from '../../../src/engine/pipeline/runners';
import type { Tensor } from '../../../src/engine/inference/ort-client';
import { encodeFoa, noise } from '../../fixtures/models/helpers';

const issues = (a: unknown) => {
  const r = TrainArraySchema.safeParse(a);
  return r.success ? [] : r.error.issues.map((i) => i.message);
};
const dist = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

describe('array contract', () => {
  it('accepts the default FOA, and a request without an array still means FOA', () => {
    const req = TrainRequestSchema.parse({ data: { source: 'library' }, budget: { kind: 'steps', steps: 1 } });
    expect(req.rooms).toEqual({ source: 'simulated', array: { kind: 'foa' }, bank: { rooms: 200, positions: 16, max_seconds: 2 } });
    const old = TrainRequestSchema.parse({ data: { source: 'library' }, rooms: { source: 'simulated' }, budget: { kind: 'steps', steps: 1 } });
    expect(old.rooms).toMatchObject({ array: { kind: 'foa' } });
  });

  it('bounds the tetrahedron radius and square side to 5 mm – 1 m with a specific message', () => {
    expect(issues({ kind: 'tetra', radius_m: 0.042 })).toEqual([]);
    expect(issues({ kind: 'tetra', radius_m: 0.005 })).toEqual([]);
    expect(issues({ kind: 'tetra', radius_m: 0.004 })).toEqual(['the tetrahedron radius must be at least 5 mm']);
    expect(issues({ kind: 'square', side_m: 1 })).toEqual([]);
    expect(issues({ kind: 'square', side_m: 1.01 })).toEqual(['the square side must be at most 1 m']);
    expect(issues({ kind: 'square', side_m: Number.NaN }).join(' ')).toMatch(/square side/);
  });

  it('a custom geometry needs 4 distinct capsules within 1 m of the centre; each problem is named', () => {
    const good = [[0.05, 0.05, 0], [-0.05, 0.05, 0], [-0.05, -0.05, 0], [0.05, -0.05, 0.02]];
    expect(issues({ kind: 'custom', positions_m: good })).toEqual([]);
    expect(issues({ kind: 'custom', positions_m: good.slice(0, 3) })).toEqual(['a 4-mic array needs exactly 4 capsule positions']);
    const far = good.map((p, i) => (i === 1 ? [0.9, 0.6, 0] : p));
    expect(issues({ kind: 'custom', positions_m: far })).toEqual([`capsule 2 is ${(Math.hypot(0.9, 0.6) * 1000).toFixed(0)} mm from the array centre; capsules must be within 1000 mm`]);
    const same = good.map((p, i) => (i === 3 ? [...good[0]] : p));
    expect(issues({ kind: 'custom', positions_m: same })).toEqual(['capsules 1 and 4 are at the same place (0.00 mm apart); capsules must be at least 1 mm apart']);
    expect(capsuleProblems([[0, 0, 0], [Number.POSITIVE_INFINITY, 0, 0], [0, 0.1, 0], [0, 0, 0.1]])).toEqual(['capsule 2: x, y and z must be finite numbers']);
  });

  it('capsule layouts match the trainer: tetra at the radius with 109.47° between capsules, square side apart', () => {
    const t = arrayCapsules({ kind: 'tetra', radius_m: 0.042 })!;
    for (const p of t) expect(Math.hypot(...p)).toBeCloseTo(0.042, 12);
    // regular tetrahedron: every edge = r·sqrt(8/3)
    for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) expect(dist(t[i], t[j])).toBeCloseTo(0.042 * Math.sqrt(8 / 3), 12);
    expect(t[0][0]).toBeGreaterThan(0); // FLU: front, left, up
    expect(t[0][1]).toBeGreaterThan(0);
    expect(t[0][2]).toBeGreaterThan(0);
    const s = arrayCapsules({ kind: 'square', side_m: 0.1 })!;
    expect(dist(s[0], s[1])).toBeCloseTo(0.1, 12);
    expect(dist(s[0], s[2])).toBeCloseTo(0.1 * Math.SQRT2, 12);
    expect(s.every((p) => p[2] === 0)).toBe(true);
    expect(arrayCapsules({ kind: 'foa' })).toBeNull();
  });

  it('writes the trainer --array argument in metres', () => {
    expect(arraySpecArg({ kind: 'foa' })).toBe('foa');
    expect(arraySpecArg({ kind: 'tetra', radius_m: 0.042 })).toBe('tetra:0.042');
    expect(arraySpecArg({ kind: 'square', side_m: 0.1 + 0.2 })).toBe('square:0.3'); // float noise rounded at 1 µm
    expect(arraySpecArg({ kind: 'custom', positions_m: [[0.05, 0, 0], [0, 0.05, 0], [-0.05, 0, 0], [0, -0.05, 0.01]] }))
      .toBe('geom:0.05,0,0,0,0.05,0,-0.05,0,0,0,-0.05,0.01');
    expect(describeArray({ kind: 'square', side_m: 0.1 })).toBe('square 4-mic omni array, side 100 mm');
  });
});

describe('array room bank and run config', () => {
  const bank = { rooms: 200, positions: 16, max_seconds: 2 };
  const custom: TrainArray = { kind: 'custom', positions_m: [[0.05, 0, 0], [0, 0.05, 0], [-0.05, 0, 0], [0, -0.05, 0.01]] };

  it('one cached folder per array spec, rate and bank size', () => {
    const a = arrayBankDir('/d', custom, 16000, bank);
    expect(a).toMatch(/^\/d\/rooms\/array-[0-9a-f]{12}$/);
    expect(arrayBankDir('/d', custom, 16000, { ...bank })).toBe(a);
    expect(arrayBankDir('/d', custom, 32000, bank)).not.toBe(a);
    expect(arrayBankDir('/d', { kind: 'tetra', radius_m: 0.042 }, 16000, bank)).not.toBe(a);
    expect(arrayBankDir('/d', custom, 16000, { ...bank, rooms: 20 })).not.toBe(a);
  });

  it('builds the bank with the trainer until rooms.json exists, then reuses it', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 's5-arraybank-'));
    try {
      const plan = await arrayBankPlan(tmp, custom, 8000, { rooms: 10, positions: 4, max_seconds: 0.3 });
      expect(plan.ready).toBe(false);
      expect(plan.build).toEqual(['rooms', 'bank', '--n', '10', '--positions', '4', '--max-seconds', '0.3', '--rate', '8000', '--seed', '0',
        '--array', 'geom:0.05,0,0,0,0.05,0,-0.05,0,0,0,-0.05,0.01', '--out', plan.dir]);
      const before = await checkRooms({ source: 'simulated', array: custom, bank: { rooms: 10, positions: 4, max_seconds: 0.3 } }, tmp, 8000);
      expect(before.ok).toBe(true);
      expect(before.warnings.join()).toContain('it is simulated before the run');
      mkdirSync(plan.dir, { recursive: true });
      writeFileSync(path.join(plan.dir, 'rooms.json'), '{}');
      expect((await arrayBankPlan(tmp, custom, 8000, { rooms: 10, positions: 4, max_seconds: 0.3 })).ready).toBe(true);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('trainCheckRooms reports a bad geometry instead of throwing; toy and dev_set data refuse an array', async () => {
    const bad = await checkRooms({ source: 'simulated', array: { kind: 'custom', positions_m: [[0, 0, 0], [0, 0, 0], [0.1, 0, 0], [0, 0.1, 0]] } }, '/nonexistent', 16000);
    expect(bad.ok).toBe(false);
    expect(bad.errors).toEqual(['array.positions_m: capsules 1 and 2 are at the same place (0.00 mm apart); capsules must be at least 1 mm apart']);
    const rooms = TrainRequestSchema.parse({ data: { source: 'toy' }, rooms: { source: 'simulated', array: custom }, budget: { kind: 'steps', steps: 1 } }).rooms;
    const toy = await checkData({ source: 'toy' }, '/nonexistent', rooms);
    expect(toy.ok).toBe(false);
    expect(toy.errors[0]).toBe('a custom 4-mic array needs scenes rendered with its simulated rooms: choose the built-in library or your clips (toy scenes use no rooms), or FOA rooms');
  });

  it('the run config takes its rooms from the array bank; the bank rate is the model rate', () => {
    const req = TrainRequestSchema.parse({ data: { source: 'library' }, size: 'tiny', rooms: { source: 'simulated', array: custom }, budget: { kind: 'steps', steps: 3 } });
    const dir = arrayBankDir('/d', custom, runSampleRate(req.size), req.rooms.source === 'simulated' ? req.rooms.bank : bank);
    const c = buildConfig(req, 'separator', { dataDir: '/d', roomsBank: dir });
    expect(c.data).toMatchObject({ source: 'synth', library: '/d/library', rooms: dir });
    expect(runSampleRate('tiny')).toBe((c.model as { overrides: { sample_rate: number } }).overrides.sample_rate);
  });
});

// ------------------------------------------------------------------------------------------------

const RATE = 8000;

function manifest(kind: 'tagger' | 'separator', channelFormat: 'foa-acn-sn3d' | 'other'): ModelManifest {
  return ModelManifestSchema.parse({
    schema_version: 1, id: `arr-${kind}`, name: kind, kind, task: 'dcase2025t4', architecture: 'js', labels: S5_LABELS,
    sample_rate: RATE, window_seconds: 1, channels: 4, channel_format: channelFormat, slots: kind === 'tagger' ? 3 : 1,
    inputs: kind === 'tagger' ? [{ name: 'mixture', shape: ['batch', 4, 'samples'] }]
      : [{ name: 'mixture', shape: ['batch', 4, 'samples'] }, { name: 'label_vector', shape: ['batch', 18] }],
    outputs: [{ name: 'out', shape: kind === 'tagger' ? ['batch', 18] : ['batch', 1, 'samples'] }],
    decision: kind === 'tagger' ? { threshold: 0.5, min_events: 1, max_events: 3 } : undefined,
    sha256: '0'.repeat(64), params: 0, provenance: { trainer_version: 't', created: 'now', data: 'x' }, licence: 'none',
  });
}

const info = { provider: 'cpu', fallbackReason: null, createMs: 0 };
const tagger = (m: ModelManifest): PipelineModel => ({
  manifest: m,
  session: { info, run: async (feeds: Tensor[]) => ({ outputs: [{ data: Float32Array.from(S5_LABELS, (l) => (l === 'Speech' ? 0.9 : 0.01)), dims: [1, 18] }], inputs: feeds.map((f) => f.data), runMs: 0 }) },
});
/** Gives back channel 0 of what it is fed. */
const echo = (m: ModelManifest): PipelineModel => ({
  manifest: m,
  session: {
    info,
    run: async (feeds: Tensor[]) => {
      const n = feeds[0].dims[2];
      return { outputs: [{ data: feeds[0].data.slice(0, n), dims: [1, 1, n] }], inputs: feeds.map((f) => f.data), runMs: 0 };
    },
  },
});

describe('a model trained on an array (channel_format other)', () => {
  let dir: string;
  let file: string;
  let raw: Float32Array[];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 's5-arraymodel-'));
    raw = encodeFoa(noise(3 * RATE, 3).map((v) => v * 0.3), 60, 0);
    file = path.join(dir, 'scene.wav');
    await writeAudio(file, raw, RATE, 'float32');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is a valid 4-channel model for the registry', () => {
    expect(checkRoles(manifest('separator', 'other'))).toEqual([]);
    expect(checkRoles({ ...manifest('separator', 'other'), channels: 2 })[0]).toMatch(/channels 2 with channel_format 'other' is not supported/);
  });

  it('gets the file channels unconverted even when FuMa is declared, and its stems have no direction', async () => {
    const r = await processRecording({
      path: file, channelFormat: 'foa-fuma', tagger: tagger(manifest('tagger', 'other')), separator: echo(manifest('separator', 'other')),
      output: { dir: path.join(dir, 'array'), format: 'f32' }, threads: 1,
    });
    const stem = (await readAudio(path.join(dir, 'array', 'Speech.wav'))).data[0];
    let err = 0;
    for (let i = 0; i < stem.length; i++) err = Math.max(err, Math.abs(stem[i] - raw[0][i]));
    expect(err).toBeLessThan(1e-6);
    expect(r.stems[0].direction).toBeNull();
    expect(r.recording.channel_format).toBe('other');
    expect(r.warnings.join('\n')).toContain("model 'arr-tagger' takes the raw channels of a microphone array (channel_format 'other'): the channels are fed unconverted (the declared foa-fuma is ignored) and stems get no direction");
  });

  it('an FOA model on the same file still converts FuMa (W × √2) and measures the direction', async () => {
    const r = await processRecording({
      path: file, channelFormat: 'foa-fuma', tagger: tagger(manifest('tagger', 'foa-acn-sn3d')), separator: echo(manifest('separator', 'foa-acn-sn3d')),
      output: { dir: path.join(dir, 'foa'), format: 'f32' }, threads: 1,
    });
    const stem = (await readAudio(path.join(dir, 'foa', 'Speech.wav'))).data[0];
    const i = RATE + 17;
    expect(stem[i]).toBeCloseTo(raw[0][i] * Math.SQRT2, 5);
    expect(r.stems[0].direction).not.toBeNull();
  });

  it('markArrayModel sets channel_format other and names the array in the provenance and model card', async () => {
    const exp = path.join(dir, 'export');
    mkdirSync(exp);
    writeFileSync(path.join(exp, 'manifest.json'), JSON.stringify({ channel_format: 'foa-acn-sn3d', provenance: { data: 'synth scenes (2025 recipe)', trainer_version: '1' } }));
    writeFileSync(path.join(exp, 'MODEL_CARD.md'), '**channels**: 4 (foa-acn-sn3d)\n');
    const arr: TrainArray = { kind: 'tetra', radius_m: 0.02 };
    await markArrayModel(exp, arr);
    await markArrayModel(exp, arr); // idempotent (a finish replayed after an engine restart)
    const m = JSON.parse(readFileSync(path.join(exp, 'manifest.json'), 'utf8'));
    expect(m.channel_format).toBe('other');
    expect(m.provenance.trainer_version).toBe('1');
    expect(m.provenance.data).toBe('synth scenes (2025 recipe); rooms simulated for a tetrahedral 4-mic omni array, radius 20 mm (s5trainer --array tetra:0.02); input = the 4 capsule signals, not FOA');
    const card = readFileSync(path.join(exp, 'MODEL_CARD.md'), 'utf8');
    expect(card).toContain('**channels**: 4 (other)');
    expect(card.match(/Microphone array:/g)).toHaveLength(1);
  });
});
