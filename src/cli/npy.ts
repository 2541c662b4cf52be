/**
 * Minimal .npy (format 1.0/2.0) decoder and encoder for float32 / int64 / bool C-order arrays,
 * for `s5 onnx-run` (tensors exchanged with the Python trainer). Buffers in, buffers out: the
 * command reads and writes the files (atomically).
 */
export interface NpyArray {
  dtype: 'float32' | 'int64' | 'bool';
  shape: number[];
  data: Float32Array | BigInt64Array | Uint8Array;
}

const DESCR: Record<string, NpyArray['dtype']> = { '<f4': 'float32', '<i8': 'int64', '|b1': 'bool' };

/** `name` is only used in error messages. */
export function decodeNpy(buf: Buffer, name: string): NpyArray {
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${name}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? '';
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeTxt = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '';
  const shape = shapeTxt.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const dtype = DESCR[descr];
  if (!dtype) throw new Error(`${name}: unsupported dtype ${descr} (need <f4, <i8 or |b1)`);
  if (fortran) throw new Error(`${name}: Fortran order is not supported`);
  const off = hstart + hlen;
  const n = shape.reduce((a, b) => a * b, 1);
  const bytes = buf.subarray(off, off + n * (dtype === 'bool' ? 1 : dtype === 'int64' ? 8 : 4));
  const copy = new Uint8Array(bytes).buffer; // aligned copy
  const data = dtype === 'float32' ? new Float32Array(copy) : dtype === 'int64' ? new BigInt64Array(copy) : new Uint8Array(copy);
  return { dtype, shape, data };
}

export function encodeNpy(arr: NpyArray): Buffer {
  const descr = Object.entries(DESCR).find(([, v]) => v === arr.dtype)![0];
  const shape = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = header + ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}
