/**
 * Trainer fault injection, CI-sized (issue #9 item 4): the real trainer (tiny config, toy scenes)
 * run by the app's run manager is SIGKILLed at 5 random moments (seeded) and resumed each time.
 * After every kill the run is `interrupted` and resumable; the resumed trainer continues from the
 * last checkpoint (its own `started` event says so), so the steps lost are at most one checkpoint
 * interval; the last resume finishes and registers a model. The full campaign (≥ 20 kills) is
 * `npx tsx test/load/trainer-kills.ts`; its figures are in docs/fault-injection.md.
 */
import { describe, expect, it } from 'vitest';
import { runKillCampaign, summarize } from '../load/trainer-kills';

describe('trainer killed at random points', () => {
  it('5 kills: interrupted and resumable each time, ≤ 1 checkpoint interval lost, then finishes', async () => {
    const checkpointEvery = 6;
    const result = await runKillCampaign({ kills: 5, checkpointEvery, seed: 20_260_109, maxDelayS: 7 });
    console.info(summarize(result));
    expect(result.records).toHaveLength(5);
    for (const r of result.records) {
      expect(r.status).toBe('interrupted');
      expect(r.resumable).toBe(true);
      expect(r.resumedFrom, `kill ${r.kill}: the next trainer said where it continues`).not.toBeNull();
      // It continues from the checkpoint the manager reported, a multiple of the interval.
      expect(r.resumedFrom).toBe(r.checkpointStep ?? 0);
      expect((r.resumedFrom ?? 0) % checkpointEvery).toBe(0);
      expect(r.lost).toBeGreaterThanOrEqual(0);
      expect(r.lost).toBeLessThanOrEqual(checkpointEvery);
    }
    expect(result.finished.status).toBe('finished');
    expect(result.modelId).toBeTruthy();
  }, 600_000);
});
