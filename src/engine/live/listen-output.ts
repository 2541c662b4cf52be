/**
 * The listen output of a live session (docs/live.md, "Switching"): which path's blocks reach the
 * output (the *owner*: the direct path's beams or the clean path's separated hops), the crossfades
 * (10 ms raised cosine) between consecutive clean hops, into a path that takes over from silence,
 * and between the two paths when the mode switches, and the latency of what is written, per mode.
 *
 *   - clean → direct: the direct path takes over at its next block, fading the clean path's tail
 *     (the F samples it already separated beyond its last block) out under its first samples;
 *   - direct → clean: the beams keep playing until the first clean block is ready, then fade out
 *     under that block's F-sample fade-in, and the rest of the block follows in the same write.
 *
 * Latency: for LATENCY_POINTS frames spread over each written block, "handed to the output (+ the
 * output's own queue) − captured" (CaptureClock), scaled by the replay speed, into a window per mode.
 */
import type { ListenMode } from '../../shared/api-live';
import type { CaptureClock } from './capture-clock';
import { LatencyWindow } from './stats';

export interface ListenOutput {
  readonly kind: 'client' | 'device';
  /** Writes one block at the model rate; returns the wall time it was handed to the output. */
  write(pcm: Float32Array, t: number): number;
  /** Audio already queued in the output ahead of the next block (ms), when the output knows. */
  delayMs?(): number;
  /** Closes the output: at once, or after playing what was written (`drain`). */
  close(drain?: boolean): Promise<void>;
}

/** Crossfade between consecutive listen hops, and between the modes (s). */
export const FADE_SECONDS = 0.01;
/** Latency measurements taken per output block (evenly spaced frames). */
const LATENCY_POINTS = 8;

/** Raised-cosine fade-in weight of sample i of an F-sample crossfade. */
export function fadeWeight(i: number, F: number): number {
  return 0.5 - 0.5 * Math.cos((Math.PI * (i + 0.5)) / F);
}

/** A crossfade in progress into the samples of the path that now owns the output. */
interface Crossfade {
  /** The old path's continuation (null: silence, i.e. a fade-in). */
  old: Float32Array | null;
  pos: number;
}

export class ListenRouter {
  /** Latency of the frames written, per mode. */
  readonly latency: Record<ListenMode, LatencyWindow> = { direct: new LatencyWindow(), clean: new LatencyWindow() };
  /** The path whose blocks reach the output now (null: none yet, or listening stopped). */
  private owner: ListenMode | null = null;
  /** A crossfade into the owner's next samples (fade-in, or clean → direct). */
  private xf: Crossfade | null = null;
  /** direct → clean: the first clean block, faded in under the direct path's next samples. */
  private pendingClean: { block: Float32Array; first: number; pos: number } | null = null;
  /** The clean path's last F samples beyond its last block (its continuation). */
  private prevTail: Float32Array | null = null;

  /**
   * @param rate the model rate; `hop` the clean path's block, `fade` the crossfade (frames)
   * @param speed the replay speed (latency is reported in the input's time)
   */
  constructor(
    private readonly output: ListenOutput | null,
    private readonly clock: CaptureClock,
    private readonly rate: number,
    private readonly hop: number,
    private readonly fade: number,
    private readonly speed: number,
  ) {}

  /** Whether the direct path's blocks are wanted: direct mode, or the direct path still owns the output. */
  wantsDirect(mode: ListenMode): boolean {
    return mode === 'direct' || this.owner === 'direct';
  }

  /** The beams are idle (no listened class, or not wanted): the direct path gives up the output. */
  directIdle(): void {
    if (this.owner === 'direct') this.owner = null;
  }

  /** Listening stopped: the clean path stops at once (its last hop already faded out). */
  stopClean(): void {
    this.prevTail = null;
    this.pendingClean = null;
    if (this.owner === 'clean') this.owner = null;
  }

  /** The clean path skipped a hop: its next block fades in from silence. */
  dropCleanTail(): void {
    this.prevTail = null;
  }

  /**
   * The direct path's block `pcm` (model-rate frames from `first`); `beamsActive`: a beam is still
   * sounding after it. Returns true when the output was handed over to the clean path with this
   * block (the beams can pause).
   */
  playDirect(pcm: Float32Array, first: number, mode: ListenMode, beamsActive: boolean): boolean {
    const output = this.output;
    if (!output) return false;
    const n = pcm.length;
    if (this.owner !== 'direct') {
      // Taking over: from silence (fade in) or from the clean path's tail (crossfade).
      this.xf = { old: this.owner === 'clean' ? this.prevTail : null, pos: 0 };
      this.owner = 'direct';
      this.prevTail = null;
    }
    this.applyCrossfade(pcm);
    const pend = this.pendingClean;
    if (pend && mode === 'clean') {
      // Handing over to the clean path: direct fades out under its first block (already faded in).
      const F = this.fade;
      let i = 0;
      for (; i < n && pend.pos < F; i++, pend.pos++) pcm[i] = pcm[i] * (1 - fadeWeight(pend.pos, F)) + pend.block[pend.pos];
      const head = pcm.subarray(0, i);
      if (pend.pos < F) {
        this.measure('direct', first, i, output.write(head, first / this.rate));
        return false;
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
      return true;
    }
    if (pend) this.pendingClean = null; // switched back to direct before the handover
    if (!beamsActive) this.owner = null; // the last beam has faded out
    this.measure('direct', first, n, output.write(pcm, first / this.rate));
    return false;
  }

  /**
   * The clean path's hop: `mix` holds the listened stems over frames [end − H − F, end) of the
   * window ending at `end`. The block covers frames [end − H − F, end − F); its first F frames are
   * crossfaded with the previous window's last F (the same frames, seen with less future context),
   * and its last F are kept for the next hop.
   */
  playClean(mix: Float32Array, end: number): void {
    const output = this.output;
    if (!output) return;
    const H = this.hop;
    const F = this.fade;
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
      this.measure('clean', p.first, H, output.write(p.block, p.first / this.rate));
    }
    if (this.owner === 'direct') {
      // direct → clean: the direct path fades out under this block's fade-in (playDirect).
      this.pendingClean = { block: block.slice(), first, pos: 0 };
      return;
    }
    this.owner = 'clean';
    this.measure('clean', first, H, output.write(block, first / this.rate));
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

  /** Latency of `count` frames from `first` written at wall time `written`, into `mode`'s window. */
  private measure(mode: ListenMode, first: number, count: number, written: number): void {
    if (count <= 0) return;
    const queued = this.output?.delayMs?.() ?? 0;
    const points = Math.min(LATENCY_POINTS, count);
    for (let k = 0; k < points; k++) {
      const f = first + Math.floor(((k + 0.5) * count) / points);
      this.latency[mode].add((written + queued - this.clock.timeOf(f)) * this.speed);
    }
  }
}
