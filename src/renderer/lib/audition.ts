/**
 * Real-time audition of an analysed scene with Tone.js and Omnitone (Web Audio):
 *
 *   mixture player (4-ch FOA) ─┬─ W only ─────────────────────────────▶ bus 'mixture'
 *                              └─ Omnitone FOA renderer (binaural) ───▶ bus 'binaural'
 *   stem player i ─ gain i (gain · mute/solo) ─┬─────────────────────────▶ bus 'stems' (sum)
 *                                              └─ FOA encoder (az, el) ─┐
 *                                                 Σ 4-ch ─ Omnitone ───▶ bus 'spatial'
 *   buses ─ master ─ AnalyserNode (output meter) ─ destination
 *
 * One Tone transport drives every player, all started from buffers of the same rate and length
 * (engine PCM, no decoding), so stems and mixture stay sample-synchronous. A/B switches buses.
 * The Tone context wraps a native AudioContext (Omnitone needs a native one) and uses the
 * 'timeout' clock: Tone's default worker clock is a blob: Worker, which the strict CSP forbids.
 */
import Omnitone, { type FOARenderer } from 'omnitone/build/omnitone.esm.js';
// Tone's modules one by one, not its index: the index creates a default context at import time,
// whose worker clock (a blob: Worker) the CSP refuses.
import { setContext } from 'tone/build/esm/core/Global.js';
import { Context } from 'tone/build/esm/core/context/Context.js';
import { ToneAudioBuffer } from 'tone/build/esm/core/context/ToneAudioBuffer.js';
import { connect } from 'tone/build/esm/core/context/ToneAudioNode.js';
import { Player } from 'tone/build/esm/source/buffer/Player.js';

import { effectiveGains, foaEncodeGains, yawMatrix, type StemControl } from './audition-math';

export type { StemControl } from './audition-math';

const Tone = { Context, ToneAudioBuffer, connect, setContext };

/**
 * Omnitone 1.3's HRIR loader creates a no-op handler with `new Function()`, which the CSP (no
 * 'unsafe-eval') turns into an EvalError. `initialize()` constructs that loader synchronously, so
 * for that one call `Function` is replaced by a plain factory of no-op functions; nothing else can
 * run in between.
 */
async function initializeWithoutEval(renderer: FOARenderer): Promise<void> {
  const g = globalThis as { Function: FunctionConstructor };
  const original = g.Function;
  g.Function = function noop() {
    return () => undefined;
  } as unknown as FunctionConstructor;
  let ready: Promise<void>;
  try {
    ready = renderer.initialize();
  } finally {
    g.Function = original;
  }
  await ready;
}

export const LISTEN_MODES = ['mixture', 'stems', 'binaural', 'spatial'] as const;
export type ListenMode = (typeof LISTEN_MODES)[number];

export interface AuditionStem {
  name: string;
  pcm: Float32Array;
  azimuthDeg: number | null;
  elevationDeg: number | null;
}

export interface AuditionScene {
  rate: number;
  /** Planar FOA (ACN/SN3D) or fewer channels. */
  mixture: Float32Array[];
  stems: AuditionStem[];
}

interface StemChain {
  player: Player;
  gain: GainNode;
  encoder: GainNode[];
}

export class Audition {
  readonly context: AudioContext;
  private readonly tone: Context;
  private readonly master: GainNode;
  readonly analyser: AnalyserNode;
  private readonly buses: Record<ListenMode, GainNode>;
  private mixturePlayer: Player | null = null;
  private stems: StemChain[] = [];
  private renderers: FOARenderer[] = [];
  private disposables: { disconnect(): void }[] = [];
  private mode: ListenMode = 'mixture';
  duration = 0;

  constructor() {
    this.context = new AudioContext({ latencyHint: 'interactive' });
    this.tone = new Tone.Context({ context: this.context, clockSource: 'timeout' } as never);
    Tone.setContext(this.tone);
    this.master = this.context.createGain();
    this.analyser = this.context.createAnalyser();
    this.analyser.fftSize = 2048;
    this.master.connect(this.analyser);
    this.analyser.connect(this.context.destination);
    this.buses = Object.fromEntries(
      LISTEN_MODES.map((m) => {
        const g = this.context.createGain();
        g.gain.value = m === this.mode ? 1 : 0;
        g.connect(this.master);
        return [m, g];
      }),
    ) as Record<ListenMode, GainNode>;
  }

  private get transport() {
    return this.tone.transport;
  }

  private buffer(channels: Float32Array[], rate: number): ToneAudioBuffer {
    const frames = channels[0]?.length ?? 0;
    const b = this.context.createBuffer(Math.max(1, channels.length), Math.max(1, frames), rate);
    channels.forEach((c, i) => b.copyToChannel(c as Float32Array<ArrayBuffer>, i));
    return new Tone.ToneAudioBuffer(b);
  }

  /** Replaces the loaded scene (stops playback). Resolves once the binaural renderers are ready. */
  async load(scene: AuditionScene): Promise<void> {
    this.unload();
    const frames = scene.mixture[0]?.length ?? 0;
    this.duration = frames / scene.rate;
    const ctx = this.context;

    // Mixture: W to the mono bus, all four channels to Omnitone.
    const mix = new Player(this.buffer(scene.mixture, scene.rate)).sync().start(0);
    mix.channelCount = scene.mixture.length;
    mix.channelCountMode = 'explicit';
    mix.channelInterpretation = 'discrete';
    const split = ctx.createChannelSplitter(Math.max(1, scene.mixture.length));
    Tone.connect(mix, split);
    split.connect(this.buses.mixture, 0);
    this.disposables.push(split);
    this.mixturePlayer = mix;

    const spatialSum = ctx.createChannelMerger(4);
    this.disposables.push(spatialSum);
    if (scene.mixture.length >= 4) {
      const binaural = Omnitone.createFOARenderer(ctx, { channelMap: [0, 1, 2, 3] });
      await initializeWithoutEval(binaural);
      const merge = ctx.createChannelMerger(4);
      for (let c = 0; c < 4; c++) split.connect(merge, c, c);
      merge.connect(binaural.input);
      binaural.output.connect(this.buses.binaural);
      this.renderers.push(binaural);
      this.disposables.push(merge, binaural.output);
    }
    const spatial = Omnitone.createFOARenderer(ctx, { channelMap: [0, 1, 2, 3] });
    await initializeWithoutEval(spatial);
    spatialSum.connect(spatial.input);
    spatial.output.connect(this.buses.spatial);
    this.renderers.push(spatial);
    this.disposables.push(spatial.output);

    for (const s of scene.stems) {
      const player = new Player(this.buffer([s.pcm], scene.rate)).sync().start(0);
      const gain = ctx.createGain();
      Tone.connect(player, gain);
      gain.connect(this.buses.stems);
      const enc = foaEncodeGains(s.azimuthDeg ?? 0, s.elevationDeg ?? 0);
      // No direction: only W, heard from everywhere (diffuse) rather than from the front.
      const encoder = enc.map((g, c) => {
        const e = ctx.createGain();
        e.gain.value = s.azimuthDeg === null && c > 0 ? 0 : g;
        gain.connect(e);
        e.connect(spatialSum, 0, c);
        return e;
      });
      this.stems.push({ player, gain, encoder });
      this.disposables.push(gain, ...encoder);
    }
  }

  unload(): void {
    this.transport.stop();
    this.transport.cancel(0);
    this.mixturePlayer?.unsync().dispose();
    for (const s of this.stems) s.player.unsync().dispose();
    for (const d of this.disposables) d.disconnect();
    this.mixturePlayer = null;
    this.stems = [];
    this.renderers = [];
    this.disposables = [];
  }

  setMode(mode: ListenMode): void {
    this.mode = mode;
    const t = this.context.currentTime;
    for (const m of LISTEN_MODES) this.buses[m].gain.setTargetAtTime(m === mode ? 1 : 0, t, 0.01);
  }

  setStemControls(controls: readonly StemControl[]): void {
    const gains = effectiveGains(controls);
    const t = this.context.currentTime;
    this.stems.forEach((s, i) => s.gain.gain.setTargetAtTime(gains[i] ?? 1, t, 0.005));
  }

  /** Head yaw in degrees (positive: the listener turns left), for both binaural renderers. */
  setHeadYaw(yawDeg: number): void {
    const m = yawMatrix(yawDeg);
    for (const r of this.renderers) r.setRotationMatrix3(m);
  }

  get playing(): boolean {
    return this.transport.state === 'started';
  }

  get position(): number {
    return this.transport.seconds;
  }

  async play(): Promise<void> {
    await this.context.resume();
    if (this.position >= this.duration) this.transport.seconds = 0;
    this.transport.start();
  }

  pause(): void {
    this.transport.pause();
  }

  seek(seconds: number): void {
    this.transport.seconds = Math.min(Math.max(0, seconds), this.duration);
  }

  setLoop(region: { start: number; end: number } | null): void {
    if (region && region.end > region.start) {
      this.transport.setLoopPoints(region.start, region.end);
      this.transport.loop = true;
    } else this.transport.loop = false;
  }

  /** RMS of what the output carries right now (after every gain), linear. */
  outputRms(): number {
    const buf = new Float32Array(this.analyser.fftSize);
    this.analyser.getFloatTimeDomainData(buf);
    let s = 0;
    for (const v of buf) s += v * v;
    return Math.sqrt(s / buf.length);
  }

  async dispose(): Promise<void> {
    this.unload();
    this.tone.dispose();
    await this.context.close();
  }
}
