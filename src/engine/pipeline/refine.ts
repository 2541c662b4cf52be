/**
 * One window's separation with stem verification and refinement (issue #13; docs/inference.md):
 *
 *   pass 1: separate the window's labels (the tagger's picks or the user's query; in accurate mode
 *           also the candidates — every class the tagger gives at least `candidate`), in groups of
 *           the separator's slots, and check every new stem with the verifier (verifier.ts judge):
 *           confirmed stems stay, unconfirmed ones are dropped, or relabelled when the verifier is
 *           sure of another class the window does not have yet.
 *   pass k: when the label set changed, separate again with the corrected set (a group of labels
 *           identical to one already run reuses its outputs, so a 1-slot separator only runs the
 *           new labels), and check the new labels' stems. At most `max_passes` passes; at the
 *           bound, labels not yet separated are left out.
 *   end:    never fewer labels than the tagger's min_events: the dropped stems the verifier gave
 *           the highest probability of their own label are restored (as forced picks).
 *
 * Without a verifier this is the plain query. With `enforce` false the stems are only scored (the
 * verifier's probability is reported, nothing is dropped): the Scene view's "Separate another
 * class…" respects the user's choice and shows the score instead.
 */
import type { S5Label } from '../../shared/labels';
import { judge, runVerifier, type VerifierRule } from './verifier';
import { runSeparator, type PipelineModel } from './runners';
import type { LabelOrigin, Pick } from './decision';
import type { AudioWindow } from './windower';

export interface RefineRequest {
  separator: PipelineModel;
  verifier: PipelineModel | null;
  rule: VerifierRule | null;
  window: AudioWindow;
  /** The window's picks (tagger decision or user query). */
  picks: readonly Pick[];
  /** Accurate mode: more labels to try (not in `picks`); a candidate is kept only when the verifier confirms it. */
  candidates?: readonly { label: S5Label; confidence: number }[];
  /** Labels to keep at least (the tagger's decision.min_events). */
  minEvents: number;
  /** false: score the stems but drop nothing (and run one pass). */
  enforce?: boolean;
}

export interface RefineResult {
  /** The window's final labels (slot order), with origin and verifier probability. */
  picks: Pick[];
  /** One output per pick (null: the separator does not know the label). */
  outputs: (Float32Array | null)[];
  sepMs: number;
  verifyMs: number;
  /** Separator runs (calls of the model). */
  separatorRuns: number;
  /** Verifier runs (calls of the model). */
  verifierRuns: number;
  /** Separation passes made (≥ 1). */
  passes: number;
  /** Labels of the window's picks the verifier did not confirm (relabelled ones and candidates not included). */
  dropped: S5Label[];
  relabelled: { from: S5Label; to: S5Label }[];
}

type State = 'pending' | 'confirmed' | 'unverified' | 'dropped';

interface Entry {
  pick: Pick;
  /** A tagger/user pick (true) or an accurate-mode candidate (false: kept only when confirmed). */
  picked: boolean;
  state: State;
  /** The verifier's probability of the entry's own label. */
  p: number | null;
  out: Float32Array | null;
  /** Labels this entry went through (relabel chains never revisit one). */
  tried: Set<S5Label>;
}

export async function refineWindow(req: RefineRequest): Promise<RefineResult> {
  const sep = req.separator;
  const S = sep.manifest.slots;
  const known = (l: S5Label) => sep.manifest.labels.includes(l);
  const enforce = req.enforce ?? true;
  const verifier = req.rule ? req.verifier : null;
  const rule = req.rule;
  const maxPasses = verifier && rule && enforce ? rule.maxPasses : 1;
  let entries: Entry[] = [
    // A label the separator does not know gets no stem and is not checked (process.ts warns).
    ...req.picks.map((pick) => ({ pick: { ...pick }, picked: true, state: (known(pick.label) ? 'pending' : 'unverified') as State, p: null, out: null, tried: new Set([pick.label]) })),
    ...(req.candidates ?? []).map((c) => ({
      pick: { label: c.label, confidence: c.confidence, passed: false, origin: 'verifier' as LabelOrigin },
      picked: false, state: 'pending' as State, p: null, out: null, tried: new Set([c.label]),
    })),
  ];
  const dropped: Entry[] = [];
  const relabelled: { from: S5Label; to: S5Label }[] = [];
  const cache = new Map<string, Float32Array[]>();
  let sepMs = 0;
  let verifyMs = 0;
  let separatorRuns = 0;
  let verifierRuns = 0;
  let passes = 0;

  for (;;) {
    passes++;
    // Separate in groups of S (labels the separator does not know get no output).
    const queue = entries.filter((e) => known(e.pick.label));
    for (let at = 0; at < queue.length; at += S) {
      const group = queue.slice(at, at + S);
      const key = group.map((e) => e.pick.label).join(',');
      let outs = cache.get(key);
      if (!outs) {
        const r = await runSeparator(sep, req.window, group.map((e) => e.pick.label));
        sepMs += r.ms;
        separatorRuns++;
        outs = r.outputs.map((o) => o as Float32Array);
        cache.set(key, outs);
      }
      group.forEach((e, i) => (e.out = outs[i]));
    }
    if (!verifier || !rule) break;
    const check = entries.filter((e) => e.state === 'pending' && e.out);
    if (check.length > 0) {
      const v = await runVerifier(verifier, check.map((e) => e.out as Float32Array));
      verifyMs += v.ms;
      verifierRuns++;
      const next: Entry[] = [];
      const present = (l: S5Label) => [...entries, ...next].some((e) => e.state !== 'dropped' && e.pick.label === l);
      check.forEach((e, i) => {
        const verdict = judge(rule, verifier.manifest.labels, e.pick.label, v.probs[i], (l) => known(l) && !e.tried.has(l) && !present(l));
        if (verdict.action === 'unverified') {
          e.state = 'unverified';
          return;
        }
        e.p = verdict.p;
        e.pick.verifier = verdict.p;
        if (verdict.action === 'confirm' || !enforce) {
          e.state = verdict.action === 'confirm' ? 'confirmed' : 'unverified';
          if (verdict.action === 'confirm') e.pick.passed = true;
          return;
        }
        e.state = 'dropped';
        dropped.push(e);
        if (verdict.action === 'relabel') {
          if (e.picked) relabelled.push({ from: e.pick.label, to: verdict.to });
          next.push({
            pick: { label: verdict.to, confidence: verdict.pTo, passed: false, origin: 'verifier' },
            picked: e.picked, state: 'pending', p: null, out: null, tried: new Set([...e.tried, verdict.to]),
          });
        }
      });
      const before = entries.map((e) => e.pick.label).join(',');
      entries = [...entries.filter((e) => e.state !== 'dropped'), ...next];
      if (entries.map((e) => e.pick.label).join(',') === before) break;
      if (passes >= maxPasses) {
        entries = entries.filter((e) => e.state !== 'pending'); // relabels there is no pass left to separate
        break;
      }
      // Only drops: a 1-slot separator has nothing to rerun (every group is cached); a k-slot one
      // separates the remaining labels again without the false query beside them.
      continue;
    }
    break;
  }

  let kept = verifier && rule ? entries.filter((e) => e.state === 'confirmed' || e.state === 'unverified') : entries;
  // An accurate-mode candidate stays only when the verifier confirmed it.
  kept = kept.filter((e) => e.picked || e.state === 'confirmed');
  if (enforce && kept.length < req.minEvents) {
    const restore = dropped
      .filter((e) => e.out && e.picked && !kept.some((k) => k.pick.label === e.pick.label))
      .sort((a, b) => (b.p ?? 0) - (a.p ?? 0))
      .slice(0, req.minEvents - kept.length);
    for (const e of restore) {
      e.pick.passed = false;
      kept.push(e);
    }
  }
  // Reported drops: picks (not accurate-mode candidates) that were neither kept nor relabelled.
  const relabelledFrom = new Set(relabelled.map((r) => r.from));
  const droppedLabels = dropped.filter((e) => e.picked && !kept.includes(e) && !relabelledFrom.has(e.pick.label)).map((e) => e.pick.label);
  return {
    picks: kept.map((e) => e.pick),
    outputs: kept.map((e) => e.out),
    sepMs, verifyMs, separatorRuns, verifierRuns, passes,
    dropped: droppedLabels,
    relabelled,
  };
}
