/**
 * When each input frame was captured, on our clock (`performance.now()` ms): every source block
 * marks (input frames so far, capture time of its last frame); a frame between marks is placed
 * by the input rate and the replay speed. Marks older than the ring's span are dropped (two are
 * always kept). The scheduler asks it when the next hop is due, the listen output for latency.
 */
export class CaptureClock {
  private readonly marks: { end: number; ms: number }[] = [];

  /**
   * @param inputRate the source's rate; `modelRate` the rate frames are asked at
   * @param speed the replay speed (1 for devices)
   * @param keepFrames input frames of history to keep (the ring's span at the input rate)
   */
  constructor(
    private readonly inputRate: number,
    private readonly modelRate: number,
    private readonly speed: number,
    private readonly keepFrames: number,
  ) {}

  /** A block ended at input frame `end` (exclusive count so far), its last frame captured at `ms`. */
  mark(end: number, ms: number): void {
    this.marks.push({ end, ms });
    while (this.marks.length > 2 && this.marks[1].end < end - this.keepFrames) this.marks.shift();
  }

  /** Capture time (ms, our clock) of model-rate frame `f`. */
  timeOf(f: number): number {
    const g = (f * this.inputRate) / this.modelRate;
    const msPerFrame = 1000 / this.inputRate / this.speed;
    for (const m of this.marks) if (m.end > g) return m.ms - (m.end - 1 - g) * msPerFrame;
    const last = this.marks[this.marks.length - 1];
    return last ? last.ms + (g - last.end + 1) * msPerFrame : performance.now();
  }
}
