/**
 * Stem verification (issue #13, docs/inference.md "Stem verification"): a verifier is a
 * single-source classifier — a 1-channel tagger-kind model whose manifest carries a `verification`
 * block — that is run on each separated stem. This file holds the model call (`runVerifier`: all
 * stems of a window in one batch when the graph allows it) and the rule that turns its
 * probabilities into a verdict for one stem (`judge`):
 *
 *   own label p ≥ confirm[label] (else confirm.default, else 0.5)        → confirm
 *   else the most probable other class c with p_c ≥ relabel (when set)  → relabel to c
 *   else                                                                 → drop
 *   a label the verifier does not know                                   → unverified (kept)
 *
 * What happens to the verdicts (re-separation, pass bound, min_events) is refine.ts.
 */
import { S5Error } from '../../shared/errors';
import type { S5Label } from '../../shared/labels';
import { confirmThreshold, type ModelManifest } from '../../shared/manifest';
import type { PipelineModel } from './runners';

export interface VerifierRule {
  /** Confirmation threshold of a class. */
  confirm(label: S5Label): number;
  /** Probability of another class that relabels an unconfirmed stem; null: never relabel. */
  relabel: number | null;
  /** Separator passes per window at most (the first included). */
  maxPasses: number;
  /** Accurate mode: tagger probability a class needs to be queried beyond the tagger's picks (0: all). */
  candidate: number;
}

/** The rule in a verifier's manifest (defaults of VerificationSchema where it is silent). */
export function verifierRule(m: ModelManifest): VerifierRule {
  const v = m.verification;
  if (!v) throw new S5Error('invalid_request', `model '${m.id}' is not a verifier (its manifest has no verification block)`);
  return { confirm: (label) => confirmThreshold(v, label), relabel: v.relabel ?? null, maxPasses: v.max_passes, candidate: v.candidate };
}

export type Verdict =
  | { action: 'confirm'; p: number }
  | { action: 'drop'; p: number }
  | { action: 'relabel'; p: number; to: S5Label; pTo: number }
  | { action: 'unverified' };

/**
 * The verdict on one stem separated for `label`, from the verifier's probabilities `probs` (one per
 * `verifierLabels` entry). `allowed` limits relabel targets (classes the separator can separate).
 */
export function judge(rule: VerifierRule, verifierLabels: readonly S5Label[], label: S5Label, probs: ArrayLike<number>, allowed: (l: S5Label) => boolean): Verdict {
  const own = verifierLabels.indexOf(label);
  if (own < 0) return { action: 'unverified' };
  const p = probs[own];
  if (p >= rule.confirm(label)) return { action: 'confirm', p };
  if (rule.relabel !== null) {
    let best = -1;
    for (let c = 0; c < verifierLabels.length; c++) {
      if (c === own || !allowed(verifierLabels[c])) continue;
      if (best < 0 || probs[c] > probs[best]) best = c;
    }
    if (best >= 0 && probs[best] >= rule.relabel) return { action: 'relabel', p, to: verifierLabels[best], pTo: probs[best] };
  }
  return { action: 'drop', p };
}

/**
 * The verifier's probabilities for each stem (one Float64Array per stem, in the verifier's label
 * order). Stems go in one batch [n, 1, samples] when the graph's batch dimension is symbolic, else
 * one run each. The stems are copied (the worker takes its inputs).
 */
export async function runVerifier(model: PipelineModel, stems: readonly Float32Array[]): Promise<{ probs: Float64Array[]; ms: number }> {
  const m = model.manifest;
  const L = m.labels.length;
  const t0 = performance.now();
  if (stems.length === 0) return { probs: [], ms: 0 };
  const n = stems[0].length;
  const batchDim = m.inputs[0].shape[0];
  const batch = typeof batchDim === 'number' ? batchDim : stems.length;
  const probs: Float64Array[] = [];
  for (let at = 0; at < stems.length; at += batch) {
    const group = stems.slice(at, at + batch);
    const data = new Float32Array(batch * n);
    group.forEach((s, i) => data.set(s.subarray(0, n), i * n));
    const r = await model.session.run([{ data, dims: [batch, 1, n] }]);
    const out = r.outputs[0];
    if (out.dims.length !== 2 || out.dims[0] !== batch || out.dims[1] !== L) {
      throw new S5Error('bad_input', `verifier '${m.id}' returned output 0 of shape [${out.dims.join(', ')}], expected [${batch}, ${L}] (its manifest does not describe the model)`);
    }
    group.forEach((_, i) => probs.push(Float64Array.from(out.data.subarray(i * L, (i + 1) * L))));
  }
  return { probs, ms: performance.now() - t0 };
}
