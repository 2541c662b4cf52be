/**
 * Reads the declared inputs and outputs (names, element types, shapes) of an ONNX file without
 * loading it into ONNX Runtime: a minimal protobuf walk over ModelProto.graph that skips every
 * other field by its length, so a 300 MB model costs a few hundred small reads, not 300 MB of
 * memory. The registry uses it to check a model against its manifest before any session exists
 * (listing models must not cost a session per model); the inference worker checks again against
 * what ONNX Runtime reports when it creates the session.
 *
 * Hand-written because the only alternatives are a protobuf runtime plus the ONNX schema (two
 * dependencies for four message types) or ONNX Runtime itself (a full session per listed model).
 * Fields used (onnx.proto3): ModelProto.graph = 7; GraphProto.initializer = 5, input = 11,
 * output = 12; TensorProto.name = 8; ValueInfoProto.name = 1, type = 2; TypeProto.tensor_type = 1;
 * TypeProto.Tensor.elem_type = 1, shape = 2; TensorShapeProto.dim = 1;
 * Dimension.dim_value = 1, dim_param = 2.
 */
import { open, type FileHandle } from 'node:fs/promises';

export type OnnxDim = number | string | null;

export interface OnnxTensorInfo {
  name: string;
  /** 'float32', 'int64', … or `type<N>` for element types we do not name; null for non-tensors. */
  dtype: string | null;
  /** null when the graph declares no shape. A dimension is a size, a symbolic name, or null (unknown). */
  shape: OnnxDim[] | null;
}

export interface OnnxIo {
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
}

const ELEM_TYPES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 16: 'bfloat16',
};

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

export class OnnxFormatError extends Error {}

/** Positional reader over a file with a 64 KiB window. */
class FileCursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0;

  constructor(private readonly fh: FileHandle, readonly size: number) {}

  /** Makes [pos, pos + n) (clipped to the file) available; returns the buffer offset of pos. */
  async ensure(pos: number, n: number): Promise<number> {
    const end = Math.min(this.size, pos + n);
    if (pos >= this.bufStart && end <= this.bufStart + this.buf.length) return pos - this.bufStart;
    const len = Math.max(end - pos, Math.min(1 << 16, this.size - pos));
    const buf = Buffer.alloc(len);
    const { bytesRead } = await this.fh.read(buf, 0, len, pos);
    this.buf = buf.subarray(0, bytesRead);
    this.bufStart = pos;
    return 0;
  }

  async bytes(pos: number, n: number): Promise<Buffer> {
    if (pos + n > this.size) throw new OnnxFormatError(`a field at byte ${pos} runs past the end of the file`);
    if (n > 1 << 16) {
      const buf = Buffer.alloc(n);
      await this.fh.read(buf, 0, n, pos);
      return buf;
    }
    const o = await this.ensure(pos, n);
    return this.buf.subarray(o, o + n);
  }

  /** Reads a varint at pos; returns [value, next position]. */
  async varint(pos: number): Promise<[number, number]> {
    const o = await this.ensure(pos, 10);
    return readVarint(this.buf, o, this.buf.length, pos);
  }
}

function readVarint(buf: Buffer, o: number, end: number, absolute: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (o + i >= end) throw new OnnxFormatError(`truncated varint at byte ${absolute}`);
    const b = buf[o + i];
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return [value, absolute + i + 1];
  }
  throw new OnnxFormatError(`varint longer than 10 bytes at byte ${absolute}`);
}

interface Field {
  field: number;
  wire: number;
  /** Start of the payload (LEN: after the length prefix). */
  start: number;
  /** End of the payload. */
  end: number;
  /** VARINT value. */
  value: number;
}

/** Iterates the fields of the message occupying [start, end) of the file. */
async function* fields(cur: FileCursor, start: number, end: number): AsyncGenerator<Field> {
  let pos = start;
  while (pos < end) {
    const [tag, afterTag] = await cur.varint(pos);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    const second = wire === WIRE_VARINT || wire === WIRE_LEN ? await cur.varint(afterTag) : null;
    const f = shapeField(field, wire, afterTag, second, ` at byte ${pos}`);
    if (f.end > end) throw new OnnxFormatError(`field ${field} at byte ${pos} runs past its message`);
    yield f;
    pos = f.end;
  }
}

/**
 * The extent of one field once its tag is read. `second` is the varint that follows the tag for
 * VARINT (the value) and LEN (the payload length) fields: `[value, offset after it]`.
 */
function shapeField(field: number, wire: number, afterTag: number, second: [number, number] | null, where: string): Field {
  if (wire === WIRE_VARINT && second) return { field, wire, start: afterTag, end: second[1], value: second[0] };
  if (wire === WIRE_LEN && second) return { field, wire, start: second[1], end: second[1] + second[0], value: second[0] };
  if (wire === WIRE_I64) return { field, wire, start: afterTag, end: afterTag + 8, value: 0 };
  if (wire === WIRE_I32) return { field, wire, start: afterTag, end: afterTag + 4, value: 0 };
  throw new OnnxFormatError(`unsupported protobuf wire type ${wire}${where}`);
}

/** Fields of a small message already in memory. */
function* memFields(buf: Buffer): Generator<Field> {
  let pos = 0;
  while (pos < buf.length) {
    const [tag, afterTag] = readVarint(buf, pos, buf.length, pos);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    const second = wire === WIRE_VARINT || wire === WIRE_LEN ? readVarint(buf, afterTag, buf.length, afterTag) : null;
    const f = shapeField(field, wire, afterTag, second, '');
    if (f.end > buf.length) throw new OnnxFormatError(`field ${field} runs past its message`);
    yield f;
    pos = f.end;
  }
}

function parseValueInfo(buf: Buffer): OnnxTensorInfo {
  const info: OnnxTensorInfo = { name: '', dtype: null, shape: null };
  for (const f of memFields(buf)) {
    if (f.field === 1 && f.wire === WIRE_LEN) info.name = buf.toString('utf8', f.start, f.end);
    if (f.field !== 2 || f.wire !== WIRE_LEN) continue;
    for (const t of memFields(buf.subarray(f.start, f.end))) {
      if (t.field !== 1 || t.wire !== WIRE_LEN) continue; // tensor_type
      const tensor = buf.subarray(f.start + t.start, f.start + t.end);
      for (const tt of memFields(tensor)) {
        if (tt.field === 1 && tt.wire === WIRE_VARINT) info.dtype = ELEM_TYPES[tt.value] ?? `type${tt.value}`;
        if (tt.field === 2 && tt.wire === WIRE_LEN) info.shape = parseShape(tensor.subarray(tt.start, tt.end));
      }
    }
  }
  return info;
}

function parseShape(buf: Buffer): OnnxDim[] {
  const dims: OnnxDim[] = [];
  for (const d of memFields(buf)) {
    if (d.field !== 1 || d.wire !== WIRE_LEN) continue;
    let dim: OnnxDim = null;
    for (const v of memFields(buf.subarray(d.start, d.end))) {
      if (v.field === 1 && v.wire === WIRE_VARINT) dim = v.value;
      if (v.field === 2 && v.wire === WIRE_LEN) dim = buf.toString('utf8', d.start + v.start, d.start + v.end) || null;
    }
    dims.push(dim);
  }
  return dims;
}

async function initializerName(cur: FileCursor, start: number, end: number): Promise<string | null> {
  for await (const f of fields(cur, start, end)) {
    if (f.field === 8 && f.wire === WIRE_LEN) return (await cur.bytes(f.start, f.end - f.start)).toString('utf8');
  }
  return null;
}

/**
 * The graph's inputs (minus initializers listed as inputs, as ONNX Runtime reports them) and
 * outputs. Throws OnnxFormatError when the file is not an ONNX model.
 */
export async function readOnnxIo(file: string): Promise<OnnxIo> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const cur = new FileCursor(fh, size);
    let graph: Field | null = null;
    for await (const f of fields(cur, 0, size)) {
      if (f.field === 7 && f.wire === WIRE_LEN) graph = f;
    }
    if (!graph) throw new OnnxFormatError('no graph found (not an ONNX model?)');
    const inputs: OnnxTensorInfo[] = [];
    const outputs: OnnxTensorInfo[] = [];
    const initializers = new Set<string>();
    for await (const f of fields(cur, graph.start, graph.end)) {
      if (f.wire !== WIRE_LEN) continue;
      if (f.field === 11) inputs.push(parseValueInfo(Buffer.from(await cur.bytes(f.start, f.end - f.start))));
      else if (f.field === 12) outputs.push(parseValueInfo(Buffer.from(await cur.bytes(f.start, f.end - f.start))));
      else if (f.field === 5) {
        const name = await initializerName(cur, f.start, f.end);
        if (name) initializers.add(name);
      }
    }
    if (outputs.length === 0) throw new OnnxFormatError('the graph declares no outputs (not an ONNX model?)');
    return { inputs: inputs.filter((i) => !initializers.has(i.name)), outputs };
  } finally {
    await fh.close();
  }
}
