/**
 * Live monitoring soak (issue #9 item 5): replay-as-live of a demo scene, looped, at an
 * accelerated pace (the replay source's speed factor) through the real engine process (forked by
 * EngineHost, shipped models, listening to the scene's classes with the client output, so PCM
 * events cross the process boundary as in the app), for a given amount of audio. The engine
 * process's resident memory (/proc VmRSS) is sampled against the audio time the session has
 * reached (from `liveFrame` events).
 *
 * Used by test/integration/faults-live-memory.test.ts (20 min of audio) and run directly for the
 * long campaign:  npx tsx test/load/live-soak.ts [audioHours=8] [speed=100] [sampleEverySec=5]
 * which prints one JSON line per sample and a summary with the RSS slope.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineHost } from '../../src/host/engine-host';
import { forkNodeEngine } from '../../src/host/node-launcher';
import { DEMO_SCENE, rssBytes, sleep } from '../integration/faults-fixtures';

export interface SoakSample {
  wallS: number;
  audioS: number;
  rssMB: number;
}

export interface SoakResult {
  samples: SoakSample[];
  frames: number;
  lateBlocks: number;
  dropouts: number;
  labelEvents: number;
  wallS: number;
  audioS: number;
}

export async function runLiveSoak(opts: { audioSeconds: number; speed?: number; sampleEveryS?: number; log?: (s: SoakSample) => void; source?: string }): Promise<SoakResult> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 's5-live-soak-'));
  const saved = process.env.S5_DATA_DIR;
  process.env.S5_DATA_DIR = path.join(tmp, 'data');
  const host = new EngineHost({ launch: forkNodeEngine({ stdio: 'ignore' }) });
  let audioS = 0;
  let frames = 0;
  let ended = false;
  host.subscribe((event, payload) => {
    if (event === 'liveFrame') {
      frames++;
      audioS = Math.max(audioS, (payload as { t: number }).t);
    }
    if (event === 'liveState' && (payload as { state: string }).state !== 'running') ended = true;
  });
  const samples: SoakSample[] = [];
  const t0 = performance.now();
  try {
    await host.start();
    const pid = host.pid!;
    const tag = await host.call('tag', { path: opts.source ?? DEMO_SCENE });
    const listen = tag.ok ? (tag.value as { labels: { label: string }[] }).labels.map((l) => l.label) : [];
    const start = await host.call('liveStart', {
      source: { kind: 'replay', path: opts.source ?? DEMO_SCENE, speed: opts.speed ?? 100, loop: true },
      listen, output: { kind: 'client' },
    });
    if (!start.ok) throw new Error(`liveStart: ${start.error.message}`);
    const every = (opts.sampleEveryS ?? 5) * 1000;
    let next = 0;
    while (audioS < opts.audioSeconds) {
      if (ended) throw new Error('the live session ended by itself');
      if (host.pid !== pid) throw new Error('the engine restarted during the soak');
      const wall = performance.now() - t0;
      if (wall >= next) {
        const rss = rssBytes(pid);
        if (rss === null) throw new Error('the engine process is gone');
        const s = { wallS: Number((wall / 1000).toFixed(1)), audioS: Math.round(audioS), rssMB: Number((rss / 2 ** 20).toFixed(1)) };
        samples.push(s);
        opts.log?.(s);
        next = wall + every;
      }
      await sleep(100);
    }
    const stop = await host.call('liveStop', {});
    if (!stop.ok) throw new Error(`liveStop: ${stop.error.message}`);
    const v = stop.value as { stats: { lateBlocks: number; dropouts: number } | null; events: unknown[] };
    return {
      samples, frames, lateBlocks: v.stats?.lateBlocks ?? 0, dropouts: v.stats?.dropouts ?? 0, labelEvents: v.events.length,
      wallS: (performance.now() - t0) / 1000, audioS,
    };
  } finally {
    await host.dispose();
    if (saved === undefined) delete process.env.S5_DATA_DIR;
    else process.env.S5_DATA_DIR = saved;
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Least-squares slope of RSS (MB) against audio time, per audio hour, over samples after `fromAudioS`. */
export function rssSlopeMBPerHour(samples: SoakSample[], fromAudioS: number): number {
  const s = samples.filter((x) => x.audioS >= fromAudioS);
  if (s.length < 2) return 0;
  const mx = s.reduce((a, x) => a + x.audioS, 0) / s.length;
  const my = s.reduce((a, x) => a + x.rssMB, 0) / s.length;
  const num = s.reduce((a, x) => a + (x.audioS - mx) * (x.rssMB - my), 0);
  const den = s.reduce((a, x) => a + (x.audioS - mx) ** 2, 0);
  return den > 0 ? (num / den) * 3600 : 0;
}

if (require.main === module) {
  const [hours = '8', speed = '100', every = '5'] = process.argv.slice(2);
  runLiveSoak({ audioSeconds: Number(hours) * 3600, speed: Number(speed), sampleEveryS: Number(every), log: (s) => console.log(JSON.stringify(s)) })
    .then((r) => {
      const rss = r.samples.map((s) => s.rssMB);
      const warm = r.samples.find((s) => s.audioS >= 600) ?? r.samples[0];
      console.log(JSON.stringify({
        summary: true, audioHours: Number((r.audioS / 3600).toFixed(2)), wallMin: Number((r.wallS / 60).toFixed(1)), frames: r.frames,
        lateBlocks: r.lateBlocks, dropouts: r.dropouts, labelEvents: r.labelEvents,
        rssMBFirst: rss[0], rssMBAfter10minAudio: warm.rssMB, rssMBMax: Math.max(...rss), rssMBLast: rss.at(-1),
        slopeMBPerAudioHourAfter10min: Number(rssSlopeMBPerHour(r.samples, 600).toFixed(2)),
      }));
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
