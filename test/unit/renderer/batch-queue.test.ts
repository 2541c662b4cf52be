/**
 * The batch queue's pure rules (output-folder clashes, counts, ETA, remembered settings).
 */
import { describe, expect, it } from 'vitest';
import {
  batchCounts, batchEta, DEFAULT_BATCH_SETTINGS, parseBatchSettings, planAdd,
} from '../../../src/renderer/lib/batch-queue';
import { formatClock } from '../../../src/renderer/lib/format';

describe('batch queue rules', () => {
  it('queues new files, skips ones already queued, refuses same-named ones', () => {
    const plan = planAdd(['/a/one.wav'], ['/a/one.wav', '/b/one.flac', '/a/two.wav', '/c/two.wav', '/a/three.wav']);
    expect(plan.add).toEqual(['/a/two.wav', '/a/three.wav']);
    expect(plan.already).toEqual(['/a/one.wav']);
    expect(plan.clashes).toEqual([{ path: '/b/one.flac', other: '/a/one.wav' }, { path: '/c/two.wav', other: '/a/two.wav' }]);
  });

  it('counts end states', () => {
    expect(batchCounts(['queued', 'running', 'done', 'failed', 'done', 'cancelled'])).toEqual({ total: 6, queued: 1, done: 2, failed: 1, cancelled: 1, finished: 4 });
  });

  it('estimates the time left from finished items, else from the running one', () => {
    expect(batchEta([], 3, null)).toBeNull();
    expect(batchEta([], 3, { elapsed: 1, fraction: null })).toBeNull();
    // 4 s and 6 s per item → 5 s each; 2 queued + 3 s left of the running one.
    expect(batchEta([4, 6], 2, { elapsed: 2, fraction: 0.4 })).toBe(13);
    // Nothing finished: the running item at 25 % after 2 s takes 8 s.
    expect(batchEta([], 1, { elapsed: 2, fraction: 0.25 })).toBe(14);
    expect(batchEta([10], 0, { elapsed: 12, fraction: 0.9 })).toBe(0);
  });

  it('reads remembered settings field by field', () => {
    expect(parseBatchSettings(null)).toEqual(DEFAULT_BATCH_SETTINGS);
    expect(parseBatchSettings('not json')).toEqual(DEFAULT_BATCH_SETTINGS);
    expect(parseBatchSettings('{"outDir":"/x","format":"flac"}')).toEqual({ outDir: '/x', format: 'flac' });
    expect(parseBatchSettings('{"outDir":3,"format":"mp3"}')).toEqual(DEFAULT_BATCH_SETTINGS);
  });

  it('formats wall time', () => {
    expect(formatClock(0)).toBe('0:00');
    expect(formatClock(75.4)).toBe('1:15');
    expect(formatClock(3725)).toBe('1:02:05');
  });
});
