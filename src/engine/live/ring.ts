/**
 * Preallocated planar ring buffer for the live path: the last `capacity` frames of each channel at
 * the model rate, addressed by an absolute frame counter (frames written since the session
 * started). Writing never allocates; `copyWindow` copies the frames [end − length, end) into a
 * planar-contiguous array (the [1, channels, samples] tensor layout), zero-filling anything older
 * than the stream's start. Frames older than the capacity are gone (the caller sizes it for the
 * longest window plus the processing slack).
 */
export class PlanarRing {
  private readonly data: Float32Array[];
  /** Frames written since the start. */
  total = 0;

  constructor(readonly channels: number, readonly capacity: number) {
    this.data = Array.from({ length: channels }, () => new Float32Array(capacity));
  }

  write(block: readonly Float32Array[], frames = block[0]?.length ?? 0): void {
    let src = 0;
    // Only the newest `capacity` frames of an oversized block can survive.
    if (frames > this.capacity) {
      src = frames - this.capacity;
      this.total += src;
    }
    while (src < frames) {
      const at = this.total % this.capacity;
      const n = Math.min(frames - src, this.capacity - at);
      for (let c = 0; c < this.channels; c++) {
        const ch = block[c];
        if (ch) this.data[c].set(ch.subarray(src, src + n), at);
        else this.data[c].fill(0, at, at + n);
      }
      src += n;
      this.total += n;
    }
  }

  /** Oldest absolute frame still held. */
  get oldest(): number {
    return Math.max(0, this.total - this.capacity);
  }

  /**
   * Copies `length` frames ending at absolute frame `end` (≤ total) of the first `channels`
   * channels into `out` (channel c at [c·length, (c+1)·length)). Frames before the stream's start
   * are zeros; frames already overwritten raise (the caller fell too far behind).
   */
  copyWindow(end: number, length: number, out: Float32Array, channels = this.channels): void {
    if (end > this.total) throw new RangeError(`ring: window end ${end} is beyond the ${this.total} frames written`);
    const start = end - length;
    if (Math.max(start, 0) < this.oldest) throw new RangeError(`ring: frames from ${start} were overwritten (oldest held is ${this.oldest})`);
    for (let c = 0; c < channels; c++) {
      const base = c * length;
      const zeros = Math.min(length, Math.max(0, -start));
      if (zeros > 0) out.fill(0, base, base + zeros);
      let pos = start + zeros;
      let o = base + zeros;
      while (pos < end) {
        const at = pos % this.capacity;
        const n = Math.min(end - pos, this.capacity - at);
        out.set(this.data[c].subarray(at, at + n), o);
        pos += n;
        o += n;
      }
    }
  }
}
