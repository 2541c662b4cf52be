/** LabelTracker: smoothing, hysteresis (no flicker between the thresholds) and the event log. */
import { describe, expect, it } from 'vitest';
import { LabelTracker } from '../../../src/engine/live/labels';

describe('LabelTracker', () => {
  it('turns a class on at the on-threshold, keeps it between the thresholds, logs onset/offset/peak', () => {
    const tr = new LabelTracker(['Speech', 'Dishes'], { on: 0.5, off: 0.3, alpha: 1 });
    const seq = [0.1, 0.55, 0.45, 0.35, 0.9, 0.31, 0.29, 0.6];
    const active: boolean[] = [];
    seq.forEach((p, k) => {
      tr.update([p, 0], k * 0.25);
      active.push(tr.active().includes('Speech'));
    });
    expect(active).toEqual([false, true, true, true, true, true, false, true]);
    expect(tr.events()).toEqual([
      { label: 'Speech', onset: 0.25, offset: 1.5, peak: 0.9 },
      { label: 'Speech', onset: 1.75, offset: null, peak: 0.6 },
    ]);
    const closed = tr.closeAll(2);
    expect(closed).toEqual([{ kind: 'offset', event: { label: 'Speech', onset: 1.75, offset: 2, peak: 0.6 } }]);
  });

  it('smooths: a single-frame spike below 1/alpha·on does not turn a class on', () => {
    const tr = new LabelTracker(['Cough'], { on: 0.5, alpha: 0.4 });
    tr.update([0], 0);
    const c = tr.update([0.9], 0.25); // smoothed 0.36
    expect(c).toEqual([]);
    expect(tr.smoothed[0]).toBeCloseTo(0.36, 6);
    expect(tr.update([0.9], 0.5).map((x) => x.kind)).toEqual(['onset']); // 0.576
  });

  it('per-class thresholds (a calibrated tagger): each class turns on at its own, off below its own', () => {
    const tr = new LabelTracker(['Buzzer', 'Speech'], { on: [0.05, 0.7], alpha: 1 });
    expect(Array.from(tr.off)).toEqual([expect.closeTo(0.025, 6), expect.closeTo(0.55, 6)]);
    tr.update([0.06, 0.65], 0);
    expect(tr.active()).toEqual(['Buzzer']);
    tr.update([0.03, 0.71], 0.25);
    expect(tr.active()).toEqual(['Buzzer', 'Speech']);
    tr.update([0.02, 0.6], 0.5);
    expect(tr.active()).toEqual(['Speech']);
  });
});
