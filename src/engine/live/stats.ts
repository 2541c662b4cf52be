/**
 * Counters of the live path: the latency distribution (a fixed-size window of the latest
 * measurements, percentiles by sorting a copy — a few thousand numbers, a few times a second),
 * running means of processing times, updates per second, and the engine process's CPU load from
 * `process.cpuUsage` (which includes the inference worker thread); `SessionCounters`, what a
 * session counts, and its `LiveStats` snapshot.
 */
import os from 'node:os';
import type { ListenMode, LiveStats } from '../../shared/api-live';

export class LatencyWindow {
  private readonly values: Float64Array;
  private n = 0;
  private at = 0;
  /** Every measurement ever added (the window holds the newest). */
  count = 0;

  constructor(size = 2048) {
    this.values = new Float64Array(size);
  }

  add(ms: number): void {
    this.values[this.at] = ms;
    this.at = (this.at + 1) % this.values.length;
    this.n = Math.min(this.n + 1, this.values.length);
    this.count++;
  }

  /** The p-th percentile (0…100, nearest rank) of the window; null when empty. */
  percentile(p: number): number | null {
    if (this.n === 0) return null;
    const sorted = Float64Array.from(this.values.subarray(0, this.n)).sort();
    const rank = Math.min(this.n - 1, Math.max(0, Math.ceil((p / 100) * this.n) - 1));
    return sorted[rank];
  }
}

/** Exponential moving average. */
export class Ewma {
  value = 0;
  private seen = false;
  constructor(private readonly alpha = 0.2) {}
  add(x: number): number {
    this.value = this.seen ? this.alpha * x + (1 - this.alpha) * this.value : x;
    this.seen = true;
    return this.value;
  }
}

/** Events per second over a sliding span of wall time. */
export class RateMeter {
  private readonly times: number[] = [];
  constructor(private readonly spanMs = 2000) {}
  tick(now: number): void {
    this.times.push(now);
    while (this.times.length && this.times[0] < now - this.spanMs) this.times.shift();
  }
  rate(now: number): number {
    while (this.times.length && this.times[0] < now - this.spanMs) this.times.shift();
    if (this.times.length < 2) return 0;
    return ((this.times.length - 1) * 1000) / Math.max(1, now - this.times[0]);
  }
}

/** Process CPU (user + system, all threads) per wall time per core since the last call. */
export class CpuMeter {
  private last = process.cpuUsage();
  private lastWall = performance.now();
  private readonly cores = Math.max(1, os.availableParallelism());
  value = 0;

  sample(): number {
    const now = performance.now();
    if (now - this.lastWall < 500) return this.value;
    const u = process.cpuUsage(this.last);
    this.last = process.cpuUsage();
    this.value = Math.min(1, (u.user + u.system) / 1000 / (now - this.lastWall) / this.cores);
    this.lastWall = now;
    return this.value;
  }
}

/** What a live session counts (processing times, late hops, skipped passes) and its stats snapshot. */
export class SessionCounters {
  readonly tagMs = new Ewma();
  readonly sepMs = new Ewma();
  readonly dirMs = new Ewma();
  /** Beam processing time per direct block (ms) and block lengths (frames). */
  readonly directMs = new LatencyWindow();
  directFrames = 0;
  directBlocks = 0;
  /** Processing time per hop / the hop's duration. */
  readonly busy = new Ewma(0.1);
  readonly updates = new RateMeter();
  readonly cpu = new CpuMeter();
  lateBlocks = 0;
  dropouts = 0;
  skipped = 0;
  directionPasses = 0;
  lateDirections = 0;

  /** One direct block of `frames` frames took `ms`. */
  directBlock(ms: number, frames: number): void {
    this.directMs.add(ms);
    this.directFrames += frames;
    this.directBlocks++;
  }

  /** The stats of `mode` (the current listen mode), with the latency windows per mode and the source's overruns. */
  snapshot(mode: ListenMode, latency: Record<ListenMode, LatencyWindow>, overruns: number): LiveStats {
    const now = performance.now();
    const byMode = (m: ListenMode) => ({
      p50Ms: latency[m].percentile(50),
      p95Ms: latency[m].percentile(95),
      samples: latency[m].count,
    });
    const current = latency[mode];
    return {
      latencyP50Ms: current.percentile(50),
      latencyP95Ms: current.percentile(95),
      latencySamples: current.count,
      mode,
      latencyByMode: { direct: byMode('direct'), clean: byMode('clean') },
      load: this.busy.value,
      cpu: this.cpu.sample(),
      lateBlocks: this.lateBlocks,
      dropouts: this.dropouts + overruns,
      skippedSeparations: this.skipped,
      updatesPerSecond: this.updates.rate(now),
      tagMs: this.tagMs.value,
      separateMs: this.sepMs.value,
      directionMs: this.dirMs.value,
      directionPasses: this.directionPasses,
      lateDirections: this.lateDirections,
      directBlockMsP50: this.directMs.percentile(50),
      directBlockMsP95: this.directMs.percentile(95),
      directBlockFrames: this.directBlocks ? this.directFrames / this.directBlocks : null,
    };
  }
}
