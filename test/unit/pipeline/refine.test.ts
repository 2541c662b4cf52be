/**
 * The verification rule (verifier.ts judge) and the refinement loop (refine.ts) on one window, with
 * models written in JS whose answers are known by construction: the separator returns, for each
 * queried class c, a constant stem of value c + 1 (so a stem tells which class it was asked for),
 * and the verifier answers from that value. The ONNX path is covered by test/integration/verify.test.ts;
 * here the cases that real test models cannot produce: an endless relabel chain (the pass bound),
 * duplicate queries, thresholds per class.
 */
import { describe, expect, it } from 'vitest';
import { ModelManifestSchema, type ModelManifest } from '../../../src/shared/manifest';
import { S5_LABELS, type S5Label } from '../../../src/shared/labels';
import { judge, verifierRule } from '../../../src/engine/pipeline/verifier';
import { refineWindow } from '../../../src/engine/pipeline/refine';
import type { PipelineModel } from '../../../src/engine/pipeline/runners';
import type { AudioWindow } from '../../../src/engine/pipeline/windower';
import type { Tensor } from '../../../src/engine/inference/ort-client';

const RATE = 1000;
const W = RATE;
const info = { provider: 'cpu', fallbackReason: null, createMs: 0 };

function manifest(kind: 'separator' | 'verifier', over: Record<string, unknown> = {}): ModelManifest {
  const verifier = kind === 'verifier';
  const slots = (over.slots as number | undefined) ?? (verifier ? 3 : 3);
  return ModelManifestSchema.parse({
    schema_version: 1, id: `fake-${kind}`, name: kind, kind: verifier ? 'tagger' : 'separator', task: 'dcase2025t4', architecture: 'js',
    labels: S5_LABELS, sample_rate: RATE, window_seconds: 1, channels: verifier ? 1 : 4, channel_format: verifier ? 'mono' : 'foa-acn-sn3d', slots,
    inputs: verifier ? [{ name: 'stem', shape: ['batch', 1, 'samples'] }] : [{ name: 'mixture', shape: ['batch', 4, 'samples'] }, { name: 'q', shape: ['batch', slots * 18] }],
    outputs: [{ name: 'out', shape: verifier ? ['batch', 18] : ['batch', slots, 'samples'] }],
    ...(verifier ? { decision: { threshold: 0.5, min_events: 1, max_events: 3 }, verification: { confirm: { default: 0.5 }, relabel: 0.9, max_passes: 2 } } : {}),
    sha256: '0'.repeat(64), params: 0, provenance: { trainer_version: 't', created: 'now', data: 'none' }, licence: 'none',
    ...over,
  });
}

/** Slot s of the output is the constant (class index + 1) of its query; 0 for an empty slot. Counts runs. */
function separator(slots = 3): PipelineModel & { runs: S5Label[][] } {
  const runs: S5Label[][] = [];
  return {
    runs,
    manifest: manifest('separator', { slots }),
    session: {
      info,
      run: async (feeds: Tensor[]) => {
        const [mix, q] = feeds;
        const out = new Float32Array(slots * W);
        const asked: S5Label[] = [];
        for (let s = 0; s < slots; s++) {
          const c = q.data.subarray(s * 18, (s + 1) * 18).indexOf(1);
          if (c >= 0) asked.push(S5_LABELS[c]);
          out.fill(c + 1, s * W, (s + 1) * W);
        }
        runs.push(asked);
        return { outputs: [{ data: out, dims: [1, slots, W] }], inputs: [mix.data as Float32Array, q.data as Float32Array], runMs: 0 };
      },
    },
  };
}

/** The verifier: `answer(c)` gives the probabilities for a stem of class c. */
function verifier(answer: (c: number) => Partial<Record<S5Label, number>>, over: Record<string, unknown> = {}): PipelineModel {
  const m = manifest('verifier', over);
  return {
    manifest: m,
    session: {
      info,
      run: async (feeds: Tensor[]) => {
        const [x] = feeds;
        const [b, , n] = x.dims;
        const out = new Float32Array(b * 18);
        for (let i = 0; i < b; i++) {
          const c = Math.round(x.data[i * n]) - 1;
          const p = answer(c);
          S5_LABELS.forEach((l, k) => (out[i * 18 + k] = p[l] ?? 0));
        }
        return { outputs: [{ data: out, dims: [b, 18] }], inputs: [x.data as Float32Array], runMs: 0 };
      },
    },
  };
}

const window = (): AudioWindow => ({ index: 0, start: 0, valid: W, channels: 4, samples: W, data: new Float32Array(4 * W) });
const picks = (...labels: S5Label[]) => labels.map((label) => ({ label, confidence: 0.9, passed: true }));
const label = (c: number) => S5_LABELS[c];
const next = (c: number) => label((c + 1) % 18);

describe('judge', () => {
  const rule = verifierRule(manifest('verifier', { verification: { confirm: { default: 0.5, Speech: 0.8 }, relabel: 0.9 } }));
  const probs = (p: Partial<Record<S5Label, number>>) => S5_LABELS.map((l) => p[l] ?? 0);
  it('confirms at the class threshold, relabels only when sure of an allowed class, else drops', () => {
    expect(judge(rule, S5_LABELS, 'Dishes', probs({ Dishes: 0.5 }), () => true)).toEqual({ action: 'confirm', p: 0.5 });
    expect(judge(rule, S5_LABELS, 'Speech', probs({ Speech: 0.7 }), () => true).action).toBe('drop'); // Speech needs 0.8
    expect(judge(rule, S5_LABELS, 'Speech', probs({ Speech: 0.1, Cough: 0.95, Pour: 0.92 }), () => true)).toEqual({ action: 'relabel', p: 0.1, to: 'Cough', pTo: 0.95 });
    expect(judge(rule, S5_LABELS, 'Speech', probs({ Speech: 0.1, Cough: 0.95 }), (l) => l !== 'Cough').action).toBe('drop');
    expect(judge(rule, S5_LABELS, 'Speech', probs({ Speech: 0.1, Cough: 0.85 }), () => true).action).toBe('drop');
    expect(judge(rule, ['Dishes'], 'Speech', [1], () => true)).toEqual({ action: 'unverified' });
  });
});

describe('refineWindow', () => {
  it('an endless relabel chain stops at max_passes; min_events restores the best original pick', async () => {
    const sep = separator(1);
    // Every stem is "surely the next class": A → B → C → …
    const ver = verifier((c) => ({ [next(c)]: 1, [label(c)]: c === 15 ? 0.3 : 0.1 }), { verification: { relabel: 0.9, max_passes: 3 } });
    const r = await refineWindow({ separator: sep, verifier: ver, rule: verifierRule(ver.manifest), window: window(), picks: picks('Speech'), minEvents: 1 });
    expect(r.passes).toBe(3);
    expect(sep.runs).toEqual([['Speech'], ['Typing'], ['VacuumCleaner']]);
    expect(r.relabelled).toEqual([{ from: 'Speech', to: 'Typing' }, { from: 'Typing', to: 'VacuumCleaner' }, { from: 'VacuumCleaner', to: 'AlarmClock' }]);
    // Nothing confirmed: the dropped stem with the highest own-label probability (Speech, 0.3) stays, forced.
    expect(r.picks).toEqual([{ label: 'Speech', confidence: 0.9, passed: false, verifier: expect.closeTo(0.3, 6) }]);
    expect(r.outputs[0]?.[0]).toBe(16);
  });

  it('drops with a k-slot separator re-separate the rest without the false query (one more pass)', async () => {
    const sep = separator(3);
    const ver = verifier((c) => (label(c) === 'Dishes' ? {} : { [label(c)]: 1 }));
    const r = await refineWindow({ separator: sep, verifier: ver, rule: verifierRule(ver.manifest), window: window(), picks: picks('Blender', 'Dishes', 'Speech'), minEvents: 1 });
    expect(sep.runs).toEqual([['Blender', 'Dishes', 'Speech'], ['Blender', 'Speech']]);
    expect(r.picks.map((p) => p.label)).toEqual(['Blender', 'Speech']);
    expect(r.dropped).toEqual(['Dishes']);
    expect(r.passes).toBe(2);
  });

  it('a 1-slot separator reruns nothing after a drop (identical groups are reused)', async () => {
    const sep = separator(1);
    const ver = verifier((c) => (label(c) === 'Dishes' ? {} : { [label(c)]: 1 }));
    const r = await refineWindow({ separator: sep, verifier: ver, rule: verifierRule(ver.manifest), window: window(), picks: picks('Blender', 'Dishes'), minEvents: 1 });
    expect(sep.runs).toEqual([['Blender'], ['Dishes']]);
    expect(r.separatorRuns).toBe(2);
    expect(r.picks.map((p) => p.label)).toEqual(['Blender']);
  });

  it('enforce false scores every stem and keeps them all (one pass)', async () => {
    const sep = separator(3);
    const ver = verifier((c) => ({ [label(c)]: label(c) === 'Dishes' ? 0.2 : 1, Cough: 1 }));
    const r = await refineWindow({ separator: sep, verifier: ver, rule: verifierRule(ver.manifest), window: window(), picks: picks('Dishes', 'Speech'), minEvents: 1, enforce: false });
    expect(r.picks.map((p) => [p.label, p.verifier])).toEqual([['Dishes', expect.closeTo(0.2, 6)], ['Speech', 1]]);
    expect(r.passes).toBe(1);
    expect(r.relabelled).toEqual([]);
  });

  it('duplicate queries (2026) are checked one by one; two stems relabelled to one class add it once', async () => {
    const sep = separator(3);
    const ver = verifier((c) => (label(c) === 'Speech' ? { Speech: 1 } : { Cough: 0.95 }));
    const r = await refineWindow({ separator: sep, verifier: ver, rule: verifierRule(ver.manifest), window: window(), picks: picks('Speech', 'Speech', 'Dishes', 'Pour'), minEvents: 0 });
    expect(r.picks.map((p) => [p.label, p.origin ?? 'tagger'])).toEqual([['Speech', 'tagger'], ['Speech', 'tagger'], ['Cough', 'verifier']]);
  });
});
