/** Label timeline layout and audition helpers (pure functions of the renderer). */
import { describe, expect, it } from 'vitest';
import {
  ACTIVITY_FRAME_S, byClassOrder, etaSeconds, hasClassThresholds, stemActivity, thresholdFor, timelineRows, visibleCells, windowCells, type HeatCell,
} from '../../../src/renderer/lib/scene-timeline';
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

  it('measures each stem class\'s presence per 0.25-s cell against the mixture and its own loudest cell', () => {
    const rate = 1000; // 250 samples per cell
    const cells = 8;
    const mixture = Float32Array.from({ length: cells * 250 }, (_, i) => 0.1 * Math.sin(i * 0.3));
    mixture.fill(0, 7 * 250); // the last cell is digital silence
    const gain = (db: number) => 10 ** (db / 20);
    // A sounds alone in cells 4–6 (the mixture itself), silent before.
    const a = mixture.map((v, i) => (i >= 4 * 250 ? v : 0));
    // B is the mixture 14 dB down throughout: leakage, (−14 − (−18)) / 10 = 0.4 of presence.
    const b = mixture.map((v) => v * gain(-14));
    // C comes as two stems of one class (2026 Label_1, Label_2), each −3 dB: their energies add to the mixture's.
    const c1 = mixture.map((v) => v * Math.SQRT1_2);
    // D is 30 dB under its own loudest cell in cells 0–3 but equal to the mixture there: 0 presence.
    const d = mixture.map((v, i) => (i < 4 * 250 ? v : v * gain(30)));
    const act = stemActivity([{ label: 'A', pcm: a }, { label: 'B', pcm: b }, { label: 'C', pcm: c1 }, { label: 'C', pcm: c1 }, { label: 'D', pcm: d }], mixture, rate, ACTIVITY_FRAME_S);
    expect(act.frameS).toBe(0.25);
    expect(act.frames).toBe(cells);
    const p = (l: string) => Array.from(act.presence.get(l)!, (v) => Number(v.toFixed(3)));
    expect(p('A')).toEqual([0, 0, 0, 0, 1, 1, 1, 0]);
    expect(p('B')).toEqual([0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0]);
    expect(p('C')).toEqual([1, 1, 1, 1, 1, 1, 1, 0]);
    expect(p('D')).toEqual([0, 0, 0, 0, 1, 1, 1, 0]);
    expect(act.levelDb.get('B')![2]).toBeCloseTo(-14, 4);
  });

  it('draws a class with a stem in activity cells (window probability × presence), one without in window cells', () => {
    const rate = 1000;
    const mixture = Float32Array.from({ length: 4500 }, (_, i) => 0.1 * Math.sin(i * 0.3));
    const stem = mixture.map((v, i) => (i >= 2250 ? v : 0)); // A sounds in the second half of a 4.5-s clip
    const act = stemActivity([{ label: 'A', pcm: stem }], mixture, rate);
    const e = [entry(0, 4.5, [0.9, 0.6])];
    const rows = timelineRows(['A', 'B'], e, [{ label: 'A' as never, count: 1, confidence: 0.9 }], 4.5, { threshold: 0.5 }, false, act);
    expect(rows.map((r) => [r.label, r.resolution])).toEqual([['A', 0.25], ['B', null]]);
    const [a, b] = rows;
    expect(a.cells).toHaveLength(18);
    expect(a.peak).toBe(0.9); // rows and chips are still decided from the tagger windows
    expect(a.cells.map((c) => c.prob)).toEqual(Array.from({ length: 18 }, (_, i) => (i >= 9 ? 0.9 : 0)));
    expect(a.cells.every((c) => c.tagger === 0.9 && c.lane === null)).toBe(true);
    expect(a.cells[17].end).toBe(4.5);
    expect(b.cells).toEqual([{ start: 0, end: 4.5, lane: null, prob: 0.6 }]);
    // Without activity (while the analysis runs) every row is window cells.
    expect(timelineRows(['A', 'B'], e, [], 4.5, { threshold: 0.5 }, false).map((r) => r.resolution)).toEqual([null, null]);
  });

  it('takes the highest of the overlapping windows covering a cell', () => {
    const rate = 100;
    const mixture = new Float32Array(25 * rate).fill(0.1);
    const act = stemActivity([{ label: 'A', pcm: mixture }], mixture, rate);
    // Windows 0–10, 8–18, 16–25 (80 % hop): probabilities 0.2, 0.7, 0.4.
    const e = [entry(0, 10, [0.2]), entry(8, 18, [0.7]), entry(16, 25, [0.4])];
    const [row] = timelineRows(['A'], e, [], 25, { threshold: 0.5 }, true, act);
    const at = (t: number) => row.cells.find((c) => c.start <= t && t < c.end)!.prob;
    expect([at(1), at(8.6), at(12), at(17), at(20)]).toEqual([0.2, 0.7, 0.7, 0.7, 0.4]);
  });

  it('draws at most a few hundred cells per row in view, merging runs by their highest value', () => {
    const cells: HeatCell[] = Array.from({ length: 14_400 }, (_, i) => ({ start: i * 0.25, end: (i + 1) * 0.25, prob: i === 5000 ? 1 : 0.1, lane: null }));
    const all = visibleCells(cells, { start: 0, end: 3600 }, 480);
    expect(all).toHaveLength(480);
    expect(all[0].start).toBe(0);
    expect(all[479].end).toBe(3600);
    expect(all.filter((c) => c.prob === 1)).toHaveLength(1);
    expect(all.every((c, i) => i === 0 || c.start === all[i - 1].end)).toBe(true);
    // Zoomed in: the cells themselves.
    expect(visibleCells(cells, { start: 10, end: 20 }, 480)).toEqual(cells.slice(40, 80));
    // Window cells in lanes are never merged.
    const lanes: HeatCell[] = Array.from({ length: 600 }, (_, i) => ({ start: i * 8, end: i * 8 + 10, prob: 0.1, lane: (i % 2) as 0 | 1 }));
    expect(visibleCells(lanes, { start: 0, end: 4810 }, 480)).toHaveLength(600);
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
