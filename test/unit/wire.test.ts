/**
 * shared/wire.ts: the binary frame codec of the WebSocket transport. Round trips must be exact
 * (typed arrays bit for bit, at any nesting, keys that look like the codec's own markers), and any
 * malformed frame must fail with WireError — never another exception type, never a wrong value.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { WireError, decodeFrame, encodeFrame } from '../../src/shared/wire';

const bytesOf = (a: Float32Array | Uint8Array) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

/** Structural equality where typed arrays compare by type and exact bytes (NaN payloads, -0). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Float32Array || a instanceof Uint8Array) {
    return b?.constructor === a.constructor && JSON.stringify(bytesOf(a)) === JSON.stringify(bytesOf(b as Uint8Array));
  }
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  if (a !== null && typeof a === 'object') {
    if (b === null || typeof b !== 'object' || Array.isArray(b)) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameValue((a as never)[k], (b as never)[k]));
  }
  return Object.is(a, b);
}

/** JSON-like values (no -0: JSON has none) with Float32Array / Uint8Array leaves anywhere. */
const { value: wireValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
    fc.string({ unit: 'grapheme' }),
    fc.float32Array({ maxLength: 64 }),
    fc.uint8Array({ maxLength: 64 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('$blob', '$$blob', '$', '__proto__', 'constructor')), tie('value'), {
      maxKeys: 5,
    }),
  ),
}));

describe('round trips', () => {
  test('typed arrays nested in objects and arrays keep type and bytes', () => {
    const overview = { min: [new Float32Array([-1, -0.5, NaN, -0]), new Float32Array(0)], max: [new Float32Array([1, Infinity])] };
    const message = { type: 'reply', id: 7, reply: { ok: true, value: { overview, raw: new Uint8Array([0, 255, 7]), n: 3 } } };
    const back = decodeFrame(encodeFrame(message));
    expect(sameValue(message, back)).toBe(true);
    const value = (back as { reply: { value: { overview: { min: Float32Array[] } } } }).reply.value;
    expect(value.overview.min[0]).toBeInstanceOf(Float32Array);
    expect(Object.is(value.overview.min[0][3], -0)).toBe(true);
  });

  test('views into a larger buffer send only their own bytes', () => {
    const big = new Float32Array([1, 2, 3, 4, 5, 6]);
    const view = big.subarray(2, 4);
    const back = decodeFrame(encodeFrame({ view })) as { view: Float32Array };
    expect(Array.from(back.view)).toEqual([3, 4]);
    expect(back.view.byteOffset % 4).toBe(0);
  });

  test('user keys that look like markers stay keys', () => {
    const tricky = JSON.parse('{"$blob":0,"a":{"$blob":1},"$$x":"y","__proto__":{"polluted":true}}') as unknown;
    const back = decodeFrame(encodeFrame(tricky));
    expect(sameValue(tricky, back)).toBe(true);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('a Node Buffer holding a frame decodes like a Uint8Array', () => {
    const frame = encodeFrame({ a: new Float32Array([1.5, -2]) });
    const pooled = Buffer.concat([Buffer.from([9, 9, 9]), Buffer.from(frame)]).subarray(3);
    expect(Array.from((decodeFrame(pooled) as { a: Float32Array }).a)).toEqual([1.5, -2]);
  });

  test('property: 1000 random messages round-trip exactly', () => {
    fc.assert(
      fc.property(wireValue, (value) => sameValue(value, decodeFrame(encodeFrame(value)))),
      { numRuns: 1000 },
    );
  });

  test('property: 1000 random float32 arrays round-trip bit for bit', () => {
    fc.assert(
      fc.property(fc.float32Array({ maxLength: 4096 }), fc.uint8Array({ maxLength: 300 }), (f, u) => {
        const back = decodeFrame(encodeFrame([f, { u }])) as [Float32Array, { u: Uint8Array }];
        return sameValue(f, back[0]) && sameValue(u, back[1].u);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('encoding refuses what it cannot carry faithfully', () => {
  test.each([
    ['Float64Array', new Float64Array(2)],
    ['Int16Array', new Int16Array(2)],
    ['ArrayBuffer', new ArrayBuffer(8)],
    ['BigInt', 1n],
  ])('%s → WireError', (_name, value) => {
    expect(() => encodeFrame({ value })).toThrow(WireError);
  });

  test('cyclic and over-deep messages → WireError', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeFrame(cyclic)).toThrow(WireError);
    let deep: unknown = 1;
    for (let i = 0; i < 100; i += 1) deep = [deep];
    expect(() => encodeFrame(deep)).toThrow(WireError);
  });
});

describe('malformed frames → WireError only', () => {
  const header = (json: string, tail: number[] = []) => {
    const h = new TextEncoder().encode(json);
    const frame = new Uint8Array(((4 + h.length + 7) & ~7) + tail.length);
    new DataView(frame.buffer).setUint32(0, h.length, true);
    frame.set(h, 4);
    frame.set(tail, (4 + h.length + 7) & ~7);
    return frame;
  };

  test.each([
    ['empty', new Uint8Array(0)],
    ['short prefix', new Uint8Array([1, 0])],
    ['length past end', new Uint8Array([255, 255, 255, 255, 0])],
    ['not JSON', header('{nope')],
    ['not UTF-8', (() => { const f = header('"xx"'); f[5] = 0xff; return f; })()],
    ['no version', header('{"body":1,"blobs":[]}')],
    ['blobs not a list', header('{"v":1,"body":1,"blobs":{}}')],
    ['bad blob kind', header('{"v":1,"body":1,"blobs":[{"k":"f64","n":8}]}', [0, 0, 0, 0, 0, 0, 0, 0])],
    ['blob entry not an object', header('{"v":1,"body":1,"blobs":[3]}')],
    ['blob past the end', header('{"v":1,"body":{"$blob":0},"blobs":[{"k":"u8","n":99}]}', [1, 2])],
    ['negative blob length', header('{"v":1,"body":1,"blobs":[{"k":"u8","n":-1}]}')],
    ['f32 blob of 3 bytes', header('{"v":1,"body":{"$blob":0},"blobs":[{"k":"f32","n":3}]}', [1, 2, 3])],
    ['reference out of range', header('{"v":1,"body":{"$blob":1},"blobs":[{"k":"u8","n":1}]}', [1])],
    ['reference not a number', header('{"v":1,"body":{"$blob":"0"},"blobs":[{"k":"u8","n":1}]}', [1])],
    ['blob used twice', header('{"v":1,"body":[{"$blob":0},{"$blob":0}],"blobs":[{"k":"u8","n":1}]}', [1])],
    ['reserved key', header('{"v":1,"body":{"$x":1},"blobs":[]}')],
    ['too deep', header(`{"v":1,"body":${'['.repeat(200)}${']'.repeat(200)},"blobs":[]}`)],
    ['JSON null header', header('null')],
  ])('%s', (_name, frame) => {
    expect(() => decodeFrame(frame)).toThrow(WireError);
  });

  test('property: random bytes and mutated frames never throw anything but WireError', () => {
    const valid = encodeFrame({ type: 'call', id: 1, method: 'openAudio', arg: { x: new Float32Array([1, 2, 3]) } });
    const mutated = fc
      .array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })
      .map((edits) => {
        const copy = valid.slice();
        for (const [at, byte] of edits) copy[at] = byte;
        return copy;
      });
    const truncated = fc.nat(valid.length).map((n) => valid.slice(0, n));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 256 }), mutated, truncated), (frame) => {
        try {
          decodeFrame(frame);
          return true;
        } catch (err) {
          return err instanceof WireError;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
