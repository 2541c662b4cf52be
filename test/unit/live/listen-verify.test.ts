/**
 * Live's listen-path verification (live/listen-verify.ts): with a verifier written in JS whose
 * answer is set by the test, a listened class is gated after the verifier rejects its window (the
 * gain ramps 1 → 0 over one block, then stays 0), opens again once confirmed, checks are throttled
 * to one per `everyMs` of input, and a failing verifier never closes a gate.
 */
import { describe, expect, it } from 'vitest';
import { ModelManifestSchema } from '../../../src/shared/manifest';
import { S5_LABELS } from '../../../src/shared/labels';
import { ListenVerifier } from '../../../src/engine/live/listen-verify';
import type { PipelineModel } from '../../../src/engine/pipeline/runners';
import type { Tensor } from '../../../src/engine/inference/ort-client';

function verifier(answer: () => number | Error): PipelineModel & { calls: number } {
  const m = ModelManifestSchema.parse({
    schema_version: 1, id: 'fake-verifier', name: 'v', kind: 'tagger', task: 'dcase2025t4', architecture: 'js',
    labels: S5_LABELS, sample_rate: 1000, window_seconds: 1, channels: 1, channel_format: 'mono', slots: 3,
    inputs: [{ name: 'stem', shape: ['batch', 1, 'samples'] }], outputs: [{ name: 'p', shape: ['batch', 18] }],
    decision: { threshold: 0.5, min_events: 1, max_events: 3 }, verification: { confirm: { default: 0.5 } },
    sha256: '0'.repeat(64), params: 0, provenance: { trainer_version: 't', created: 'now', data: 'none' }, licence: 'none',
  });
  const model = {
    calls: 0,
    manifest: m,
    session: {
      info: { provider: 'cpu', fallbackReason: null, createMs: 0 },
      run: async (feeds: Tensor[]) => {
        model.calls++;
        const a = answer();
        if (a instanceof Error) throw a;
        const b = feeds[0].dims[0];
        const out = new Float32Array(b * 18).fill(a);
        return { outputs: [{ data: out, dims: [b, 18] }], inputs: [feeds[0].data as Float32Array], runMs: 0 };
      },
    },
  };
  return model;
}

const win = () => new Float32Array(100).fill(0.1);

describe('ListenVerifier', () => {
  it('gates a rejected class with a ramp, reopens it when confirmed, throttles the checks', async () => {
    let p: number | Error = 0.9;
    const v = verifier(() => p);
    const g = new ListenVerifier(v, 1000);
    expect(Array.from(g.ramp('Speech', 4))).toEqual([1, 1, 1, 1]); // open before any check
    g.offer(['Speech'], [win()], 0);
    await g.settle();
    expect(g.checks()).toEqual([{ label: 'Speech', p: expect.closeTo(0.9, 6), open: true }]);
    p = 0.1;
    g.offer(['Speech'], [win()], 500); // within 1 s of the last check: not run
    await g.settle();
    expect(v.calls).toBe(1);
    g.offer(['Speech'], [win()], 1000);
    await g.settle();
    expect(v.calls).toBe(2);
    expect(Array.from(g.ramp('Speech', 4))).toEqual([0.75, 0.5, 0.25, 0]);
    expect(Array.from(g.ramp('Speech', 2))).toEqual([0, 0]);
    p = 0.8;
    g.offer(['Speech'], [win()], 2000);
    await g.settle();
    expect(Array.from(g.ramp('Speech', 2))).toEqual([0.5, 1]);
    expect(g.runs).toBe(3);
  });

  it('a failing verifier leaves the gates as they were; a class without output is not checked', async () => {
    const v = verifier(() => new Error('boom'));
    const g = new ListenVerifier(v, 0);
    g.offer(['Speech', 'Dishes'], [win(), null], 0);
    await g.settle();
    expect(v.calls).toBe(1);
    expect(g.checks()).toEqual([{ label: 'Speech', p: null, open: true }]); // Dishes had no output: never checked
  });
});
