/**
 * One live session: source blocks → channel pick and format conversion (to ACN/SN3D) → streaming
 * resampling to the model rate → preallocated ring → a scheduler that runs the tagger every hop on
 * the latest window (probability frame, hysteresis, event log). The classes the user listens to
 * are heard in one of two modes (issue #17, docs/live.md):
 *   - clean: the separator on a shorter sliding window whose newest hop is crossfaded into the
 *     output (isolation; latency ≥ one hop plus the separator's time);
 *   - direct: a first-order beam per class steered at the class's direction (direct.ts), run on
 *     every block as it arrives in 10 ms steps (latency: the capture block plus microseconds); the
 *     directions come from the separator run at a lower rate on a short window.
 * Switching modes crossfades (10 ms) from the old path's output to the new one's. Timing is
 * measured per mode: every block carries its capture time, and the latency of the frames of each
 * output block is "written to the output" (+ the output's own queue) − "captured". When
 * processing falls behind, separation (or the direction pass) is skipped first (tagging keeps its
 * rate), then hops are coalesced (late blocks). An unpaced source (a file rendered offline,
 * `s5 listen`) waits for the session after every block, so nothing is ever skipped.
 *
 * This class is the orchestration; the parts live beside it: input.ts (levels, channel pick,
 * format conversion, resampling), capture-clock.ts (capture time of each frame), separation.ts
 * (the separator's queries, the clean hop's mix), listen-output.ts (which path owns the output,
 * the crossfades, latency per mode), direct.ts (the beams), stats.ts (counters, the stats snapshot).
 */
import type { ChannelFormat } from '../../shared/audio';
import type { ListenMode, LiveFrameEvent, LiveSessionInfo, LiveStats } from '../../shared/api-live';
import type { S5Label } from '../../shared/labels';
import { classThreshold } from '../../shared/manifest';
import { runTagger, type PipelineModel } from '../pipeline/runners';
import type { AudioWindow } from '../pipeline/windower';
import { windowSamples } from '../models/roles';
import type { BeamPattern, BeamStep } from '../dsp/beam';
import { CaptureClock } from './capture-clock';
import { DIRECTION_SPAN_SECONDS, DirectListener, stemDirection } from './direct';
import { LiveInput } from './input';
import { LabelTracker, type LabelChange } from './labels';
import { FADE_SECONDS, ListenRouter, type ListenOutput } from './listen-output';
import { ListenVerifier } from './listen-verify';
import { LiveRecorder } from './recorder';
import { PlanarRing } from './ring';
import { makeWindow, mixCleanHop, separateWindow, type SeparatedWindow } from './separation';
import { SessionCounters } from './stats';
import type { LiveSourceHandle } from './source';

export interface SessionOptions {
  id: string;
  source: LiveSourceHandle;
  channelFormat: ChannelFormat;
  channelOrder: readonly number[];
  hopSeconds: number;
  tagWindowSeconds?: number;
  listenWindowSeconds: number;
  listen: readonly S5Label[];
  listenMode: ListenMode;
  beam: BeamPattern;
  /** Direct mode: seconds between direction passes of the separator, and its window. */
  directionHopSeconds: number;
  directionWindowSeconds: number;
  tagger: PipelineModel;
  separator: PipelineModel | null;
  /** Stem verifier (issue #13): gates a listened class its verifier does not confirm (listen-verify.ts). */
  verifier?: PipelineModel | null;
  output: ListenOutput | null;
  warnings: string[];
  emit(event: string, payload: unknown): void;
  /** Every beam step of the direct path (tests, diagnostics). */
  onBeamStep?: (label: S5Label, step: BeamStep) => void;
}

export class LiveSession {
  readonly info: LiveSessionInfo;
  private readonly rate: number;
  private readonly hop: number;
  private readonly tagW: number;
  private readonly sepW: number;
  private readonly dirW: number;
  private readonly fade: number;
  private readonly ring: PlanarRing;
  private readonly input: LiveInput;
  private readonly clock: CaptureClock;
  private readonly tracker: LabelTracker;
  private readonly tagWin: AudioWindow;
  private readonly sepWin: AudioWindow;
  private readonly dirWin: AudioWindow;
  private listen: S5Label[];
  private mode: ListenMode;
  /** Which path owns the output, crossfades, latency per mode. */
  private readonly router: ListenRouter;
  private readonly direct: DirectListener | null;
  private readonly gate: ListenVerifier | null;
  /** Hops between direction passes in direct mode. */
  private readonly dirEvery: number;
  private hopCount = 0;
  private recorder: LiveRecorder | null = null;
  private running = false;
  private finished: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** The scheduler is waiting for input (every hop the ring holds is done). */
  private waiting = false;
  private idleWaiters: (() => void)[] = [];
  private draining = false;
  private nextEnd: number;
  /** Input frames received (at the source's rate). */
  private inFrames = 0;
  private readonly counters = new SessionCounters();
  endedBy: 'stopped' | 'ended' | 'failed' | null = null;
  /** The error that ended the session, when one did. */
  failure: Error | null = null;

  constructor(private readonly o: SessionOptions) {
    const tm = o.tagger.manifest;
    this.rate = tm.sample_rate;
    this.hop = Math.max(1, Math.round(o.hopSeconds * this.rate));
    this.tagW = o.tagWindowSeconds ? Math.round(o.tagWindowSeconds * this.rate) : windowSamples(tm);
    this.sepW = Math.max(this.hop * 2, Math.round(o.listenWindowSeconds * this.rate));
    this.dirW = Math.max(Math.round(0.25 * this.rate), Math.round(o.directionWindowSeconds * this.rate));
    this.dirEvery = Math.max(1, Math.round(o.directionHopSeconds / (this.hop / this.rate)));
    this.fade = Math.min(Math.round(FADE_SECONDS * this.rate), this.hop);
    // Room for the longest window plus two seconds of processing slack.
    this.ring = new PlanarRing(4, Math.max(this.tagW, this.sepW, this.dirW) + this.hop + 2 * this.rate);
    this.input = new LiveInput(o.source, o.channelFormat, o.channelOrder, this.rate);
    this.clock = new CaptureClock(o.source.sampleRate, this.rate, o.source.speed, (this.ring.capacity / this.rate) * o.source.sampleRate);
    this.router = new ListenRouter(o.output, this.clock, this.rate, this.hop, this.fade, o.source.speed);
    this.tracker = new LabelTracker(tm.labels, { on: tm.labels.map((l) => (tm.decision ? classThreshold(tm.decision, l) : 0.5)) });
    this.tagWin = makeWindow(this.tagW);
    this.sepWin = makeWindow(this.sepW);
    this.dirWin = makeWindow(this.dirW);
    this.listen = o.separator ? o.listen.filter((l) => o.separator?.manifest.labels.includes(l)) : [];
    this.mode = o.listenMode;
    this.gate = o.verifier && o.separator && o.output ? new ListenVerifier(o.verifier) : null;
    this.direct = o.separator && o.output
      ? new DirectListener({ rate: this.rate, pattern: o.beam, delay: this.hop })
      : null;
    if (this.direct && o.onBeamStep) this.direct.onStep = o.onBeamStep;
    this.direct?.setLabels(this.listen);
    this.nextEnd = this.hop;
    this.info = {
      sessionId: o.id,
      modelRate: this.rate,
      inputRate: o.source.sampleRate,
      inputChannels: o.source.channels,
      labels: [...tm.labels],
      hopSeconds: this.hop / this.rate,
      tagWindowSeconds: this.tagW / this.rate,
      listenWindowSeconds: this.sepW / this.rate,
      listenMode: this.mode,
      beam: o.beam,
      directStepSeconds: (this.direct?.step ?? Math.round(0.01 * this.rate)) / this.rate,
      directionHopSeconds: (this.dirEvery * this.hop) / this.rate,
      directionWindowSeconds: this.dirW / this.rate,
      paced: o.source.paced,
      tagger: tm.id,
      separator: o.separator?.manifest.id ?? null,
      sourceName: o.source.name,
      warnings: o.warnings,
    };
  }

  get listening(): S5Label[] {
    return [...this.listen];
  }

  get listenMode(): ListenMode {
    return this.mode;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Input frames received so far, at the model rate (what the ring has been given). */
  get framesAtModelRate(): number {
    return this.ring.total;
  }

  async start(): Promise<void> {
    const src = this.o.source;
    await this.input.open();
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
      () => this.whenIdle(),
    );
    this.o.emit('liveState', { sessionId: this.o.id, state: 'running', message: `listening to ${src.name}` });
  }

  setListen(labels: readonly S5Label[], mode: ListenMode = this.mode): S5Label[] {
    const known = this.o.separator?.manifest.labels ?? [];
    this.listen = labels.filter((l) => known.includes(l));
    this.direct?.setLabels(this.listen);
    this.mode = mode;
    // The clean path stops at once (its last hop already faded out); the beams fade out.
    if (this.listen.length === 0) this.router.stopClean();
    return this.listening;
  }

  /**
   * Resolves when the scheduler has done every hop the ring holds (an unpaced source delivers its
   * next block then), or at once when the session is not running.
   */
  whenIdle(): Promise<void> {
    if (this.waiting || !this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
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
    const out = this.input.process(block, frames);
    this.inFrames += frames;
    this.clock.mark(this.inFrames, captureMs);
    const n = out[0]?.length ?? 0;
    if (n > 0) {
      this.ring.write(out, n);
      this.directBlock(out, n);
    }
    this.wake?.();
  }

  /**
   * The direct path: the beams' output for the model-rate frames just written (`ch`, `n` frames
   * ending at the ring's end), when direct mode is on or its output is still fading into the
   * clean path's.
   */
  private directBlock(ch: readonly Float32Array[], n: number): void {
    const d = this.direct;
    if (!d || !this.o.output) return;
    if (!this.router.wantsDirect(this.mode) || !d.active) {
      this.router.directIdle();
      d.pause();
      return;
    }
    const first = this.ring.total - n;
    const t0 = performance.now();
    const pcm = d.process(ch, 0, first, n);
    this.counters.directBlock(performance.now() - t0, n);
    if (this.router.playDirect(pcm, first, this.mode, d.active)) d.pause(); // handed over to the clean path
  }

  /**
   * The source ended (a replay without loop): the resampler's tail goes into the ring, the hops
   * still due are processed, the last partial hop too, then the session ends.
   */
  private drain(): void {
    if (this.draining) return;
    const tail = this.input.flush();
    if (tail?.[0]?.length) {
      this.ring.write(tail);
      this.directBlock(tail, tail[0].length);
    }
    this.draining = true;
    this.wake?.();
  }

  private waitForData(end: number): Promise<void> {
    if (this.ring.total >= end || !this.running || this.draining) return Promise.resolve();
    this.waiting = true;
    for (const w of this.idleWaiters.splice(0)) w();
    return new Promise((resolve) => {
      this.wake = () => {
        if (this.ring.total >= end || !this.running || this.draining) {
          this.wake = null;
          this.waiting = false;
          resolve();
        }
      };
    });
  }

  private async loop(): Promise<void> {
    const hopMs = (this.hop / this.rate / this.o.source.speed) * 1000;
    const paced = this.o.source.paced;
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
        this.counters.lateBlocks += behindHops;
        if (this.listen.length && this.mode === 'clean') this.counters.dropouts += behindHops;
        this.nextEnd += behindHops * this.hop;
        this.router.dropCleanTail();
      }
      const end = this.nextEnd;
      this.nextEnd += this.hop;
      const hopIndex = this.hopCount++;
      const t0 = performance.now();
      this.ring.copyWindow(end, this.tagW, this.tagWin.data);
      const { decision, ms } = await runTagger(this.o.tagger, this.tagWin);
      this.counters.tagMs.add(ms);
      if (!this.running) break;
      const t = end / this.rate;
      this.publishChanges(this.tracker.update(decision.probs, t));
      let overloaded = false;
      const canListen = this.listen.length > 0 && this.o.separator !== null && this.o.output !== null;
      const clean = canListen && this.mode === 'clean';
      const directionPass = canListen && this.mode === 'direct' && hopIndex % this.dirEvery === 0;
      if (clean || directionPass) {
        // Would separating now make the next hop late? Then skip it (tagging keeps its rate).
        const nextDue = this.clock.timeOf(end - 1) + hopMs;
        const expected = clean ? this.counters.sepMs.value : this.counters.dirMs.value;
        if (paced && (shedNext || performance.now() + expected > nextDue + hopMs * 0.5)) {
          overloaded = true;
          this.counters.skipped++;
          if (clean) {
            this.counters.dropouts++;
            this.router.dropCleanTail();
          }
          shedNext = false;
        } else if (clean) {
          await this.separateHop(end);
        } else {
          await this.directionPass(end);
        }
      }
      const spent = performance.now() - t0;
      this.counters.busy.add(spent / hopMs);
      // Still behind after this hop: shed the next separation.
      shedNext = this.ring.total - this.nextEnd >= this.hop;
      this.counters.updates.tick(performance.now());
      this.emitFrame(t, overloaded);
    }
  }

  /** The separator on `win` ending at `end`: the listened classes, then others on now in free slots (separation.ts). */
  private separate(win: AudioWindow, end: number): Promise<SeparatedWindow> {
    return separateWindow(this.o.separator as PipelineModel, this.ring, win, end, this.rate, this.listen, this.tracker.active());
  }

  /** Steers each listened class's beam from its stem in a separated window ending at `end`. */
  private steer(win: AudioWindow, outputs: readonly (Float32Array | null)[], labels: readonly S5Label[], end: number): void {
    const d = this.direct;
    if (!d) return;
    const on = this.tracker.active();
    const span = Math.round(DIRECTION_SPAN_SECONDS * this.rate);
    labels.forEach((label, i) => {
      if (!this.listen.includes(label)) return;
      const stem = outputs[i];
      const est = stem ? stemDirection(win.data, win.samples, stem, span, this.rate) : null;
      if (d.update(label, est, on.includes(label), end)) this.counters.lateDirections++;
    });
  }

  /** Direct mode: the separator on the short direction window, for the beams' directions only. */
  private async directionPass(end: number): Promise<void> {
    const { outputs, labels, ms } = await this.separate(this.dirWin, end);
    this.counters.dirMs.add(ms);
    this.counters.directionPasses++;
    if (!this.running) return;
    this.steer(this.dirWin, outputs, labels, end);
  }

  /** Clean mode: the separator on the listen window; its newest hop goes to the output. */
  private async separateHop(end: number): Promise<void> {
    const sep = await this.separate(this.sepWin, end);
    const { outputs, labels } = sep;
    this.counters.sepMs.add(sep.ms);
    if (!this.running || !this.o.output) return;
    // The clean window's stems steer the beams too (direct mode then starts at their directions).
    this.steer(this.sepWin, outputs, labels, end);
    if (this.mode !== 'clean' || this.listen.length === 0) return;
    // The verifier checks the listened classes now and then, off the output's path; its gates apply from the next block.
    this.gate?.offer(labels, outputs.map((o, i) => (this.listen.includes(labels[i]) ? o : null)), (end / this.rate) * 1000);
    this.router.playClean(mixCleanHop(sep, this.listen, this.gate, this.sepW, this.hop, this.fade), end);
  }

  private publishChanges(changes: LabelChange[]): void {
    for (const c of changes) {
      this.o.emit('liveEvent', { sessionId: this.o.id, kind: c.kind, event: c.event });
      this.recorder?.writeEvent({ type: c.kind, ...c.event });
    }
  }

  stats(): LiveStats {
    return this.counters.snapshot(this.mode, this.router.latency, this.o.source.overruns);
  }

  private emitFrame(t: number, overloaded: boolean): void {
    const frame: LiveFrameEvent = {
      sessionId: this.o.id,
      t,
      probs: Float32Array.from(this.tracker.smoothed),
      active: this.tracker.active(),
      levels: this.input.levels(),
      overloaded,
      stats: this.stats(),
      recording: this.recordingInfo(),
      beams: this.direct?.states() ?? [],
    };
    this.o.emit('liveFrame', frame);
  }

  private async fail(e: Error): Promise<void> {
    if (this.running) this.failure ??= e;
    await this.end('failed', e.message);
  }

  /** Stops the source and closes the output (a session that failed to start). */
  async closeIO(): Promise<void> {
    await this.o.source.stop().catch(() => undefined);
    await this.o.output?.close().catch(() => undefined);
  }

  /** Stops capture and processing, closes the recording and the output. */
  async end(how: 'stopped' | 'ended' | 'failed', message: string): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.endedBy = how;
    this.wake?.();
    for (const w of this.idleWaiters.splice(0)) w();
    await this.o.source.stop().catch(() => undefined);
    await this.finished?.catch(() => undefined);
    this.publishChanges(this.tracker.closeAll(this.inFrames / this.o.source.sampleRate));
    this.input.destroy();
    // A replay that reached its end lets the output play out what it was given.
    await this.o.output?.close(how === 'ended').catch(() => undefined);
    this.o.emit('liveState', { sessionId: this.o.id, state: how, message });
  }
}
