/**
 * Binary message codec for the WebSocket transport. A message is any JSON-like value that may
 * contain Float32Array / Uint8Array leaves. Layout of one frame:
 *   u32le headerBytes | header (UTF-8 JSON, typed arrays replaced by {"$blob": i}) | pad to 8 |
 *   blob 0 | pad to 8 | blob 1 | ...
 * The header lists each blob's kind and byte length. Bulk audio is never turned into JSON numbers.
 * Object keys that start with "$" are escaped with one more "$", so user data can never be read
 * as a blob reference. Keys are written with define semantics (a "__proto__" key stays a key).
 * Other typed arrays and ArrayBuffers are refused rather than silently turned into objects.
 * Pure TypeScript (no Node, no DOM): used by the bridge server and the browser client alike.
 */
type BlobKind = 'f32' | 'u8';
interface Header {
  v: 1;
  body: unknown;
  blobs: { k: BlobKind; n: number }[];
}

const MAX_DEPTH = 64;
const pad8 = (n: number) => (n + 7) & ~7;

export class WireError extends Error {
  override readonly name = 'WireError';
}

const escapeKey = (k: string) => (k.startsWith('$') ? `$${k}` : k);
function unescapeKey(k: string): string {
  if (!k.startsWith('$')) return k;
  if (k.startsWith('$$')) return k.slice(1);
  throw new WireError('reserved key in message');
}

export function encodeFrame(message: unknown): Uint8Array {
  const blobs: (Float32Array | Uint8Array)[] = [];
  const strip = (value: unknown, depth: number): unknown => {
    if (depth > MAX_DEPTH) throw new WireError('message nested too deeply');
    if (value instanceof Float32Array || value instanceof Uint8Array) {
      blobs.push(value);
      return { $blob: blobs.length - 1 };
    }
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
      throw new WireError(`${value.constructor.name} cannot be sent; use Float32Array or Uint8Array`);
    }
    if (Array.isArray(value)) return value.map((v) => strip(v, depth + 1));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [escapeKey(k), strip(v, depth + 1)]));
    }
    return value;
  };
  const body = strip(message, 0);
  const header: Header = {
    v: 1,
    body,
    blobs: blobs.map((b) => ({ k: b instanceof Float32Array ? 'f32' : 'u8', n: b.byteLength })),
  };
  let json: string;
  try {
    json = JSON.stringify(header);
  } catch (err) {
    throw new WireError(`message cannot be encoded: ${err instanceof Error ? err.message : String(err)}`);
  }
  const headerBytes = new TextEncoder().encode(json);
  let size = pad8(4 + headerBytes.length);
  const offsets = blobs.map((b) => {
    const at = size;
    size = pad8(size + b.byteLength);
    return at;
  });
  const frame = new Uint8Array(size);
  new DataView(frame.buffer).setUint32(0, headerBytes.length, true);
  frame.set(headerBytes, 4);
  blobs.forEach((b, i) => frame.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), offsets[i]));
  return frame;
}

export function decodeFrame(frame: Uint8Array): unknown {
  if (frame.byteLength < 4) throw new WireError('frame shorter than its length prefix');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const headerLen = view.getUint32(0, true);
  if (4 + headerLen > frame.byteLength) throw new WireError('header length exceeds frame');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(frame.subarray(4, 4 + headerLen)));
  } catch {
    throw new WireError('header is not valid UTF-8 JSON');
  }
  if (header === null || typeof header !== 'object' || header.v !== 1 || !Array.isArray(header.blobs)) {
    throw new WireError('header has no version 1 layout');
  }
  let at = pad8(4 + headerLen);
  const blobs = header.blobs.map((b) => {
    if (b === null || typeof b !== 'object' || (b.k !== 'f32' && b.k !== 'u8')) throw new WireError('bad blob kind');
    if (!Number.isInteger(b.n) || b.n < 0 || at + b.n > frame.byteLength) throw new WireError('blob exceeds frame');
    if (b.k === 'f32' && b.n % 4 !== 0) throw new WireError('float32 blob length not a multiple of 4');
    // Copy into a fresh Uint8Array: aligned, detached from the socket's buffer, and not a view even
    // when `frame` is a Node Buffer (whose slice() would share memory).
    const bytes = new Uint8Array(b.n);
    bytes.set(frame.subarray(at, at + b.n));
    at = pad8(at + b.n);
    return b.k === 'f32' ? new Float32Array(bytes.buffer) : bytes;
  });
  const used = new Set<number>();
  const restore = (value: unknown, depth: number): unknown => {
    if (depth > MAX_DEPTH) throw new WireError('message nested too deeply');
    if (Array.isArray(value)) return value.map((v) => restore(v, depth + 1));
    if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value);
      if (keys.length === 1 && keys[0] === '$blob') {
        const i = (value as { $blob: unknown }).$blob;
        if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= blobs.length || used.has(i)) {
          throw new WireError('bad blob reference');
        }
        used.add(i);
        return blobs[i];
      }
      return Object.fromEntries(
        keys.map((k) => [unescapeKey(k), restore((value as Record<string, unknown>)[k], depth + 1)]),
      );
    }
    return value;
  };
  return restore(header.body, 0);
}

/** Envelopes carried by the codec on the WebSocket. */
export type WireMessage =
  | { type: 'call'; id: number; method: string; arg: unknown }
  | { type: 'reply'; id: number; reply: unknown }
  | { type: 'event'; event: string; payload: unknown };
