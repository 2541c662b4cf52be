/**
 * One live session: source blocks → channel pick and format conversion (to ACN/SN3D) → streaming
 * resampling to the model rate → preallocated ring → a scheduler that runs the tagger every hop on
 * the latest window (probability frame, hysteresis, event log) and, for the classes the user
 * listens to, the separator on a shorter sliding window whose newest hop is crossfaded into the
 * output. Timing is measured: every block carries its capture time, and the latency of the frames
 * of each output block is "written to the output" − "captured". When processing falls behind,
 * separation is skipped first (tagging keeps its rate), then hops are coalesced (late blocks).
 */
import type { ChannelFormat } from '../../shared/audio';
import type { LiveFrameEvent, LiveSessionInfo, LiveStats } from '../../shared/api-live';
import type { S5Label } from '../../shared/labels';
import { classThreshold } from '../../shared/manifest';
import { convertFoaInto, isFoaFormat } from '../audio/channels';
import { createResampler, type Resampler } from '../audio/resample';
import { runSeparator, runTagger, type PipelineModel } from '../pipeline/runners';
import type { AudioWindow } from '../pipeline/windower';
import { windowSamples } from '../models/roles';
import { LabelTracker, type LabelChange } from './labels';
import { LiveRecorder } from './recorder';
import { PlanarRing } from './ring';
import { CpuMeter, Ewma, LatencyWindow, RateMeter } from './stats';
import type { LiveSourceHandle } from './source';

export interface ListenOutput {
  readonly kind: 'client' | 'device';
  /** Writes one block at the model rate; returns the wall time it was handed to the output. */
  write(pcm: Float32Array, t: number): number;
  close(): Promise<void>;
}

export interface SessionOptions {
  id: string;
  source: LiveSourceHandle;
  channelFormat: ChannelFormat;
  channelOrder: readonly number[];
  hopSeconds: number;
  tagWindowSeconds?: number;
  listenWindowSeconds: number;
  listen: readonly S5Label[];
  tagger: PipelineModel;
  separator: PipelineModel | null;
  output: ListenOutput | null;
  warnings: string[];
  emit(event: string, payload: unknown): void;
}

/** Crossfade between consecutive listen hops (s). */
const FADE_SECONDS = 0.01;
/** Latency measurements taken per output block (evenly spaced frames). */
const LATENCY_POINTS = 8;

function makeWindow(samples: number): AudioWindow {
  return { index: 0, start: 0, valid: samples, channels: 4, samples, data: new Float32Array(4 * samples) };
}

export class LiveSession {
  readonly info: LiveSessionInfo;
  private readonly rate: number;
  private readonly hop: number;
  private readonly tagW: number;
  private readonly sepW: number;
  private readonly fade: number;
  private readonly ring: PlanarRing;
  private resampler: Resampler | null = null;
  private readonly tracker: LabelTracker;
  private readonly tagWin: AudioWindow;
  private readonly sepWin: AudioWindow;
  private prevTail: Float32Array | null = null;
  private listen: S5Label[];
  private recorder: LiveRecorder | null = null;
  private running = false;
  private finished: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private draining = false;
  private nextEnd: number;
  /** Input frames received and, per block, (input frames so far, capture time). */
  private inFrames = 0;
  private readonly marks: { end: number; ms: number }[] = [];
  private readonly levelSum: Float64Array;
  private levelFrames = 0;
  private pick: Float32Array[] = [];
  // counters
  private readonly latency = new LatencyWindow();
  private readonly tagMs = new Ewma();
  private readonly sepMs = new Ewma();
  private readonly busy = new Ewma(0.1);
  private readonly updates = new RateMeter();
  private readonly cpu = new CpuMeter();
  private lateBlocks = 0;
  private dropouts = 0;
  private skipped = 0;
  endedBy: 'stopped' | 'ended' | 'failed' | null = null;

  constructor(private readonly o: SessionOptions) {
    const tm = o.tagger.manifest;
    this.rate = tm.sample_rate;
    this.hop = Math.max(1, Math.round(o.hopSeconds * this.rate));
    this.tagW = o.tagWindowSeconds ? Math.round(o.tagWindowSeconds * this.rate) : windowSamples(tm);
    this.sepW = Math.max(this.hop * 2, Math.round(o.listenWindowSeconds * this.rate));
    this.fade = Math.min(Math.round(FADE_SECONDS * this.rate), this.hop);
    // Room for the longest window plus two seconds of processing slack.
    this.ring = new PlanarRing(4, Math.max(this.tagW, this.sepW) + this.hop + 2 * this.rate);
    this.tracker = new LabelTracker(tm.labels, { on: tm.labels.map((l) => (tm.decision ? classThreshold(tm.decision, l) : 0.5)) });
    this.tagWin = makeWindow(this.tagW);
    this.sepWin = makeWindow(this.sepW);
    this.listen = o.separator ? o.listen.filter((l) => o.separator?.manifest.labels.includes(l)) : [];
    this.nextEnd = this.hop;
    this.levelSum = new Float64Array(o.source.channels);
    this.info = {
      sessionId: o.id,
      modelRate: this.rate,
      inputRate: o.source.sampleRate,
      inputChannels: o.source.channels,
      labels: [...tm.labels],
      hopSeconds: this.hop / this.rate,
      tagWindowSeconds: this.tagW / this.rate,
      listenWindowSeconds: this.sepW / this.rate,
      tagger: tm.id,
      separator: o.separator?.manifest.id ?? null,
      sourceName: o.source.name,
      warnings: o.warnings,
    };
  }

  get listening(): S5Label[] {
    return [...this.listen];
  }

  get isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    const src = this.o.source;
    if (src.sampleRate !== this.rate) this.resampler = await createResampler(src.sampleRate, this.rate, 4, 'fast');
    this.running = true;
    const run = this.loop();
    this.finished = run.then(() => undefined, () => undefined);
    run.catch((e: Error) => void this.fail(e));
    await src.start(
      (block, frames, ms) => this.onBlock(block, frames, ms),
      (err) => {
        if (!this.running) return;
        if (err) void this.fail(err);
        else this.drain();
      },
    );
    this.o.emit('liveState', { sessionId: this.o.id, state: 'running', message: `listening to ${src.name}` });
  }

  setListen(labels: readonly S5Label[]): S5Label[] {
    const known = this.o.separator?.manifest.labels ?? [];
    this.listen = labels.filter((l) => known.includes(l));
    if (this.listen.length === 0) this.prevTail = null;
    return this.listening;
  }

  async startRecording(dir: string): Promise<LiveRecorder> {
    if (this.recorder) return this.recorder;
    const src = this.o.source;
    this.recorder = await LiveRecorder.create({ dir, channels: src.channels, sampleRate: src.sampleRate, format: src.recordFormat });
    this.recorder.writeEvent({ type: 'start', session: this.info, inputTime: this.inFrames / src.sampleRate, wallClock: new Date().toISOString() });
    return this.recorder;
  }

  async stopRecording(): Promise<{ path: string; eventsPath: string; seconds: number } | null> {
    const r = this.recorder;
    this.recorder = null;
    if (!r) return null;
    for (const e of this.tracker.events()) if (e.offset === null) r.writeEvent({ type: 'open', ...e });
    r.writeEvent({ type: 'stop', inputTime: this.inFrames / this.o.source.sampleRate });
    return r.close();
  }

  recordingInfo(): { path: string; eventsPath: string; seconds: number } | null {
    const r = this.recorder;
    return r ? { path: r.path, eventsPath: r.eventsPath, seconds: r.seconds } : null;
  }

  events() {
    return this.tracker.events();
  }

  /** Source callback: everything here is synchronous and allocation-light. */
  private onBlock(block: Float32Array[], frames: number, captureMs: number): void {
    if (!this.running) return;
    this.recorder?.writeAudio(block, frames);
    for (let c = 0; c < this.levelSum.length; c++) {
      const ch = block[c];
      let s = 0;
      for (let i = 0; i < frames; i++) s += ch[i] * ch[i];
      this.levelSum[c] += s;
    }
    this.levelFrames += frames;
    if (this.pick.length === 0 || this.pick[0].length < frames) this.pick = Array.from({ length: 4 }, () => new Float32Array(frames));
    const picked = this.o.source.convertsFormat ? block.slice(0, 4) : this.o.channelOrder.map((c) => block[c]);
    // Fewer than 4 channels (a mono or stereo recording replayed): the rest are silent.
    while (picked.length < 4) picked.push(new Float32Array(frames));
    let four: Float32Array[] = picked;
    if (!this.o.source.convertsFormat && isFoaFormat(this.o.channelFormat) && this.o.channelFormat !== 'foa-acn-sn3d') {
      four = this.pick.map((p) => p.subarray(0, frames));
      convertFoaInto(picked, this.o.channelFormat, four, frames);
    }
    const out = this.resampler ? this.resampler.process(four.map((c) => c.subarray(0, frames)), frames) : four;
    this.inFrames += frames;
    this.marks.push({ end: this.inFrames, ms: captureMs });
    const keep = (this.ring.capacity / this.rate) * this.o.source.sampleRate;
    while (this.marks.length > 2 && this.marks[1].end < this.inFrames - keep) this.marks.shift();
    const n = out[0]?.length ?? 0;
    if (n > 0) this.ring.write(out, n);
    this.wake?.();
  }

  /** Capture time (ms, our clock) of model-rate frame `f`. */
  private captureTime(f: number): number {
    const g = (f * this.o.source.sampleRate) / this.rate;
    const msPerFrame = 1000 / this.o.source.sampleRate / this.o.source.speed;
    for (const m of this.marks) if (m.end > g) return m.ms - (m.end - 1 - g) * msPerFrame;
    const last = this.marks[this.marks.length - 1];
    return last ? last.ms + (g - last.end + 1) * msPerFrame : performance.now();
  }

  /**
   * The source ended (a replay without loop): the resampler's tail goes into the ring, the hops
   * still due are processed, the last partial hop too, then the session ends.
   */
  private drain(): void {
    if (this.draining) return;
    if (this.resampler) {
      const tail = this.resampler.flush();
      this.resampler = null;
      if (tail[0]?.length) this.ring.write(tail);
    }
    this.draining = true;
    this.wake?.();
  }

  private waitForData(end: number): Promise<void> {
    if (this.ring.total >= end || !this.running || this.draining) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = () => {
        if (this.ring.total >= end || !this.running || this.draining) {
          this.wake = null;
          resolve();
        }
      };
    });
  }

  private async loop(): Promise<void> {
    const hopMs = (this.hop / this.rate / this.o.source.speed) * 1000;
    let shedNext = false;
    while (this.running) {
      await this.waitForData(this.nextEnd);
      if (!this.running) break;
      if (this.draining && this.ring.total < this.nextEnd) {
        // Input is over: one last window ending at the last frame (if a part of a hop is left).
        if (this.ring.total > this.nextEnd - this.hop) this.nextEnd = this.ring.total;
        else {
          void this.end('ended', 'the replayed recording ended');
          break;
        }
      }
      const behindHops = Math.floor((this.ring.total - this.nextEnd) / this.hop);
      if (behindHops > 0) {
        this.lateBlocks += behindHops;
        if (this.listen.length) this.dropouts += behindHops;
        this.nextEnd += behindHops * this.hop;
        this.prevTail = null;
      }
      const end = this.nextEnd;
      this.nextEnd += this.hop;
      const t0 = performance.now();
      this.ring.copyWindow(end, this.tagW, this.tagWin.data);
      const { decision, ms } = await runTagger(this.o.tagger, this.tagWin);
      this.tagMs.add(ms);
      if (!this.running) break;
      const t = end / this.rate;
      this.publishChanges(this.tracker.update(decision.probs, t));
      let overloaded = false;
      if (this.listen.length && this.o.separator && this.o.output) {
        // Would separating now make the next hop late? Then skip it (tagging keeps its rate).
        const nextDue = this.captureTime(end - 1) + hopMs;
        if (shedNext || performance.now() + this.sepMs.value > nextDue + hopMs * 0.5) {
          overloaded = true;
          this.skipped++;
          this.dropouts++;
          this.prevTail = null;
          shedNext = false;
        } else {
          await this.separateHop(end);
        }
      }
      const spent = performance.now() - t0;
      this.busy.add(spent / hopMs);
      // Still behind after this hop: shed the next separation.
      shedNext = this.ring.total - this.nextEnd >= this.hop;
      this.updates.tick(performance.now());
      this.emitFrame(t, overloaded);
    }
  }

  private async separateHop(end: number): Promise<void> {
    const base = this.o.separator as PipelineModel;
    // The separator's time axis is symbolic: it runs on the shorter listen window.
    const sep: PipelineModel = { session: base.session, manifest: { ...base.manifest, window_seconds: this.sepW / this.rate } };
    this.ring.copyWindow(end, this.sepW, this.sepWin.data);
    const { outputs, ms } = await runSeparator(sep, this.sepWin, this.listen);
    this.sepMs.add(ms);
    if (!this.running || !this.o.output) return;
    const W = this.sepW;
    const H = this.hop;
    const F = this.fade;
    const mix = new Float32Array(H + F);
    for (const o of outputs) {
      if (!o) continue;
      for (let i = 0; i < H + F; i++) mix[i] += o[W - H - F + i];
    }
    // The block covers frames [end − H − F, end − F); its first F frames are crossfaded with the
    // previous window's last F (the same frames, seen with less future context).
    const block = mix.subarray(0, H);
    const prev = this.prevTail;
    for (let i = 0; i < F; i++) {
      const w = 0.5 - 0.5 * Math.cos((Math.PI * (i + 0.5)) / F);
      block[i] = (prev ? prev[i] * (1 - w) : 0) + block[i] * w;
    }
    this.prevTail = mix.slice(H, H + F);
    const first = end - H - F;
    const written = this.o.output.write(block, first / this.rate);
    for (let k = 0; k < LATENCY_POINTS; k++) {
      const f = first + Math.floor(((k + 0.5) * H) / LATENCY_POINTS);
      this.latency.add((written - this.captureTime(f)) * this.o.source.speed);
    }
  }

  private publishChanges(changes: LabelChange[]): void {
    for (const c of changes) {
      this.o.emit('liveEvent', { sessionId: this.o.id, kind: c.kind, event: c.event });
      this.recorder?.writeEvent({ type: c.kind, ...c.event });
    }
  }

  stats(): LiveStats {
    const now = performance.now();
    return {
      latencyP50Ms: this.latency.percentile(50),
      latencyP95Ms: this.latency.percentile(95),
      latencySamples: this.latency.count,
      load: this.busy.value,
      cpu: this.cpu.sample(),
      lateBlocks: this.lateBlocks,
      dropouts: this.dropouts + this.o.source.overruns,
      skippedSeparations: this.skipped,
      updatesPerSecond: this.updates.rate(now),
      tagMs: this.tagMs.value,
      separateMs: this.sepMs.value,
    };
  }

  private emitFrame(t: number, overloaded: boolean): void {
    const levels = new Float32Array(this.levelSum.length);
    for (let c = 0; c < levels.length; c++) {
      const rms = Math.sqrt(this.levelSum[c] / Math.max(1, this.levelFrames));
      levels[c] = rms > 0 ? Math.max(-120, 20 * Math.log10(rms)) : -120;
    }
    this.levelSum.fill(0);
    this.levelFrames = 0;
    const frame: LiveFrameEvent = {
      sessionId: this.o.id,
      t,
      probs: Float32Array.from(this.tracker.smoothed),
      active: this.tracker.active(),
      levels,
      overloaded,
      stats: this.stats(),
      recording: this.recordingInfo(),
    };
    this.o.emit('liveFrame', frame);
  }

  private async fail(e: Error): Promise<void> {
    await this.end('failed', e.message);
  }

  /** Stops capture and processing, closes the recording and the output. */
  async end(how: 'stopped' | 'ended' | 'failed', message: string): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.endedBy = how;
    this.wake?.();
    await this.o.source.stop().catch(() => undefined);
    await this.finished?.catch(() => undefined);
    this.publishChanges(this.tracker.closeAll(this.inFrames / this.o.source.sampleRate));
    this.resampler?.destroy();
    await this.o.output?.close().catch(() => undefined);
    this.o.emit('liveState', { sessionId: this.o.id, state: how, message });
  }
}
