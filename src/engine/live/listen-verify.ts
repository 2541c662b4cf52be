/**
 * Stem verification on Live's listen path (issue #13), kept cheap so Live keeps its latency: only
 * the classes the user listens to are checked, at most once every `everyMs` of input per class,
 * on the listen window the separator just produced; the verifier call is not awaited on the output
 * path (its result applies from the next hop). The rule is the pipeline's (verifier.ts judge),
 * reduced to what suits a live listen: a class the verifier does not confirm is gated (its
 * separated signal fades out over one hop), and fades back in once confirmed; nothing is
 * relabelled or re-separated (the user chose what to hear). A class the verifier does not know
 * stays open.
 */
import type { S5Label } from '../../shared/labels';
import type { PipelineModel } from '../pipeline/runners';
import { judge, runVerifier, verifierRule, type VerifierRule } from '../pipeline/verifier';

export interface ListenCheck {
  label: S5Label;
  /** The verifier's probability of the class on its last checked window (null: not checked yet). */
  p: number | null;
  open: boolean;
}

export class ListenVerifier {
  readonly rule: VerifierRule;
  private readonly state = new Map<S5Label, { p: number | null; open: boolean; lastMs: number; gain: number }>();
  private inFlight: Promise<void> | null = null;
  /** Verifier time so far (ms) and runs, for the session's stats. */
  ms = 0;
  runs = 0;

  constructor(readonly model: PipelineModel, readonly everyMs = 1000) {
    this.rule = verifierRule(model.manifest);
  }

  private entry(label: S5Label) {
    let e = this.state.get(label);
    if (!e) {
      e = { p: null, open: true, lastMs: -Infinity, gain: 1 };
      this.state.set(label, e);
    }
    return e;
  }

  /**
   * Offers the separated listen window of each class (`t` = its end, ms of input); starts a
   * verifier run for the classes due, unless one is still running. Returns at once.
   */
  offer(labels: readonly S5Label[], outputs: readonly (Float32Array | null)[], t: number): void {
    if (this.inFlight) return;
    const due = labels
      .map((label, i) => ({ label, out: outputs[i] }))
      .filter((x): x is { label: S5Label; out: Float32Array } => x.out !== null && t - this.entry(x.label).lastMs >= this.everyMs);
    if (due.length === 0) return;
    for (const d of due) this.entry(d.label).lastMs = t;
    this.inFlight = this.run(due).finally(() => (this.inFlight = null));
  }

  private async run(due: { label: S5Label; out: Float32Array }[]): Promise<void> {
    try {
      const v = await runVerifier(this.model, due.map((d) => d.out));
      this.ms += v.ms;
      this.runs++;
      due.forEach((d, i) => {
        const verdict = judge(this.rule, this.model.manifest.labels, d.label, v.probs[i], () => false);
        const e = this.entry(d.label);
        if (verdict.action === 'unverified') return;
        e.p = verdict.p;
        e.open = verdict.action === 'confirm';
      });
    } catch {
      // A failed check leaves the gates as they were: listening never stops for the verifier.
    }
  }

  /** Waits for the check in flight (tests, shutdown). */
  async settle(): Promise<void> {
    await this.inFlight;
  }

  /**
   * The gain ramp for `label` over the next block of `n` samples: from the gain the class had at
   * the end of the previous block to 1 (open) or 0 (gated); multiply the class's samples by it.
   */
  ramp(label: S5Label, n: number): Float32Array {
    const e = this.entry(label);
    const target = e.open ? 1 : 0;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = e.gain + ((target - e.gain) * (i + 1)) / n;
    e.gain = target;
    return out;
  }

  checks(): ListenCheck[] {
    return [...this.state].map(([label, e]) => ({ label, p: e.p, open: e.open }));
  }
}
