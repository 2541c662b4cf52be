/** Windowing (pipeline/windower.ts): starts, padding, short inputs, channel mapping, block sizes. */
import { describe, expect, it } from 'vitest';
import { readAhead, windows, type AudioWindow } from '../../../src/engine/pipeline/windower';
import { windowCount } from '../../../src/engine/pipeline/process';

async function* blocks(channels: Float32Array[], size: number): AsyncGenerator<Float32Array[]> {
  for (let o = 0; o < channels[0].length; o += size) yield channels.map((c) => c.subarray(o, o + size));
}

async function collect(n: number, W: number, H: number, block: number, inCh = 1, outCh = 1): Promise<AudioWindow[]> {
  const ramp = Array.from({ length: inCh }, (_, c) => Float32Array.from({ length: n }, (_, i) => i + 1 + c * 1e5));
  const out: AudioWindow[] = [];
  for await (const w of windows(blocks(ramp, block), outCh, W, H)) out.push({ ...w, data: w.data.slice() });
  return out;
}

describe('windows', () => {
  it.each([
    [100, 10, 5, 7],
    [103, 10, 5, 64],
    [10, 10, 5, 3],
    [7, 10, 5, 100],
    [11, 10, 5, 1],
  ])('N=%i W=%i H=%i (blocks of %i): every sample covered, starts k·H, zero padding at the end', async (n, W, H, block) => {
    const ws = await collect(n, W, H, block);
    expect(ws.length).toBe(windowCount(n, W, H));
    ws.forEach((w, k) => {
      expect(w.start).toBe(k * H);
      expect(w.valid).toBe(Math.min(W, n - w.start));
      for (let i = 0; i < W; i++) expect(w.data[i]).toBe(i < w.valid ? w.start + i + 1 : 0);
    });
    const last = ws[ws.length - 1];
    expect(last.start + last.valid).toBe(n);
  });

  it('keeps the first channels and fills missing ones with zeros', async () => {
    const [w] = await collect(8, 8, 4, 3, 2, 4);
    expect(w.channels).toBe(4);
    expect(w.data[0]).toBe(1);
    expect(w.data[8]).toBe(100001);
    expect(Array.from(w.data.subarray(16))).toEqual(new Array(16).fill(0));
    const [m] = await collect(8, 8, 4, 3, 4, 1);
    expect(m.data.length).toBe(8);
  });
});

describe('readAhead', () => {
  async function* source(n: number, log: string[], failAt = -1) {
    for (let i = 0; i < n; i++) {
      log.push(`read ${i}`);
      await new Promise((r) => setTimeout(r, 1));
      if (i === failAt) throw new Error(`bad block ${i}`);
      yield i;
    }
  }

  it('yields the same items in order, reading the next one while the caller works', async () => {
    const log: string[] = [];
    const got: number[] = [];
    for await (const x of readAhead(source(4, log))) {
      log.push(`use ${x}`);
      await new Promise((r) => setTimeout(r, 5)); // the caller's "inference"
      got.push(x);
    }
    expect(got).toEqual([0, 1, 2, 3]);
    // Item 1 is read before item 0 is used up: the read overlaps the work.
    expect(log.indexOf('read 1')).toBeLessThan(log.indexOf('use 1'));
    expect(log.indexOf('read 1')).toBeLessThan(log.indexOf('use 0') + 2);
  });

  it('a read error reaches the caller at that item, after the earlier items', async () => {
    const got: number[] = [];
    await expect(async () => {
      for await (const x of readAhead(source(5, [], 2))) got.push(x);
    }).rejects.toThrow('bad block 2');
    expect(got).toEqual([0, 1]);
  });

  it('stopping early closes the source', async () => {
    let closed = false;
    async function* src() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const x of readAhead(src())) if (x === 2) break;
    expect(closed).toBe(true);
  });
});
