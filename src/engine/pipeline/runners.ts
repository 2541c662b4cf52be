/**
 * Runs one window through the tagger or the separator: builds the input tensors from the manifest
 * (roles by position, roles.ts), checks the output shape, and hands the window's array back (the
 * worker returns moved inputs). The separator is queried for the window's picks: a model with S > 1
 * slots (ResUNetK) takes up to S labels per pass as concatenated one-hots (zeros for empty slots);
 * a 1-slot model (ResUNet) is run once per label.
 */
import { S5Error } from '../../shared/errors';
import type { S5Label } from '../../shared/labels';
import type { ModelManifest } from '../../shared/manifest';
import type { RunResult, Tensor } from '../inference/ort-client';
import { taggerOutputKind, taggerSlots, windowSamples } from '../models/roles';
import { decodeTagger, type WindowDecision } from './decision';
import type { AudioWindow } from './windower';

/** What the pipeline needs of a loaded model (InferenceHost's LoadedSession, or a fake in tests). */
export interface ModelSession {
  info: { provider: string; fallbackReason: string | null; createMs: number };
  run(feeds: Tensor[]): Promise<RunResult>;
}

export interface PipelineModel {
  manifest: ModelManifest;
  session: ModelSession;
}

function mixtureInput(m: ModelManifest, w: AudioWindow): Tensor {
  if (m.channels > w.channels) throw new Error(`window has ${w.channels} channels, model '${m.id}' needs ${m.channels}`);
  // Planar layout: the first C channels are the first C·samples values of the window.
  return { data: w.data.subarray(0, m.channels * w.samples), dims: [1, m.channels, w.samples] };
}

/** Restores the window's full array from the returned (moved) input. */
function reclaim(w: AudioWindow, r: RunResult): void {
  const back = r.inputs[0];
  w.data = new Float32Array(back.buffer, 0, w.channels * w.samples);
}

function shapeError(m: ModelManifest, got: readonly number[], expected: string): S5Error {
  return new S5Error('bad_input', `model '${m.id}' returned output 0 of shape [${got.join(', ')}], expected ${expected} (its manifest does not describe the model)`);
}

export async function runTagger(model: PipelineModel, w: AudioWindow): Promise<{ decision: WindowDecision; ms: number }> {
  const m = model.manifest;
  const t0 = performance.now();
  const r = await model.session.run([mixtureInput(m, w)]);
  reclaim(w, r);
  const out = r.outputs[0];
  const L = m.labels.length;
  if (taggerOutputKind(m) === 'multilabel') {
    if (out.dims.length !== 2 || out.dims[0] !== 1 || out.dims[1] !== L) throw shapeError(m, out.dims, `[1, ${L}]`);
  } else if (out.dims.length !== 3 || out.dims[0] !== 1 || out.dims[2] !== L + 1 || out.dims[1] !== taggerSlots(m)) {
    throw shapeError(m, out.dims, `[1, ${taggerSlots(m)}, ${L + 1}]`);
  }
  return { decision: decodeTagger(m, out.data), ms: performance.now() - t0 };
}

/**
 * Separated signals for `labels` (window order; duplicates allowed), one array of `samples` per
 * label; null for a label the separator does not know.
 */
export async function runSeparator(model: PipelineModel, w: AudioWindow, labels: readonly S5Label[]): Promise<{ outputs: (Float32Array | null)[]; ms: number }> {
  const m = model.manifest;
  const W = windowSamples(m);
  const L = m.labels.length;
  const S = m.slots;
  const outputs: (Float32Array | null)[] = labels.map(() => null);
  const queue = labels.map((label, i) => ({ i, index: m.labels.indexOf(label) })).filter((q) => q.index >= 0);
  const t0 = performance.now();
  for (let at = 0; at < queue.length; at += S) {
    const group = queue.slice(at, at + S);
    const query = new Float32Array(S * L);
    group.forEach((q, slot) => {
      query[slot * L + q.index] = 1;
    });
    const r = await model.session.run([mixtureInput(m, w), { data: query, dims: [1, S * L] }]);
    reclaim(w, r);
    const out = r.outputs[0];
    if (out.dims.length !== 3 || out.dims[0] !== 1 || out.dims[1] !== S || out.dims[2] !== W) throw shapeError(m, out.dims, `[1, ${S}, ${W}]`);
    group.forEach((q, slot) => {
      outputs[q.i] = out.data.subarray(slot * W, (slot + 1) * W);
    });
  }
  return { outputs, ms: performance.now() - t0 };
}
