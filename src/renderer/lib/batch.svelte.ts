/**
 * The Scene view's batch queue: recordings added by path, folder, dialog or drag-and-drop are
 * separated one after another with the engine's `separate` (the same call as `s5 separate`), each
 * into `<output folder>/<recording name>/` with its stems, labels.json and labels.csv. One job at
 * a time; a failed file is marked and the queue goes on. Pause stops after the running file;
 * Cancel stops the running job (`cancel({jobId})`). The queue is one of the page's stores
 * (lib/stores.ts), created once, so switching views or panels never loses it.
 */
import type { S5Bridge, S5EventPayload } from '../../shared/api';
import type { StemFormat } from '../../shared/result';
import { toErrorView, type ErrorView } from './errors';
import {
  batchCounts, batchEta, BATCH_SETTINGS_KEY, parseBatchSettings, planAdd,
  type BatchItemState, type BatchSettings,
} from './batch-queue';
import { baseName } from './format';

export interface BatchItem {
  id: number;
  /** Engine-side path of the recording. */
  path: string;
  /** What the user added (the file name for uploads). */
  name: string;
  state: BatchItemState;
  /** 0..1 while running, from the engine's progress events; null = not known yet. */
  fraction: number | null;
  stage: string | null;
  /** Detected labels (`Label` or `Label ×n`) once done. */
  labels: string[];
  stems: number;
  /** The folder the stems went to, once done. */
  outDir: string | null;
  error: ErrorView | null;
  /** Wall seconds the separation took (done or failed). */
  seconds: number | null;
}

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export class BatchQueue {
  items = $state<BatchItem[]>([]);
  settings = $state<BatchSettings>(parseBatchSettings(storage()?.getItem(BATCH_SETTINGS_KEY) ?? null));
  /** The run loop is active (an item is running or about to start). */
  running = $state(false);
  /** Pause requested: the loop stops after the running item. */
  pausing = $state(false);
  /** Adding files (listing a folder, uploading): what is happening. */
  adding = $state<string | null>(null);
  /** The last problem adding files or starting (not a file's own failure). */
  error = $state<ErrorView | null>(null);
  /** Notes from the last add (skipped duplicates). */
  notice = $state<string | null>(null);
  /** Whether the Scene view shows the batch panel (kept here so it survives view switches). */
  shown = $state(false);
  /** Wall seconds of items finished in the current run (for the ETA). */
  runSeconds = $state<number[]>([]);
  /** performance.now() when the running item started. */
  itemStartedAt = $state<number | null>(null);
  /** Ticks every second while running so elapsed time and ETA refresh. */
  now = $state(performance.now());

  readonly counts = $derived(batchCounts(this.items.map((i) => i.state)));
  readonly current = $derived(this.items.find((i) => i.state === 'running') ?? null);

  private nextId = 1;
  private jobId: string | null = null;
  private cancelRequested = false;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly api: S5Bridge) {
    api.on('progress', (p) => this.onProgress(p));
  }

  /** Seconds left for the queued and running items; null until it can be estimated. */
  eta(): number | null {
    const cur = this.current;
    const running = cur && this.itemStartedAt !== null ? { elapsed: (this.now - this.itemStartedAt) / 1000, fraction: cur.fraction } : null;
    return batchEta(this.runSeconds, this.counts.queued, running);
  }

  saveSettings(patch: Partial<BatchSettings>): void {
    this.settings = { ...this.settings, ...patch };
    storage()?.setItem(BATCH_SETTINGS_KEY, JSON.stringify(this.settings));
  }

  /** Adds a file or every audio file of a folder (engine-side path). */
  async addPath(path: string): Promise<void> {
    const trimmed = path.trim();
    if (!trimmed) {
      this.error = { message: 'Type the path of an audio file or of a folder of recordings.' };
      return;
    }
    this.error = null;
    this.adding = `Listing ${baseName(trimmed)}`;
    try {
      const { files } = await this.api.sceneListAudio({ path: trimmed });
      this.queue(files.map((f) => ({ path: f, name: baseName(f) })));
    } catch (err) {
      this.error = toErrorView(err, trimmed);
    } finally {
      this.adding = null;
    }
  }

  /** Dropped or chosen files: their paths in Electron; uploaded with `importFile` in web mode. */
  async addFiles(files: ArrayLike<File>): Promise<void> {
    this.error = null;
    const list = Array.from(files);
    const entries: { path: string; name: string }[] = [];
    const failures: string[] = [];
    try {
      for (const [i, file] of list.entries()) {
        const local = this.api.pathForFile(file);
        if (local) {
          entries.push({ path: local, name: file.name });
          continue;
        }
        this.adding = `Uploading ${file.name} (${i + 1} of ${list.length})`;
        try {
          const data = new Uint8Array(await file.arrayBuffer());
          entries.push({ path: (await this.api.importFile({ name: file.name, data })).path, name: file.name });
        } catch (err) {
          failures.push(`${file.name}: ${toErrorView(err).message}`);
        }
      }
    } finally {
      this.adding = null;
    }
    this.queue(entries);
    if (failures.length) this.error = { message: `Could not add ${failures.length} file(s): ${failures.join('; ')}` };
  }

  /** Native dialog (Electron): one file, or a folder of recordings. */
  async browse(purpose: 'audio' | 'folder'): Promise<void> {
    try {
      const { path } = await this.api.pickFile({ purpose });
      if (path) await this.addPath(path);
    } catch (err) {
      this.error = toErrorView(err);
    }
  }

  /** Native folder dialog for the output folder (Electron). */
  async browseOutDir(): Promise<void> {
    try {
      const { path } = await this.api.pickFile({ purpose: 'folder' });
      if (path) this.saveSettings({ outDir: path });
    } catch (err) {
      this.error = toErrorView(err);
    }
  }

  remove(id: number): void {
    this.items = this.items.filter((i) => i.id !== id || i.state === 'running');
  }

  /** Puts a failed or cancelled item back in the queue. */
  retry(id: number): void {
    const item = this.items.find((i) => i.id === id);
    if (item && (item.state === 'failed' || item.state === 'cancelled')) Object.assign(item, { state: 'queued', error: null, fraction: null, stage: null });
  }

  /** Drops every item that reached an end state. */
  clearFinished(): void {
    this.items = this.items.filter((i) => i.state === 'queued' || i.state === 'running');
  }

  /** Runs the queued items one after another until none is left, Pause or Cancel. */
  async start(): Promise<void> {
    if (this.running) return;
    const outDir = this.settings.outDir.trim();
    if (!outDir) {
      this.error = { message: 'Choose an output folder first: each recording gets a folder with its stems and labels there.' };
      return;
    }
    if (this.counts.queued === 0) return;
    this.error = null;
    this.running = true;
    this.pausing = false;
    this.cancelRequested = false;
    this.runSeconds = [];
    this.timer = setInterval(() => (this.now = performance.now()), 1000);
    try {
      for (;;) {
        if (this.pausing || this.cancelRequested) break;
        const item = this.items.find((i) => i.state === 'queued');
        if (!item) break;
        await this.runOne(item, outDir, this.settings.format);
      }
    } finally {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      this.running = false;
      this.pausing = false;
      this.itemStartedAt = null;
    }
  }

  /** Stops after the running item finishes. */
  pauseAfterCurrent(): void {
    if (this.running) this.pausing = true;
  }

  /** Stops the running job now; the queued items stay queued. */
  async cancel(): Promise<void> {
    if (!this.running) return;
    this.cancelRequested = true;
    const job = this.jobId;
    if (job) await this.api.cancel({ jobId: job }).catch(() => undefined);
  }

  private queue(entries: { path: string; name: string }[]): void {
    const plan = planAdd(this.items.map((i) => i.path), entries.map((e) => e.path));
    const names = new Map(entries.map((e) => [e.path, e.name]));
    for (const p of plan.add) {
      this.items.push({
        id: this.nextId++, path: p, name: names.get(p) ?? baseName(p), state: 'queued',
        fraction: null, stage: null, labels: [], stems: 0, outDir: null, error: null, seconds: null,
      });
    }
    const notes: string[] = [];
    if (plan.already.length) notes.push(`${plan.already.length} already in the queue`);
    this.notice = notes.length ? `Added ${plan.add.length}; ${notes.join('; ')}.` : null;
    if (plan.clashes.length) {
      const c = plan.clashes[0];
      this.error = {
        message: `Not added: ${plan.clashes.length} file(s) with the same name as one in the queue (each recording writes to <output folder>/<name>/), e.g. ${c.path} and ${c.other}. Rename one or run them in separate batches.`,
        file: c.path,
      };
    }
  }

  private async runOne(item: BatchItem, outDir: string, format: StemFormat): Promise<void> {
    const jobId = `batch-${item.id}-${Date.now().toString(36)}`;
    this.jobId = jobId;
    Object.assign(item, { state: 'running', fraction: null, stage: null, error: null });
    const t0 = performance.now();
    this.itemStartedAt = t0;
    try {
      const result = await this.api.separate({ path: item.path, outDir, format, jobId });
      const seconds = (performance.now() - t0) / 1000;
      Object.assign(item, {
        state: 'done', fraction: 1, seconds, stems: result.stems.length, outDir: result.out_dir,
        labels: result.labels.map((l) => (l.count > 1 ? `${l.label} ×${l.count}` : l.label)),
      });
      this.runSeconds = [...this.runSeconds, seconds];
    } catch (err) {
      const view = toErrorView(err, item.path);
      const seconds = (performance.now() - t0) / 1000;
      if (view.code === 'cancelled') Object.assign(item, { state: 'cancelled', fraction: null, seconds });
      else {
        Object.assign(item, { state: 'failed', error: view, fraction: null, seconds });
        this.runSeconds = [...this.runSeconds, seconds];
      }
    } finally {
      this.jobId = null;
      this.itemStartedAt = null;
    }
  }

  private onProgress(p: S5EventPayload<'progress'>): void {
    if (!this.jobId || p.job !== this.jobId) return;
    const item = this.current;
    if (!item) return;
    item.fraction = p.total > 0 ? Math.min(1, p.done / p.total) : null;
    item.stage = p.stage || null;
  }
}
