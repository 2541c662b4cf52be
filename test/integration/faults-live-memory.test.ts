/**
 * Live monitoring memory, CI-sized (issue #9 item 5): 20 minutes of audio replayed as live at an
 * accelerated pace through the real engine process (shipped models, listening, client output),
 * with the engine's resident memory sampled. After a warm-up (the first 2 minutes of audio: ONNX
 * sessions, ring and window buffers allocated) RSS may not grow by more than 64 MB.
 *
 * Why 64 MB: everything a session holds is fixed-size (the preallocated ring, one tagger and one
 * listen window, the newest 2048 latency values); the only state that grows with time is the label
 * event log (about 100 bytes per onset). V8 heap resizing and the allocator move RSS by ±10–20 MB
 * (observed). A leak of one window buffer per hop (10 s × 4 ch × 16 kHz float = 2.5 MB) or of the
 * listen PCM (64 kB per second of audio, 77 MB per 20 min) would cross 64 MB within this run.
 * The 8-hour run is `npx tsx test/load/live-soak.ts` (figures in docs/fault-injection.md).
 */
import { describe, expect, it } from 'vitest';
import { runLiveSoak, rssSlopeMBPerHour } from '../load/live-soak';

describe('replay-as-live memory over 20 minutes of audio', () => {
  it('RSS after warm-up grows by at most 64 MB', async () => {
    const warmUpS = 120;
    const r = await runLiveSoak({ audioSeconds: 20 * 60, speed: 100, sampleEveryS: 1 });
    const after = r.samples.filter((s) => s.audioS >= warmUpS);
    console.info(JSON.stringify({
      audioS: Math.round(r.audioS), wallS: Math.round(r.wallS), frames: r.frames, samples: r.samples.length,
      rssWarmMB: after[0]?.rssMB, rssMaxMB: Math.max(...after.map((s) => s.rssMB)), rssLastMB: after.at(-1)?.rssMB,
      slopeMBPerAudioHour: Number(rssSlopeMBPerHour(r.samples, warmUpS).toFixed(1)),
    }));
    expect(r.audioS).toBeGreaterThanOrEqual(20 * 60);
    expect(r.frames, 'the tagger ran throughout').toBeGreaterThan(20);
    expect(after.length).toBeGreaterThanOrEqual(5);
    const growth = Math.max(...after.map((s) => s.rssMB)) - after[0].rssMB;
    expect(growth).toBeLessThanOrEqual(64);
  }, 600_000);
});
