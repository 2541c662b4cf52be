/**
 * Records a live session: the raw multichannel input streamed to a WAV file plus the label events
 * as JSON lines. The WAV header is rewritten with the current length at least every
 * `fixupSeconds` (and at the end), so a crash leaves a readable file that holds everything up to
 * the last fix-up (and usually more, which readers then ignore). Files are created with exclusive
 * flags: a recording never overwrites an existing file. The folder is created when it does not
 * exist (as Export does); every error names the folder or file it is about. Writes are queued in
 * order on one handle; the audio thread never waits for the disk.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { S5Error } from '../../shared/errors';
import { buildWavHeader, encodeWavSamples, WAV_HEADER_BYTES, type WavSampleFormat } from '../audio/wav';

export interface RecorderOptions {
  dir: string;
  /** Base name without extension (default live-YYYYMMDD-HHMMSS). */
  name?: string;
  channels: number;
  sampleRate: number;
  format: WavSampleFormat;
  fixupSeconds?: number;
}

function stamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** What a failed file-system call means for the user, from its errno code. */
function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'no permission to write here';
  if (code === 'EROFS') return 'the file system is read-only';
  if (code === 'ENOSPC') return 'the disk is full';
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'a file of that name is in the way (it is not a folder)';
  return (e as Error).message;
}

/** Creates the recording folder (and its parents) when it does not exist. */
async function ensureFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new S5Error('bad_input', `cannot create the recording folder: ${why(e)}`, dir);
  }
}

async function openExclusive(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'wx');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new S5Error('bad_input', 'a file of that name exists; recordings never overwrite files', file);
    if (code === 'ENOENT') throw new S5Error('not_found', 'the recording folder disappeared', file);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOSPC') throw new S5Error('bad_input', `cannot create the recording: ${why(e)}`, file);
    throw new S5Error('internal', `cannot create the recording (${(e as Error).message})`, file);
  }
}

export class LiveRecorder {
  readonly path: string;
  readonly eventsPath: string;
  frames = 0;
  private headerFrames = -1;
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private closed = false;
  private lastFixupFrames = 0;

  private constructor(
    private readonly wav: FileHandle,
    private readonly jsonl: FileHandle,
    readonly opts: Required<Omit<RecorderOptions, 'name'>>,
    base: string,
  ) {
    this.path = `${base}.wav`;
    this.eventsPath = `${base}.events.jsonl`;
  }

  static async create(o: RecorderOptions): Promise<LiveRecorder> {
    const dir = path.resolve(o.dir);
    await ensureFolder(dir);
    const base = path.join(dir, o.name ?? `live-${stamp()}`);
    const wav = await openExclusive(`${base}.wav`);
    let jsonl: FileHandle;
    try {
      jsonl = await openExclusive(`${base}.events.jsonl`);
    } catch (e) {
      await wav.close();
      throw e;
    }
    const r = new LiveRecorder(wav, jsonl, { fixupSeconds: 1, ...o, dir: path.resolve(o.dir) }, base);
    await wav.write(buildWavHeader(o.format, o.channels, o.sampleRate, 0), 0, WAV_HEADER_BYTES, 0);
    r.headerFrames = 0;
    return r;
  }

  get seconds(): number {
    return this.frames / this.opts.sampleRate;
  }

  /** The first write error, if any (recording then stops taking data). */
  get error(): Error | null {
    return this.failure;
  }

  private enqueue(job: () => Promise<unknown>): void {
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        await job();
      } catch (e) {
        this.failure = e as Error;
      }
    });
  }

  /** Appends planar float frames (encoded now; written in order). */
  writeAudio(block: readonly Float32Array[], frames = block[0]?.length ?? 0): void {
    if (this.closed || this.failure || frames === 0) return;
    const { bytes } = encodeWavSamples(block as Float32Array[], 0, frames, this.opts.format);
    const at = WAV_HEADER_BYTES + this.frames * this.opts.channels * (bytes.length / frames / this.opts.channels);
    this.frames += frames;
    this.enqueue(() => this.wav.write(bytes, 0, bytes.length, at));
    if (this.frames - this.lastFixupFrames >= this.opts.fixupSeconds * this.opts.sampleRate) {
      this.lastFixupFrames = this.frames;
      this.fixup();
    }
  }

  /** Appends one JSON line to the events file. */
  writeEvent(record: object): void {
    if (this.closed || this.failure) return;
    const line = `${JSON.stringify(record)}\n`;
    this.enqueue(() => this.jsonl.appendFile(line));
  }

  private fixup(): void {
    const frames = this.frames;
    this.enqueue(async () => {
      if (frames === this.headerFrames) return;
      await this.wav.write(buildWavHeader(this.opts.format, this.opts.channels, this.opts.sampleRate, frames), 0, WAV_HEADER_BYTES, 0);
      await this.wav.datasync();
      this.headerFrames = frames;
    });
  }

  /** Final header, close both files. */
  async close(): Promise<{ path: string; eventsPath: string; seconds: number }> {
    if (!this.closed) {
      this.fixup();
      this.closed = true;
      // Odd data sizes need a pad byte to keep the RIFF chunk even.
      const dataBytes = this.frames * this.opts.channels * (this.opts.format === 'pcm16' ? 2 : this.opts.format === 'pcm24' ? 3 : 4);
      if (dataBytes & 1) this.enqueue(() => this.wav.write(Buffer.alloc(1), 0, 1, WAV_HEADER_BYTES + dataBytes));
      await this.chain;
      await this.wav.close().catch(() => undefined);
      await this.jsonl.close().catch(() => undefined);
    }
    if (this.failure) throw new S5Error('internal', `recording stopped, a write failed (${this.failure.message})`, this.path);
    return { path: this.path, eventsPath: this.eventsPath, seconds: this.seconds };
  }
}
