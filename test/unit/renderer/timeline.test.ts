/** Label timeline layout and audition helpers (pure functions of the renderer). */
import { describe, expect, it } from 'vitest';
import { byClassOrder, etaSeconds, hasClassThresholds, thresholdFor, timelineRows, windowCells } from '../../../src/renderer/lib/scene-timeline';
import { effectiveGains, foaEncodeGains } from '../../../src/renderer/lib/audition-math';

const entry = (start: number, end: number, probs: number[]) => ({ start, end, probs, labels: [] as never[] });

describe('timeline layout', () => {
  it('draws each window over its own span: overlapping windows in alternating half lanes, a short clip as one full cell', () => {
    // 25 s at window 10 s / hop 5 s: windows start at 0, 5, 10, 15 (the last is partial).
    const e = [entry(0, 10, []), entry(5, 15, []), entry(10, 20, []), entry(15, 25, [])];
    expect(windowCells(e, 25)).toEqual([
      { start: 0, end: 10, lane: 0 }, { start: 5, end: 15, lane: 1 }, { start: 10, end: 20, lane: 0 }, { start: 15, end: 25, lane: 1 },
    ]);
    // A 4.5-s clip: the one window covers exactly the clip, full height.
    expect(windowCells([entry(0, 4.5, [])], 4.5)).toEqual([{ start: 0, end: 4.5, lane: null }]);
    // Windows that do not overlap (hop = window) are full height.
    expect(windowCells([entry(0, 10, []), entry(10, 20, [])], 20).map((c) => c.lane)).toEqual([null, null]);
  });

  it('orders classes as the official list does, wherever they are shown', () => {
    const cmp = byClassOrder(['A', 'B', 'C', 'D']);
    expect(['D', 'A', 'X', 'C'].sort(cmp)).toEqual(['A', 'C', 'D', 'X']);
  });

  it('shows detected labels and those over the threshold, detected first, or all in official order', () => {
    const labels = ['A', 'B', 'C', 'D'];
    const e = [entry(0, 10, [0.1, 0.7, 0.2, 0.55]), entry(5, 12, [0.3, 0.2, 0.1, 0.4])];
    const rows = timelineRows(labels, e, [{ label: 'D' as never, count: 1, confidence: 0.55 }], 12, { threshold: 0.5 }, false);
    expect(rows.map((r) => r.label)).toEqual(['D', 'B']); // detected first, then the official order
    expect(rows[1].peak).toBe(0.7);
    expect(rows[0].cells.map((c) => c.prob)).toEqual([0.55, 0.4]);
    expect(timelineRows(labels, e, [], 12, { threshold: 0.5 }, true).map((r) => r.label)).toEqual(labels);
  });

  it('decides each class at its own threshold when the rule has one', () => {
    const labels = ['A', 'B', 'C', 'D'];
    const e = [entry(0, 10, [0.15, 0.7, 0.2, 0.1]), entry(5, 12, [0.05, 0.6, 0.1, 0.1])];
    // A (peak 0.15) passes its own 0.1; B (peak 0.7) misses its own 0.8; C and D use the global 0.5.
    const rule = { threshold: 0.5, thresholds: { A: 0.1, B: 0.8 } };
    const rows = timelineRows(labels, e, [], 12, rule, false);
    expect(rows.map((r) => [r.label, r.threshold])).toEqual([['A', 0.1]]);
    const all = timelineRows(labels, e, [], 12, rule, true);
    expect(all.map((r) => r.threshold)).toEqual([0.1, 0.8, 0.5, 0.5]);
    expect(thresholdFor(rule, 'C')).toBe(0.5);
    expect(hasClassThresholds(rule)).toBe(true);
    expect(hasClassThresholds({ threshold: 0.5, thresholds: { A: 0.5 } })).toBe(false);
    expect(hasClassThresholds({ threshold: 0.5 })).toBe(false);
  });

  it('estimates the time left from the rate so far', () => {
    expect(etaSeconds(10, 2, 10)).toBe(40);
    expect(etaSeconds(10, 0, 10)).toBeNull();
  });
});

describe('audition helpers', () => {
  it('mute and solo: any solo silences the others; mute wins', () => {
    expect(effectiveGains([{ gainDb: 0, mute: false, solo: false }, { gainDb: -6, mute: false, solo: false }])).toEqual([1, 10 ** (-6 / 20)]);
    expect(effectiveGains([{ gainDb: 0, mute: false, solo: true }, { gainDb: 0, mute: false, solo: false }])).toEqual([1, 0]);
    expect(effectiveGains([{ gainDb: 0, mute: true, solo: true }, { gainDb: 0, mute: false, solo: false }])).toEqual([0, 0]);
  });
  it('encodes ACN/SN3D first order: front → X, left → Y, up → Z', () => {
    const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 9));
    close(foaEncodeGains(0, 0), [1, 0, 0, 1]);
    close(foaEncodeGains(90, 0), [1, 1, 0, 0]);
    close(foaEncodeGains(0, 90), [1, 0, 1, 0]);
  });
});
