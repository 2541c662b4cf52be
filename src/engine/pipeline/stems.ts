/**
 * Writes stems while the recording streams through: one mono writer per stem key, created the
 * first time the key has samples (everything before is written as zeros, so every stem is full
 * length), resampled to the output rate when it differs from the model's, into a staging folder
 * inside the recording's output folder (named with this process's pid; staging folders of dead
 * processes found there are removed first). `commit` renames the kept stems to their final names
 * (replacing older files only with complete ones) and drops the rest; `abort` removes the staging
 * folder. Also measures each stem's RMS (at the model rate).
 */
import { mkdir, readdir, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { WriteEncoding } from '../../shared/audio';
import { createAudioWriter, createResampler, type AudioWriter, type Resampler } from '../audio';
import { outputError, removeStaleStaging, stageDirName } from './outputs';

const ZERO_BLOCK = 1 << 16;

interface StemFile<K> {
  key: K;
  stagedPath: string;
  writer: AudioWriter;
  resampler: Resampler | null;
  /** Samples written so far, at the model rate. */
  frames: number;
  sumSquares: number;
}

export interface CommittedStem {
  file: string;
  rmsDb: number | null;
  /** Samples outside [−1, 1] that the file's integer encoding clamped (0 for float32). */
  clipped: number;
}

export class StemWriters<K extends string> {
  private readonly files = new Map<K, StemFile<K>>();
  private stageDir: string | null = null;
  private serial = 0;

  constructor(
    readonly outDir: string,
    readonly modelRate: number,
    readonly outRate: number,
    readonly encoding: WriteEncoding,
    readonly extension: string,
  ) {}

  private async stage(): Promise<string> {
    if (!this.stageDir) {
      await mkdir(this.outDir, { recursive: true });
      await removeStaleStaging(this.outDir); // left by an engine killed while writing here
      this.stageDir = path.join(this.outDir, stageDirName());
      await mkdir(this.stageDir);
    }
    return this.stageDir;
  }

  private async open(key: K, upTo: number): Promise<StemFile<K>> {
    const dir = await this.stage();
    const stagedPath = path.join(dir, `${this.serial++}${this.extension}`);
    const writer = await createAudioWriter(stagedPath, 1, this.outRate, this.encoding);
    const resampler = this.outRate === this.modelRate ? null : await createResampler(this.modelRate, this.outRate, 1);
    const file: StemFile<K> = { key, stagedPath, writer, resampler, frames: 0, sumSquares: 0 };
    this.files.set(key, file);
    const zeros = new Float32Array(ZERO_BLOCK);
    while (file.frames < upTo) {
      await this.append(file, zeros.subarray(0, Math.min(ZERO_BLOCK, upTo - file.frames)));
    }
    return file;
  }

  private async append(file: StemFile<K>, block: Float32Array): Promise<void> {
    for (let i = 0; i < block.length; i++) file.sumSquares += block[i] * block[i];
    file.frames += block.length;
    const out = file.resampler ? file.resampler.process([block])[0] : block;
    if (out.length > 0) await file.writer.write([out]);
  }

  /**
   * Samples [start, start + length) of every stem: the ones in `stems`, and zeros for the stems
   * already open but absent here.
   */
  async write(start: number, length: number, stems: ReadonlyMap<K, Float32Array>): Promise<void> {
    try {
      await this.writeBlock(start, length, stems);
    } catch (e) {
      throw await outputError(e, this.outDir); // disk full, read-only, … named with the output folder
    }
  }

  private async writeBlock(start: number, length: number, stems: ReadonlyMap<K, Float32Array>): Promise<void> {
    if (length === 0) return;
    for (const [key, data] of stems) {
      const file = this.files.get(key) ?? (await this.open(key, start));
      if (file.frames !== start) throw new Error(`stem ${key}: got samples from ${start}, expected ${file.frames}`);
      await this.append(file, data.subarray(0, length));
    }
    for (const file of this.files.values()) {
      if (stems.has(file.key)) continue;
      await this.append(file, new Float32Array(length));
    }
  }

  keys(): K[] {
    return [...this.files.keys()];
  }

  /**
   * Finishes every stem: `names` maps the kept keys to final file names (inside outDir); the
   * others are discarded. Files in outDir matching `isStale` and not written now are removed.
   */
  async commit(names: ReadonlyMap<K, string>, isStale: (name: string) => boolean): Promise<Map<K, CommittedStem>> {
    try {
      return await this.commitFiles(names, isStale);
    } catch (e) {
      throw await outputError(e, this.outDir);
    }
  }

  private async commitFiles(names: ReadonlyMap<K, string>, isStale: (name: string) => boolean): Promise<Map<K, CommittedStem>> {
    const done = new Map<K, CommittedStem>();
    for (const file of this.files.values()) {
      const name = names.get(file.key);
      if (name === undefined) {
        await file.writer.abort();
        file.resampler?.destroy();
        continue;
      }
      if (file.resampler) {
        const tail = file.resampler.flush()[0];
        if (tail.length > 0) await file.writer.write([tail]);
      }
      const report = await file.writer.close();
      const final = path.join(this.outDir, name);
      await rename(file.stagedPath, final);
      const rms = file.frames > 0 ? Math.sqrt(file.sumSquares / file.frames) : 0;
      done.set(file.key, { file: name, rmsDb: rms > 0 ? 20 * Math.log10(rms) : null, clipped: report.clippedSamples });
    }
    this.files.clear();
    await this.removeStage();
    const kept = new Set([...names.values()]);
    for (const entry of await readdir(this.outDir).catch(() => [] as string[])) {
      if (!kept.has(entry) && isStale(entry)) await unlink(path.join(this.outDir, entry)).catch(() => undefined);
    }
    return done;
  }

  /** Discards everything written (nothing under the final names is touched). */
  async abort(): Promise<void> {
    for (const file of this.files.values()) {
      await file.writer.abort().catch(() => undefined);
      file.resampler?.destroy();
    }
    this.files.clear();
    await this.removeStage();
  }

  private async removeStage(): Promise<void> {
    if (this.stageDir) await rm(this.stageDir, { recursive: true, force: true });
    this.stageDir = null;
  }
}
