/**
 * Tagger outputs → labels (pipeline/decision.ts): the official 2025 rule with the spec's worked
 * examples (s5-task.md §3.3), the 2026 per-slot rule (duplicates, silence, zero labels), and the
 * recording-level tally over several windows.
 */
import { describe, expect, it } from 'vitest';
import { S5_LABELS, type S5Label } from '../../../src/shared/labels';
import { decodeMultilabel, decodeSlots, LabelTally, stemKeys } from '../../../src/engine/pipeline/decision';

const RULE_2025 = { threshold: 0.5, min_events: 1, max_events: 3 };
const RULE_2026 = { threshold: 0, min_events: 0, max_events: 3 };

function probs(values: Partial<Record<S5Label, number>>): Float32Array {
  return Float32Array.from(S5_LABELS, (l) => values[l] ?? 0.01);
}

function slots(rows: [S5Label | 'silence', number][]): Float32Array {
  const out = new Float32Array(rows.length * 19);
  rows.forEach(([label, p], s) => {
    const idx = label === 'silence' ? 18 : S5_LABELS.indexOf(label);
    for (let k = 0; k < 19; k++) out[s * 19 + k] = (1 - p) / 18;
    out[s * 19 + idx] = p;
  });
  return out;
}

describe('2025 multi-label rule', () => {
  it('spec example: the three most probable above 0.5, in class-index order', () => {
    const d = decodeMultilabel(probs({ Speech: 0.9, Dishes: 0.7, Buzzer: 0.55, Typing: 0.52 }), S5_LABELS, RULE_2025);
    expect(d.picks.map((p) => p.label)).toEqual(['Buzzer', 'Dishes', 'Speech']);
    expect(d.picks.every((p) => p.passed)).toBe(true);
  });

  it('spec example: nothing above 0.5 → the argmax alone, marked as forced', () => {
    const d = decodeMultilabel(probs({ Pour: 0.4, Speech: 0.3 }), S5_LABELS, RULE_2025);
    expect(d.picks).toEqual([{ label: 'Pour', confidence: expect.closeTo(0.4, 6), passed: false }]);
  });

  it('min_events 0 allows no label; probabilities are kept per class', () => {
    const d = decodeMultilabel(probs({ Pour: 0.4 }), S5_LABELS, { threshold: 0.5, min_events: 0, max_events: 3 });
    expect(d.picks).toEqual([]);
    expect(d.probs[S5_LABELS.indexOf('Pour')]).toBeCloseTo(0.4, 6);
  });
});

describe('per-class thresholds (decision.thresholds)', () => {
  const rule = { ...RULE_2025, thresholds: { Buzzer: 0.2, Speech: 0.95 } };

  it('a class with its own threshold is held to it; the others keep the default', () => {
    // Buzzer 0.3 passes its 0.2; Speech 0.9 fails its 0.95; Dishes 0.7 passes the default 0.5.
    const d = decodeMultilabel(probs({ Speech: 0.9, Dishes: 0.7, Buzzer: 0.3 }), S5_LABELS, rule);
    expect(d.picks.map((p) => [p.label, p.passed])).toEqual([['Buzzer', true], ['Dishes', true]]);
  });

  it('a class below its threshold can still be forced by min_events, marked as not passed', () => {
    const d = decodeMultilabel(probs({ Speech: 0.9 }), S5_LABELS, rule);
    expect(d.picks).toEqual([{ label: 'Speech', confidence: expect.closeTo(0.9, 6), passed: false }]);
  });

  it('the 2026 slot rule uses the per-class threshold of the slot argmax', () => {
    const d = decodeSlots(slots([['Speech', 0.9], ['Buzzer', 0.3]]), S5_LABELS, { ...RULE_2026, thresholds: { Speech: 0.95, Buzzer: 0.25 } });
    expect(d.picks.map((p) => p.label)).toEqual(['Buzzer']);
  });
});

describe('2026 per-slot rule', () => {
  it('argmax per slot; duplicates allowed; silence slots dropped (stable order)', () => {
    const d = decodeSlots(slots([['Speech', 0.8], ['silence', 0.9], ['Speech', 0.7]]), S5_LABELS, RULE_2026);
    expect(d.picks.map((p) => p.label)).toEqual(['Speech', 'Speech']);
    expect(stemKeys(d.picks)).toEqual(['Speech#0', 'Speech#1']);
    expect(d.probs[S5_LABELS.indexOf('Speech')]).toBeCloseTo(0.8, 6);
  });

  it('all silence → zero labels; a threshold turns unsure slots into silence', () => {
    expect(decodeSlots(slots([['silence', 0.9], ['silence', 0.8], ['silence', 0.99]]), S5_LABELS, RULE_2026).picks).toEqual([]);
    const d = decodeSlots(slots([['Dishes', 0.4], ['Cough', 0.9], ['silence', 0.9]]), S5_LABELS, { threshold: 0.5, min_events: 0, max_events: 3 });
    expect(d.picks.map((p) => p.label)).toEqual(['Cough']);
  });

  it('max_events keeps the most confident slots, min_events fills from empty slots', () => {
    const d = decodeSlots(slots([['Dishes', 0.6], ['Cough', 0.9], ['Pour', 0.8]]), S5_LABELS, { threshold: 0, min_events: 0, max_events: 2 });
    expect(d.picks.map((p) => p.label)).toEqual(['Cough', 'Pour']);
    const e = decodeSlots(slots([['silence', 0.9], ['silence', 0.6], ['silence', 0.95]]), S5_LABELS, { threshold: 0, min_events: 1, max_events: 3 });
    expect(e.picks).toHaveLength(1);
    expect(e.picks[0].passed).toBe(false);
  });
});

describe('recording-level tally', () => {
  it('a label counts if some window selected it above the threshold; count = most instances in one window', () => {
    const t = new LabelTally(0);
    t.add([{ label: 'Speech', confidence: 0.7, passed: true }]);
    t.add([{ label: 'Speech', confidence: 0.9, passed: true }, { label: 'Speech', confidence: 0.8, passed: true }, { label: 'Cough', confidence: 0.6, passed: true }]);
    t.add([]);
    expect(t.result()).toEqual([
      { label: 'Cough', count: 1, confidence: 0.6 },
      { label: 'Speech', count: 2, confidence: 0.9 },
    ]);
  });

  it('forced labels count only when nothing passed anywhere, and only as many as min_events needs', () => {
    const t = new LabelTally(1);
    t.add([{ label: 'Pour', confidence: 0.3, passed: false }]);
    t.add([{ label: 'Cough', confidence: 0.45, passed: false }]);
    expect(t.result()).toEqual([{ label: 'Cough', count: 1, confidence: 0.45 }]);
    t.add([{ label: 'Dishes', confidence: 0.8, passed: true }]);
    expect(t.result().map((l) => l.label)).toEqual(['Dishes']);
  });
});
