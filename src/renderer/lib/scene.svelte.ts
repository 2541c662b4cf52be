/**
 * State of the Scene view: the open recording, the busy state while opening, the last error and
 * the recent-files list. One of the page's stores (lib/stores.ts), so switching views keeps the file open.
 */
import type { OpenAudioResult, S5Bridge, S5EventPayload } from '../../shared/api';
import type { ChannelFormat } from '../../shared/audio';
import { toErrorView, type ErrorView } from './errors';
import { baseName } from './format';
import { loadDeclared, loadRecent, saveDeclared, saveRecent, withDeclared, withRecent, type DeclaredFormats } from './recent';
import { AnalysisState } from './scene-analysis.svelte';

export interface BusyState {
  /** What is happening, e.g. "Opening room_1.wav". */
  label: string;
  /** 0..1 when the engine reports progress, else null (indeterminate). */
  fraction: number | null;
  stage: string | null;
}

/** Overview resolution: about one bucket per device pixel of a wide screen, within the contract's range. */
function overviewBuckets(): number {
  const px = Math.round((window.screen?.width || 1920) * (window.devicePixelRatio || 1));
  return Math.min(8192, Math.max(1024, px));
}

export class SceneState {
  /** The open file. Raw: the typed arrays inside are never mutated, so no deep proxy. */
  result = $state.raw<OpenAudioResult | null>(null);
  busy = $state<BusyState | null>(null);
  error = $state<ErrorView | null>(null);
  recent = $state<string[]>(loadRecent());
  /** Channel formats the user declared, per file: reopening a file reads it the same way. */
  private declared: DeclaredFormats = loadDeclared();

  /** Bumped on every request so a slow, superseded open cannot overwrite a newer one. */
  private ticket = 0;

  /** The analysis of the open file (results, audition, export). */
  readonly analysis: AnalysisState;

  constructor(private readonly api: S5Bridge) {
    this.analysis = new AnalysisState(api);
  }

  /**
   * Opens `path`; `channelFormat` declares the format (the picker) and is remembered for the file.
   * Omitted: the format declared for this file before, else the engine assumes one.
   */
  async open(path: string, channelFormat?: ChannelFormat): Promise<void> {
    const trimmed = path.trim();
    if (!trimmed) {
      this.error = { message: 'Type the path of an audio file, or drop a file here.' };
      return;
    }
    const ticket = ++this.ticket;
    this.error = null;
    this.busy = { label: `Opening ${baseName(trimmed)}`, fraction: null, stage: null };
    const remembered = channelFormat ? undefined : this.declared[trimmed];
    const request = (format: ChannelFormat | undefined) =>
      this.api.openAudio({ path: trimmed, overviewBuckets: overviewBuckets(), ...(format ? { channelFormat: format } : {}) });
    try {
      let result: OpenAudioResult;
      try {
        result = await request(channelFormat ?? remembered);
      } catch (err) {
        // A remembered declaration that no longer fits the file (it was replaced by one with
        // another channel count): forget it and let the engine assume, as for a new file.
        if (!remembered || toErrorView(err).code !== 'bad_input' || ticket !== this.ticket) throw err;
        this.rememberDeclared(trimmed, null);
        result = await request(undefined);
      }
      if (ticket !== this.ticket) return;
      if (this.analysis.path !== (result.info.path || trimmed) || this.result?.info.channelFormat !== result.info.channelFormat) void this.analysis.release();
      this.result = result;
      this.remember(result.info.path || trimmed);
      if (channelFormat && result.info.channelFormatDeclared) this.rememberDeclared(result.info.path || trimmed, channelFormat);
    } catch (err) {
      if (ticket !== this.ticket) return;
      this.error = toErrorView(err, trimmed);
    } finally {
      if (ticket === this.ticket) this.busy = null;
    }
  }

  private rememberDeclared(path: string, format: ChannelFormat | null): void {
    this.declared = withDeclared(this.declared, path, format);
    saveDeclared(this.declared);
  }

  /** Re-opens the current file with a declared channel format. */
  async declareFormat(format: ChannelFormat): Promise<void> {
    const current = this.result?.info;
    if (!current || format === current.channelFormat) return;
    await this.open(current.path, format);
  }

  /**
   * A file from drag-and-drop or the file chooser. In Electron it has a real path; in web mode the
   * page only has the bytes, which are uploaded to the engine first.
   */
  async openDropped(file: File): Promise<void> {
    const path = this.api.pathForFile(file);
    if (path) return this.open(path);
    const ticket = ++this.ticket;
    this.error = null;
    this.busy = { label: `Uploading ${file.name}`, fraction: null, stage: null };
    let imported: string;
    try {
      const data = new Uint8Array(await file.arrayBuffer());
      imported = (await this.api.importFile({ name: file.name, data })).path;
    } catch (err) {
      if (ticket === this.ticket) {
        this.error = toErrorView(err, file.name);
        this.busy = null;
      }
      return;
    }
    if (ticket !== this.ticket) return;
    await this.open(imported);
  }

  /** Native open dialog (Electron); resolves false when there is none or the user cancelled. */
  async browse(): Promise<boolean> {
    try {
      const { path } = await this.api.pickFile({ purpose: 'audio' });
      if (!path) return false;
      await this.open(path);
      return true;
    } catch (err) {
      this.error = toErrorView(err);
      return false;
    }
  }

  /** Engine progress events; shown only while something is being opened. */
  onProgress(p: S5EventPayload<'progress'>): void {
    if (!this.busy) return;
    this.busy = {
      ...this.busy,
      fraction: p.total > 0 ? Math.min(1, p.done / p.total) : null,
      stage: p.stage || null,
    };
  }

  dismissError(): void {
    this.error = null;
  }

  forget(path: string): void {
    this.recent = this.recent.filter((p) => p !== path);
    saveRecent(this.recent);
  }

  clearRecent(): void {
    this.recent = [];
    saveRecent(this.recent);
  }

  private remember(path: string): void {
    this.recent = withRecent(this.recent, path);
    saveRecent(this.recent);
  }
}
