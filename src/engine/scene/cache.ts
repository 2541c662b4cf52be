/**
 * The scene cache: one temporary folder per engine session holding, per analysis, the stems as
 * float32 WAV at the model rate (written by the pipeline) and the recording's mixture converted to
 * ACN/SN3D and resampled to the same rate, so stems and mixture line up sample for sample. Files
 * are opened lazily for random-access reads (PcmFile) and the folder is removed on release or
 * when the engine shuts down.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { S5Error } from '../../shared/errors';
import type { SceneSource } from '../../shared/api-scene';
import type { S5Result } from '../../shared/result';
import { PcmFile } from './pcm-file';

export interface CachedAnalysis {
  id: string;
  /** This analysis's folder (removed on release); the stems are in `result.out_dir` inside it. */
  dir: string;
  rate: number;
  frames: number;
  mixtureChannels: number;
  mixturePath: string;
  result: S5Result;
  open: Map<string, Promise<PcmFile>>;
}

export const MIXTURE_FILE = 'mixture.f32.wav';
/** Analyses kept at once (each is a few float32 copies of its recording on disk). */
export const MAX_CACHED = 4;

export class SceneCache {
  private root: Promise<string> | null = null;
  private readonly analyses = new Map<string, CachedAnalysis>();

  /** A fresh folder for a new analysis (inside this session's root). */
  async newFolder(): Promise<{ id: string; dir: string }> {
    this.root ??= mkdtemp(path.join(os.tmpdir(), 's5-scene-'));
    const id = randomBytes(6).toString('hex');
    return { id, dir: path.join(await this.root, id) };
  }

  /** Registers an analysis; the oldest ones beyond `MAX_CACHED` are released. */
  async add(a: Omit<CachedAnalysis, 'open'>): Promise<CachedAnalysis> {
    const entry = { ...a, open: new Map<string, Promise<PcmFile>>() };
    this.analyses.set(a.id, entry);
    while (this.analyses.size > MAX_CACHED) await this.release(this.analyses.keys().next().value as string);
    return entry;
  }

  get(id: string): CachedAnalysis {
    const a = this.analyses.get(id);
    if (!a) throw new S5Error('not_found', `analysis ${id} is not in the engine's cache (it was released, or the engine restarted): analyse the recording again`);
    return a;
  }

  /** The cached file of `source`, opened once. */
  file(a: CachedAnalysis, source: SceneSource): Promise<PcmFile> {
    let fileName: string;
    if (source.kind === 'mixture') fileName = MIXTURE_FILE;
    else {
      const stem = a.result.stems.find((s) => s.name === source.name);
      if (!stem) throw new S5Error('not_found', `no stem '${source.name}' in this analysis (stems: ${a.result.stems.map((s) => s.name).join(', ') || 'none'})`);
      fileName = stem.file;
    }
    let f = a.open.get(fileName);
    if (!f) {
      f = PcmFile.open(fileName === MIXTURE_FILE ? a.mixturePath : path.join(a.result.out_dir ?? a.dir, fileName));
      a.open.set(fileName, f);
    }
    return f;
  }

  async release(id: string): Promise<boolean> {
    const a = this.analyses.get(id);
    if (!a) return false;
    this.analyses.delete(id);
    for (const f of a.open.values()) await f.then((x) => x.close(), () => undefined);
    await rm(a.dir, { recursive: true, force: true });
    return true;
  }

  async dispose(): Promise<void> {
    for (const id of [...this.analyses.keys()]) await this.release(id);
    if (this.root) await rm(await this.root, { recursive: true, force: true }).catch(() => undefined);
    this.root = null;
  }
}
