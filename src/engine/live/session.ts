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
 */
import type { ChannelFormat } from '../../shared/audio';
import type { ListenMode, LiveFrameEvent, LiveSessionInfo, LiveStats } from '../../shared/api-live';
import type { S5Label } from '../../shared/labels';
import { classThreshold } from '../../shared/manifest';
import { convertFoaInto, isFoaFormat } from '../audio/channels';
import { createResampler, type Resampler } from '../audio/resample';
import { runSeparator, runTagger, type PipelineModel } from '../pipeline/runners';
import type { AudioWindow } from '../pipeline/windower';
import { windowSamples } from '../models/roles';
import type { BeamPattern, BeamStep } from '../dsp/beam';
import { DIRECTION_SPAN_SECONDS, DirectListener, stemDirection } from './direct';
import { LabelTracker, type LabelChange } from './labels';
import { ListenVerifier } from './listen-verify';
import { LiveRecorder } from './recorder';
import { PlanarRing } from './ring';
import { CpuMeter, Ewma, LatencyWindow, RateMeter } from './stats';
import type { LiveSourceHandle } from './source';

export interface ListenOutput {
  readonly kind: 'client' | 'device';
  /** Writes one block at the model rate; returns the wall time it was handed to the output. */
  write(pcm: Float32Array, t: number): number;
  /** Audio already queued in the output ahead of the next block (ms), when the output knows. */
  delayMs?(): number;
  /** Closes the output: at once, or after playing what was written (`drain`). */
  close(drain?: boolean): Promise<void>;
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

/** Crossfade between consecutive listen hops (s). */
const FADE_SECONDS = 0.01;
/** Latency measurements taken per output block (evenly spaced frames). */
const LATENCY_POINTS = 8;

function makeWindow(samples: number): AudioWindow {
  return { index: 0, start: 0, valid: samples, channels: 4, samples, data: new Float32Array(4 * samples) };
}

/** Raised-cosine fade-in weight of sample i of an F-sample crossfade. */
function fadeWeight(i: number, F: number): number {
  return 0.5 - 0.5 * Math.cos((Math.PI * (i + 0.5)) / F);
}

/** A crossfade in progress into the samples of the path that now owns the output. */
interface Crossfade {
  /** The old path's continuation (null: silence, i.e. a fade-in). */
  old: Float32Array | null;
  pos: number;
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
  private resampler: Resampler | null = null;
  private readonly tracker: LabelTracker;
  private readonly tagWin: AudioWindow;
  private readonly sepWin: AudioWindow;
  private readonly dirWin: AudioWindow;
  private prevTail: Float32Array | null = null;
  private listen: S5Label[];
  private mode: ListenMode;
  /** The path whose blocks reach the output now (null: none yet, or listening stopped). */
  private owner: ListenMode | null = null;
  /** A crossfade into the owner's next samples (fade-in, or clean → direct). */
  private xf: Crossfade | null = null;
  /** direct → clean: the first clean block, faded in under the direct path's next samples. */
  private pendingClean: { block: Float32Array; first: number; pos: number } | null = null;
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
  /** Input frames received and, per block, (input frames so far, capture time). */
  private inFrames = 0;
  private readonly marks: { end: number; ms: number }[] = [];
  private readonly levelSum: Float64Array;
  private levelFrames = 0;
  private pick: Float32Array[] = [];
  // counters
  private readonly latency: Record<ListenMode, LatencyWindow> = { direct: new LatencyWindow(), clean: new LatencyWindow() };
  private readonly tagMs = new Ewma();
  private readonly sepMs = new Ewma();
  private readonly dirMs = new Ewma();
  /** Beam processing time per direct block (ms) and block lengths (frames). */
  private readonly directMs = new LatencyWindow();
  private directFrames = 0;
  private directBlocks = 0;
  private readonly busy = new Ewma(0.1);
  private readonly updates = new RateMeter();
  private readonly cpu = new CpuMeter();
  private lateBlocks = 0;
  private dropouts = 0;
  private skipped = 0;
  private directionPasses = 0;
  private lateDirections = 0;
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
      () => this.whenIdle(),
    );
    this.o.emit('liveState', { sessionId: this.o.id, state: 'running', message: `listening to ${src.name}` });
  }

  setListen(labels: readonly S5Label[], mode: ListenMode = this.mode): S5Label[] {
    const known = this.o.separator?.manifest.labels ?? [];
    this.listen = labels.filter((l) => known.includes(l));
    this.direct?.setLabels(this.listen);
    this.mode = mode;
    if (this.listen.length === 0) {
      // The clean path stops at once (its last hop already faded out); the beams fade out.
      this.prevTail = null;
      this.pendingClean = null;
      if (this.owner === 'clean') this.owner = null;
    }
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
    if (n > 0) {
      this.ring.write(out, n);
      this.directBlock(out, n);
    }
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

  /** Latency of `count` frames from `first` written at wall time `written`, into `mode`'s window. */
  private measure(mode: ListenMode, first: number, count: number, written: number): void {
    if (count <= 0) return;
    const queued = this.o.output?.delayMs?.() ?? 0;
    const points = Math.min(LATENCY_POINTS, count);
    for (let k = 0; k < points; k++) {
      const f = first + Math.floor(((k + 0.5) * count) / points);
      this.latency[mode].add((written + queued - this.captureTime(f)) * this.o.source.speed);
    }
  }

  /** Applies a crossfade in progress to the first samples of `pcm` (the owner's new samples). */
  private applyCrossfade(pcm: Float32Array): void {
    const x = this.xf;
    if (!x) return;
    const F = this.fade;
    let i = 0;
    for (; i < pcm.length && x.pos < F; i++, x.pos++) {
      const w = fadeWeight(x.pos, F);
      pcm[i] = (x.old ? x.old[x.pos] : 0) * (1 - w) + pcm[i] * w;
    }
    if (x.pos >= F) this.xf = null;
  }

  /**
   * The direct path: the beams' output for the model-rate frames just written (`ch`, `n` frames
   * ending at the ring's end), when direct mode is on or its output is still fading into the
   * clean path's.
   */
  private directBlock(ch: readonly Float32Array[], n: number): void {
    const d = this.direct;
    const output = this.o.output;
    if (!d || !output) return;
    if (!(this.mode === 'direct' || this.owner === 'direct') || !d.active) {
      if (this.owner === 'direct') this.owner = null;
      d.pause();
      return;
    }
    const first = this.ring.total - n;
    const t0 = performance.now();
    const pcm = d.process(ch, 0, first, n);
    this.directMs.add(performance.now() - t0);
    this.directFrames += n;
    this.directBlocks++;
    if (this.owner !== 'direct') {
      // Taking over: from silence (fade in) or from the clean path's tail (crossfade).
      this.xf = { old: this.owner === 'clean' ? this.prevTail : null, pos: 0 };
      this.owner = 'direct';
      this.prevTail = null;
    }
    this.applyCrossfade(pcm);
    const pend = this.pendingClean;
    if (pend && this.mode === 'clean') {
      // Handing over to the clean path: direct fades out under its first block (already faded in).
      const F = this.fade;
      let i = 0;
      for (; i < n && pend.pos < F; i++, pend.pos++) pcm[i] = pcm[i] * (1 - fadeWeight(pend.pos, F)) + pend.block[pend.pos];
      const head = pcm.subarray(0, i);
      if (pend.pos < F) {
        this.measure('direct', first, i, output.write(head, first / this.rate));
        return;
      }
      const rest = pend.block.subarray(F);
      const joined = new Float32Array(head.length + rest.length);
      joined.set(head);
      joined.set(rest, head.length);
      const written = output.write(joined, first / this.rate);
      this.measure('direct', first, head.length, written);
      this.measure('clean', pend.first + F, rest.length, written);
      this.pendingClean = null;
      this.owner = 'clean';
      d.pause();
      return;
    }
    if (pend) this.pendingClean = null; // switched back to direct before the handover
    if (!d.active) this.owner = null; // the last beam has faded out
    this.measure('direct', first, n, output.write(pcm, first / this.rate));
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
      if (tail[0]?.length) {
        this.ring.write(tail);
        this.directBlock(tail, tail[0].length);
      }
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
        this.lateBlocks += behindHops;
        if (this.listen.length && this.mode === 'clean') this.dropouts += behindHops;
        this.nextEnd += behindHops * this.hop;
        this.prevTail = null;
      }
      const end = this.nextEnd;
      this.nextEnd += this.hop;
      const hopIndex = this.hopCount++;
      const t0 = performance.now();
      this.ring.copyWindow(end, this.tagW, this.tagWin.data);
      const { decision, ms } = await runTagger(this.o.tagger, this.tagWin);
      this.tagMs.add(ms);
      if (!this.running) break;
      const t = end / this.rate;
      this.publishChanges(this.tracker.update(decision.probs, t));
      let overloaded = false;
      const canListen = this.listen.length > 0 && this.o.separator !== null && this.o.output !== null;
      const clean = canListen && this.mode === 'clean';
      const directionPass = canListen && this.mode === 'direct' && hopIndex % this.dirEvery === 0;
      if (clean || directionPass) {
        // Would separating now make the next hop late? Then skip it (tagging keeps its rate).
        const nextDue = this.captureTime(end - 1) + hopMs;
        const expected = clean ? this.sepMs.value : this.dirMs.value;
        if (paced && (shedNext || performance.now() + expected > nextDue + hopMs * 0.5)) {
          overloaded = true;
          this.skipped++;
          if (clean) {
            this.dropouts++;
            this.prevTail = null;
          }
          shedNext = false;
        } else if (clean) {
          await this.separateHop(end);
        } else {
          await this.directionPass(end);
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

  /**
   * The separator on `win` (its length is the model's window; the time axis is symbolic), asked
   * for the listened classes and, in the slots the last pass leaves free, the other classes on
   * now (the models were trained to be asked for every class present; a stem comes out cleaner
   * when its neighbours are asked for too). Outputs in `labels` order, listened classes first.
   */
  private async separate(win: AudioWindow, end: number): Promise<{ outputs: (Float32Array | null)[]; labels: S5Label[]; ms: number }> {
    const base = this.o.separator as PipelineModel;
    const sep: PipelineModel = { session: base.session, manifest: { ...base.manifest, window_seconds: win.samples / this.rate } };
    this.ring.copyWindow(end, win.samples, win.data);
    const slots = Math.max(1, base.manifest.slots);
    const free = Math.ceil(this.listen.length / slots) * slots - this.listen.length;
    const others = this.tracker.active().filter((l) => !this.listen.includes(l) && base.manifest.labels.includes(l)).slice(0, free);
    const labels = [...this.listen, ...others];
    const r = await runSeparator(sep, win, labels);
    return { ...r, labels };
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
      if (d.update(label, est, on.includes(label), end)) this.lateDirections++;
    });
  }

  /** Direct mode: the separator on the short direction window, for the beams' directions only. */
  private async directionPass(end: number): Promise<void> {
    const { outputs, labels, ms } = await this.separate(this.dirWin, end);
    this.dirMs.add(ms);
    this.directionPasses++;
    if (!this.running) return;
    this.steer(this.dirWin, outputs, labels, end);
  }

  private async separateHop(end: number): Promise<void> {
    const { outputs, labels, ms } = await this.separate(this.sepWin, end);
    this.sepMs.add(ms);
    if (!this.running || !this.o.output) return;
    // The clean window's stems steer the beams too (direct mode then starts at their directions).
    this.steer(this.sepWin, outputs, labels, end);
    if (this.mode !== 'clean' || this.listen.length === 0) return;
    const W = this.sepW;
    const H = this.hop;
    const F = this.fade;
    // The verifier checks the listened classes now and then, off the output's path; its gates apply from the next block.
    this.gate?.offer(labels, outputs.map((o, i) => (this.listen.includes(labels[i]) ? o : null)), (end / this.rate) * 1000);
    const mix = new Float32Array(H + F);
    for (const [i, o] of outputs.entries()) {
      if (!o || !this.listen.includes(labels[i])) continue;
      const g = this.gate?.ramp(labels[i], H + F);
      for (let k = 0; k < H + F; k++) mix[k] += o[W - H - F + k] * (g ? g[k] : 1);
    }
    // The block covers frames [end − H − F, end − F); its first F frames are crossfaded with the
    // previous window's last F (the same frames, seen with less future context).
    const block = mix.subarray(0, H);
    const prev = this.prevTail;
    for (let i = 0; i < F; i++) {
      const w = fadeWeight(i, F);
      block[i] = (prev ? prev[i] * (1 - w) : 0) + block[i] * w;
    }
    this.prevTail = mix.slice(H, H + F);
    const first = end - H - F;
    if (this.pendingClean) {
      // The direct path never took the previous block (it stopped): play that one first.
      const p = this.pendingClean;
      this.pendingClean = null;
      this.owner = 'clean';
      this.measure('clean', p.first, H, this.o.output.write(p.block, p.first / this.rate));
    }
    if (this.owner === 'direct') {
      // direct → clean: the direct path fades out under this block's fade-in (directBlock).
      this.pendingClean = { block: block.slice(), first, pos: 0 };
      return;
    }
    this.owner = 'clean';
    this.measure('clean', first, H, this.o.output.write(block, first / this.rate));
  }

  private publishChanges(changes: LabelChange[]): void {
    for (const c of changes) {
      this.o.emit('liveEvent', { sessionId: this.o.id, kind: c.kind, event: c.event });
      this.recorder?.writeEvent({ type: c.kind, ...c.event });
    }
  }

  stats(): LiveStats {
    const now = performance.now();
    const byMode = (m: ListenMode) => ({
      p50Ms: this.latency[m].percentile(50),
      p95Ms: this.latency[m].percentile(95),
      samples: this.latency[m].count,
    });
    const current = this.latency[this.mode];
    return {
      latencyP50Ms: current.percentile(50),
      latencyP95Ms: current.percentile(95),
      latencySamples: current.count,
      mode: this.mode,
      latencyByMode: { direct: byMode('direct'), clean: byMode('clean') },
      load: this.busy.value,
      cpu: this.cpu.sample(),
      lateBlocks: this.lateBlocks,
      dropouts: this.dropouts + this.o.source.overruns,
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
    this.resampler?.destroy();
    // A replay that reached its end lets the output play out what it was given.
    await this.o.output?.close(how === 'ended').catch(() => undefined);
    this.o.emit('liveState', { sessionId: this.o.id, state: how, message });
  }
}
