/**
 * A streaming ZIP writer (method "stored", UTF-8 names, ZIP64 when an offset or size passes
 * 4 GiB), for the DCASE submission archive: a DCASE 2025/2026 evaluation set gives several GB of
 * 16-bit WAV, which hardly compresses, so storing is as small as deflating and much faster. Files
 * are copied in 1 MiB chunks (CRC-32 from node:zlib); the archive is written to a temporary name in
 * the destination folder and renamed when complete. Hand-written because the format needs ~150
 * lines and the maintained zip packages are either deflate-centric or much larger.
 * Format: PKWARE APPNOTE.TXT 6.3 (§4.3 local/central headers, §4.5.3 ZIP64 extra field, §4.3.14–16).
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { S5Error } from '../../shared/errors';
import { tempPathFor } from '../atomic-write';

const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
const CHUNK = 1 << 20;

interface Entry {
  name: Buffer;
  crc: number;
  size: number;
  offset: number;
  directory: boolean;
}

function dosDateTime(d: Date): { time: number; date: number } {
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: (Math.max(0, d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

export class ZipWriter {
  private readonly entries: Entry[] = [];
  private offset = 0;
  private readonly stamp = dosDateTime(new Date());
  private closed = false;

  private constructor(readonly path: string, private readonly tmp: string, private readonly fh: FileHandle) {}

  static async create(path: string): Promise<ZipWriter> {
    const tmp = tempPathFor(path);
    try {
      return new ZipWriter(path, tmp, await open(tmp, 'wx'));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new S5Error(code === 'ENOENT' ? 'not_found' : 'bad_input', `cannot write here (${code === 'ENOENT' ? 'the folder does not exist' : code})`, path);
    }
  }

  private async put(buf: Buffer): Promise<void> {
    let done = 0;
    while (done < buf.length) {
      const { bytesWritten } = await this.fh.write(buf, done, buf.length - done, this.offset + done);
      done += bytesWritten;
    }
    this.offset += buf.length;
  }

  private localHeader(name: Buffer, size: number, crc: number, directory: boolean): Buffer {
    const zip64 = size >= MAX32;
    const h = Buffer.alloc(30 + name.length + (zip64 ? 20 : 0));
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(zip64 ? 45 : directory ? 20 : 10, 4);
    h.writeUInt16LE(0x0800, 6); // UTF-8 names
    h.writeUInt16LE(0, 8); // stored
    h.writeUInt16LE(this.stamp.time, 10);
    h.writeUInt16LE(this.stamp.date, 12);
    h.writeUInt32LE(crc >>> 0, 14);
    h.writeUInt32LE(zip64 ? MAX32 : size, 18);
    h.writeUInt32LE(zip64 ? MAX32 : size, 22);
    h.writeUInt16LE(name.length, 26);
    h.writeUInt16LE(zip64 ? 20 : 0, 28);
    name.copy(h, 30);
    if (zip64) {
      const x = 30 + name.length;
      h.writeUInt16LE(0x0001, x);
      h.writeUInt16LE(16, x + 2);
      h.writeBigUInt64LE(BigInt(size), x + 4);
      h.writeBigUInt64LE(BigInt(size), x + 12);
    }
    return h;
  }

  /** Adds a folder entry (`name` ends with '/'). */
  async addDirectory(name: string): Promise<void> {
    const n = Buffer.from(name.endsWith('/') ? name : `${name}/`, 'utf8');
    this.entries.push({ name: n, crc: 0, size: 0, offset: this.offset, directory: true });
    await this.put(this.localHeader(n, 0, 0, true));
  }

  async addBuffer(name: string, data: Buffer): Promise<void> {
    const n = Buffer.from(name, 'utf8');
    this.entries.push({ name: n, crc: crc32(data), size: data.length, offset: this.offset, directory: false });
    await this.put(this.localHeader(n, data.length, crc32(data), false));
    await this.put(data);
  }

  /** Copies a file into the archive; the CRC is patched into the local header afterwards. */
  async addFile(name: string, source: string): Promise<void> {
    const n = Buffer.from(name, 'utf8');
    const src = await open(source, 'r');
    try {
      const { size } = await src.stat();
      const headerAt = this.offset;
      await this.put(this.localHeader(n, size, 0, false));
      const buf = Buffer.alloc(CHUNK);
      let crc = 0;
      for (let pos = 0; pos < size; ) {
        const { bytesRead } = await src.read(buf, 0, Math.min(CHUNK, size - pos), pos);
        if (bytesRead === 0) throw new S5Error('bad_input', 'changed size while it was being archived', source);
        const chunk = buf.subarray(0, bytesRead);
        crc = crc32(chunk, crc);
        await this.put(chunk);
        pos += bytesRead;
      }
      const c = Buffer.alloc(4);
      c.writeUInt32LE(crc >>> 0, 0);
      await this.fh.write(c, 0, 4, headerAt + 14);
      this.entries.push({ name: n, crc, size, offset: headerAt, directory: false });
    } finally {
      await src.close();
    }
  }

  private centralHeader(e: Entry): Buffer {
    const extra: bigint[] = [];
    if (e.size >= MAX32) extra.push(BigInt(e.size), BigInt(e.size));
    if (e.offset >= MAX32) extra.push(BigInt(e.offset));
    const extraLen = extra.length ? 4 + 8 * extra.length : 0;
    const h = Buffer.alloc(46 + e.name.length + extraLen);
    h.writeUInt32LE(0x02014b50, 0);
    h.writeUInt16LE((3 << 8) | 45, 4); // made by: Unix, spec 4.5
    h.writeUInt16LE(extra.length ? 45 : e.directory ? 20 : 10, 6);
    h.writeUInt16LE(0x0800, 8);
    h.writeUInt16LE(0, 10);
    h.writeUInt16LE(this.stamp.time, 12);
    h.writeUInt16LE(this.stamp.date, 14);
    h.writeUInt32LE(e.crc >>> 0, 16);
    h.writeUInt32LE(e.size >= MAX32 ? MAX32 : e.size, 20);
    h.writeUInt32LE(e.size >= MAX32 ? MAX32 : e.size, 24);
    h.writeUInt16LE(e.name.length, 28);
    h.writeUInt16LE(extraLen, 30);
    h.writeUInt16LE(0, 32); // comment
    h.writeUInt16LE(0, 34); // disk
    h.writeUInt16LE(0, 36); // internal attributes
    h.writeUInt32LE(((e.directory ? 0o40755 : 0o100644) << 16) >>> 0, 38);
    h.writeUInt32LE(e.offset >= MAX32 ? MAX32 : e.offset, 42);
    e.name.copy(h, 46);
    if (extra.length) {
      const x = 46 + e.name.length;
      h.writeUInt16LE(0x0001, x);
      h.writeUInt16LE(8 * extra.length, x + 2);
      extra.forEach((v, i) => h.writeBigUInt64LE(v, x + 4 + 8 * i));
    }
    return h;
  }

  /** Writes the central directory, syncs, and renames the archive to its final name. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      const cdStart = this.offset;
      for (const e of this.entries) await this.put(this.centralHeader(e));
      const cdSize = this.offset - cdStart;
      const count = this.entries.length;
      if (count >= MAX16 || cdStart >= MAX32 || cdSize >= MAX32) {
        const eocd64At = this.offset;
        const r = Buffer.alloc(56 + 20);
        r.writeUInt32LE(0x06064b50, 0);
        r.writeBigUInt64LE(44n, 4);
        r.writeUInt16LE((3 << 8) | 45, 12);
        r.writeUInt16LE(45, 14);
        r.writeUInt32LE(0, 16);
        r.writeUInt32LE(0, 20);
        r.writeBigUInt64LE(BigInt(count), 24);
        r.writeBigUInt64LE(BigInt(count), 32);
        r.writeBigUInt64LE(BigInt(cdSize), 40);
        r.writeBigUInt64LE(BigInt(cdStart), 48);
        r.writeUInt32LE(0x07064b50, 56);
        r.writeUInt32LE(0, 60);
        r.writeBigUInt64LE(BigInt(eocd64At), 64);
        r.writeUInt32LE(1, 72);
        await this.put(r);
      }
      const end = Buffer.alloc(22);
      end.writeUInt32LE(0x06054b50, 0);
      end.writeUInt16LE(Math.min(count, MAX16), 8);
      end.writeUInt16LE(Math.min(count, MAX16), 10);
      end.writeUInt32LE(Math.min(cdSize, MAX32), 12);
      end.writeUInt32LE(Math.min(cdStart, MAX32), 16);
      await this.put(end);
      await this.fh.datasync();
      await this.fh.close();
      this.closed = true;
      await rename(this.tmp, this.path);
    } catch (e) {
      await this.abort();
      throw e;
    }
  }

  async abort(): Promise<void> {
    if (!this.closed) await this.fh.close().catch(() => undefined);
    this.closed = true;
    await unlink(this.tmp).catch(() => undefined);
  }
}
