/**
 * The input side of a live session, per source block: level meters (RMS per input channel since
 * the last frame), the channel pick (the device channels that feed W/Y/Z/X — or the A-format
 * capsules — in that order; missing channels are silent), conversion of the channel format to
 * ACN/SN3D, and streaming resampling (libsamplerate) to the model rate.
 */
import type { ChannelFormat } from '../../shared/audio';
import { convertFoaInto, isFoaFormat } from '../audio/channels';
import { createResampler, type Resampler } from '../audio/resample';
import type { LiveSourceHandle } from './source';

export class LiveInput {
  private resampler: Resampler | null = null;
  private readonly levelSum: Float64Array;
  private levelFrames = 0;
  private pick: Float32Array[] = [];

  constructor(
    private readonly source: LiveSourceHandle,
    private readonly channelFormat: ChannelFormat,
    private readonly channelOrder: readonly number[],
    private readonly modelRate: number,
  ) {
    this.levelSum = new Float64Array(source.channels);
  }

  /** Creates the resampler when the source's rate is not the model rate. */
  async open(): Promise<void> {
    const src = this.source;
    if (src.sampleRate !== this.modelRate) this.resampler = await createResampler(src.sampleRate, this.modelRate, 4, 'fast');
  }

  /** One source block (`frames` frames per channel) → 4 ACN/SN3D channels at the model rate (maybe none yet). */
  process(block: Float32Array[], frames: number): Float32Array[] {
    for (let c = 0; c < this.levelSum.length; c++) {
      const ch = block[c];
      let s = 0;
      for (let i = 0; i < frames; i++) s += ch[i] * ch[i];
      this.levelSum[c] += s;
    }
    this.levelFrames += frames;
    if (this.pick.length === 0 || this.pick[0].length < frames) this.pick = Array.from({ length: 4 }, () => new Float32Array(frames));
    const picked = this.source.convertsFormat ? block.slice(0, 4) : this.channelOrder.map((c) => block[c]);
    // Fewer than 4 channels (a mono or stereo recording replayed): the rest are silent.
    while (picked.length < 4) picked.push(new Float32Array(frames));
    let four: Float32Array[] = picked;
    if (!this.source.convertsFormat && isFoaFormat(this.channelFormat) && this.channelFormat !== 'foa-acn-sn3d') {
      four = this.pick.map((p) => p.subarray(0, frames));
      convertFoaInto(picked, this.channelFormat, four, frames);
    }
    return this.resampler ? this.resampler.process(four.map((c) => c.subarray(0, frames)), frames) : four;
  }

  /** The input ended: the resampler's tail (null without a resampler, or when flushed before). */
  flush(): Float32Array[] | null {
    if (!this.resampler) return null;
    const tail = this.resampler.flush();
    this.resampler = null;
    return tail;
  }

  /** Level per input channel (dBFS, floor −120) since the last call. */
  levels(): Float32Array<ArrayBuffer> {
    const levels = new Float32Array(this.levelSum.length);
    for (let c = 0; c < levels.length; c++) {
      const rms = Math.sqrt(this.levelSum[c] / Math.max(1, this.levelFrames));
      levels[c] = rms > 0 ? Math.max(-120, 20 * Math.log10(rms)) : -120;
    }
    this.levelSum.fill(0);
    this.levelFrames = 0;
    return levels;
  }

  destroy(): void {
    this.resampler?.destroy();
  }
}
