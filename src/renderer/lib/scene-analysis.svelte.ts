/**
 * State of one analysis in the Scene view, kept outside the components (it survives view
 * switches): the engine call with progress, elapsed time and cancel; the timeline as windows
 * arrive (`sceneWindow` events); the result; the stems' PCM fetched from the engine's cache and
 * each stem class's activity measured from it (the label timeline's short cells); the per-stem
 * controls; playback through the Audition graph; spectrograms; export.
 */
import type { S5Bridge } from '../../shared/api';
import type { SceneAnalysis, SceneExportRequest, SceneExportResult, SceneSource, SceneSpectrogram, SceneWindowEvent } from '../../shared/api-scene';
import { SCENE_AUDIO_MAX_FRAMES } from '../../shared/api-scene';
import type { ChannelFormat } from '../../shared/audio';
import type { S5Label } from '../../shared/labels';
import type { SeparationMode, TimelineEntry } from '../../shared/result';
import { Audition, type ListenMode, type StemControl } from './audition';
import { stemActivity, type StemActivity, type Thresholds } from './scene-timeline';
import { toErrorView, type ErrorView } from './errors';

export type AnalysisStatus = 'idle' | 'running' | 'loading-audio' | 'ready' | 'failed' | 'cancelled';

const SETTINGS_KEY = 's5.scene.settings';

export interface SceneSettings {
  exportDir: string;
  exportFormat: 'wav16' | 'wav24' | 'f32' | 'flac';
  exportNaming: 'label' | 'dcase';
  listenMode: ListenMode;
  showAllLabels: boolean;
  /** 'fast': the tagger's classes; 'accurate': also the classes the verifier finds (slower). */
  separationMode: SeparationMode;
}

function loadSettings(): SceneSettings {
  const defaults: SceneSettings = { exportDir: '', exportFormat: 'wav16', exportNaming: 'label', listenMode: 'mixture', showAllLabels: false, separationMode: 'fast' };
  try {
    return { ...defaults, ...(JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}') as Partial<SceneSettings>) };
  } catch {
    return defaults;
  }
}

let jobCounter = 0;

export class AnalysisState {
  status = $state<AnalysisStatus>('idle');
  error = $state<ErrorView | null>(null);
  /** Path being (or last) analysed. */
  path = $state<string | null>(null);
  startedAt = $state(0);
  finishedAt = $state(0);
  done = $state(0);
  total = $state(0);
  /** Timeline so far (window by window while running, then the result's). */
  timeline = $state.raw<TimelineEntry[]>([]);
  timelineLabels = $state.raw<string[]>([]);
  analysis = $state.raw<SceneAnalysis | null>(null);
  /** One per stem of the result, in its order. */
  controls = $state<StemControl[]>([]);
  stemPcm = $state.raw<Float32Array[]>([]);
  mixturePcm = $state.raw<Float32Array[]>([]);
  /** Per stem class: presence in short cells, from the stems' and the mixture's PCM (null until loaded). */
  activity = $state.raw<StemActivity | null>(null);
  settings = $state<SceneSettings>(loadSettings());
  playing = $state(false);
  position = $state(0);
  loop = $state<{ start: number; end: number } | null>(null);
  headYaw = $state(0);
  /** RMS of the audio output right now, linear. */
  outputRms = $state(0);
  spectrograms = $state.raw<Map<string, SceneSpectrogram>>(new Map());
  /** The decision rule of the tagger that made the timeline (from its manifest via listModels). */
  rule = $state.raw<Thresholds>({ threshold: 0.5 });
  /** Id of the tagger `rule` came from (null: not known yet). */
  ruleModel = $state<string | null>(null);
  /** The active stem verifier (null: none; accurate mode needs one). */
  verifier = $state<string | null>(null);
  /** "Separate another class…" / a stem's removal in progress (what is being done), null when idle. */
  stemEdit = $state<{ kind: 'add' | 'remove'; label: string; done: number; total: number } | null>(null);
  /** Export in progress: files done of total, the file being written, when it started. */
  exportProgress = $state<{ jobId: string; done: number; total: number; file: string; startedAt: number } | null>(null);

  private jobId: string | null = null;
  private stemJob: string | null = null;
  private ruleToken = 0;
  private audition: Audition | null = null;
  private raf = 0;

  /** Reads the active models (the verifier decides whether accurate mode is offered). */
  refreshModels(): Promise<void> {
    return this.loadRule(null);
  }

  setSeparationMode(mode: SeparationMode): void {
    this.settings.separationMode = mode;
    this.saveSettings();
  }

  constructor(private readonly api: S5Bridge) {
    api.on('sceneWindow', (e) => this.onWindow(e));
    api.on('progress', (p) => {
      if (p.job && p.job === this.jobId && p.task === 'separate') {
        this.done = p.done;
        this.total = p.total;
      } else if (p.job && p.job === this.stemJob && this.stemEdit && p.task === 'separate') {
        this.stemEdit = { ...this.stemEdit, done: p.done, total: p.total };
      } else if (p.task === 'export' && p.job && this.exportProgress?.jobId === p.job) {
        this.exportProgress = { ...this.exportProgress, done: p.done, total: p.total, file: p.stage };
      }
    });
  }

  get duration(): number {
    return this.analysis ? this.analysis.frames / this.analysis.rate : 0;
  }

  saveSettings(): void {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(this.settings));
  }

  private onWindow(e: SceneWindowEvent): void {
    if (!e.job || e.job !== this.jobId) return;
    this.timelineLabels = e.timeline_labels;
    this.timeline = [...this.timeline, e.entry];
    this.total = Math.max(this.total, e.total);
  }

  async analyse(path: string, channelFormat?: ChannelFormat): Promise<void> {
    if (this.status === 'running' || this.status === 'loading-audio') return;
    await this.release();
    const jobId = `scene-${Date.now().toString(36)}-${++jobCounter}`;
    this.jobId = jobId;
    this.path = path;
    this.status = 'running';
    this.error = null;
    this.timeline = [];
    this.done = 0;
    this.total = 0;
    this.startedAt = performance.now();
    const rule = this.loadRule(null);
    try {
      await rule;
      const mode = this.settings.separationMode === 'accurate' && this.verifier ? 'accurate' : 'fast';
      const a = await this.api.sceneAnalyse({ path, jobId, mode, ...(channelFormat ? { channelFormat } : {}) });
      if (this.jobId !== jobId) return;
      this.analysis = a;
      this.timeline = a.result.timeline;
      this.timelineLabels = a.result.timeline_labels;
      this.controls = a.result.stems.map(() => ({ gainDb: 0, mute: false, solo: false }));
      if (a.result.models.tagger.id !== this.ruleModel) void this.loadRule(a.result.models.tagger.id);
      this.finishedAt = performance.now();
      this.status = 'loading-audio';
      await this.loadAudio(a);
      if (this.jobId === jobId) this.status = 'ready';
    } catch (err) {
      if (this.jobId !== jobId) return;
      const view = toErrorView(err, path);
      this.status = view.code === 'cancelled' ? 'cancelled' : 'failed';
      if (view.code !== 'cancelled') this.error = view;
    }
  }

  /**
   * Reads the decision rule of tagger `id` (null: the active one) from the model library; keeps
   * the previous rule when the library cannot be read (the timeline still works at 0.5).
   */
  private async loadRule(id: string | null): Promise<void> {
    const token = ++this.ruleToken;
    try {
      const list = await this.api.listModels({});
      this.verifier = list.active.verifier ?? null;
      const want = id ?? list.active.tagger;
      const m = list.models.find((x) => x.id === want && x.kind === 'tagger' && x.decision);
      // The newest request wins (the result's own tagger is asked for after the active one).
      if (m?.decision && token === this.ruleToken) {
        this.rule = { threshold: m.decision.threshold, thresholds: m.decision.thresholds };
        this.ruleModel = m.id;
      }
    } catch {
      // The listing is a nicety here; analysis errors are reported by analyse().
    }
  }

  async cancel(): Promise<void> {
    if (this.jobId && this.status === 'running') await this.api.cancel({ jobId: this.jobId });
  }

  /**
   * "Separate another class…": the engine separates `label` over the cached mixture; the new stem
   * (user-chosen) joins the strips, the direction map, playback and export.
   */
  async addStem(label: S5Label): Promise<void> {
    const a = this.analysis;
    if (!a || this.stemEdit || this.status !== 'ready') return;
    const jobId = `stem-${Date.now().toString(36)}-${++jobCounter}`;
    this.stemJob = jobId;
    this.stemEdit = { kind: 'add', label, done: 0, total: 0 };
    this.error = null;
    try {
      const next = await this.api.sceneAddStem({ analysisId: a.analysisId, label, jobId });
      if (this.analysis?.analysisId !== a.analysisId) return;
      const added = next.result.stems.filter((s) => !a.result.stems.some((o) => o.name === s.name));
      const pcm = [...this.stemPcm];
      for (const s of added) pcm.push((await this.fetchPcm(next, { kind: 'stem', name: s.name }))[0]);
      this.controls = [...this.controls, ...added.map(() => ({ gainDb: 0, mute: false, solo: false }))];
      await this.swapStems(next, pcm);
    } catch (err) {
      const view = toErrorView(err);
      if (view.code !== 'cancelled') this.error = view;
    } finally {
      this.stemEdit = null;
      this.stemJob = null;
    }
  }

  /** Removes a stem from the analysis (view, playback and export); "Separate another class…" brings it back. */
  async removeStem(name: string): Promise<void> {
    const a = this.analysis;
    if (!a || this.stemEdit || this.status !== 'ready') return;
    const i = a.result.stems.findIndex((s) => s.name === name);
    if (i < 0) return;
    this.stemEdit = { kind: 'remove', label: name, done: 0, total: 0 };
    this.error = null;
    try {
      const next = await this.api.sceneRemoveStem({ analysisId: a.analysisId, name });
      if (this.analysis?.analysisId !== a.analysisId) return;
      this.controls = this.controls.filter((_, k) => k !== i);
      const spectrograms = new Map(this.spectrograms);
      spectrograms.delete(`${a.analysisId}:${name}`);
      this.spectrograms = spectrograms;
      await this.swapStems(next, this.stemPcm.filter((_, k) => k !== i));
    } catch (err) {
      this.error = toErrorView(err);
    } finally {
      this.stemEdit = null;
    }
  }

  /** Takes an analysis with a changed stem list: reloads the audition graph, keeping position and mode. */
  private async swapStems(next: SceneAnalysis, pcm: Float32Array[]): Promise<void> {
    const position = this.position;
    const wasPlaying = this.playing;
    this.pause();
    this.analysis = next;
    this.stemPcm = pcm;
    this.activity = this.measureActivity(next, pcm, this.mixturePcm);
    if (!this.audition) return;
    await this.audition.load({
      rate: next.rate,
      mixture: this.mixturePcm,
      stems: next.result.stems.map((s, k) => ({
        name: s.name, pcm: pcm[k], azimuthDeg: s.direction?.azimuth_deg ?? null, elevationDeg: s.direction?.elevation_deg ?? null,
      })),
    });
    this.audition.setMode(this.settings.listenMode);
    this.audition.setStemControls(this.controls);
    this.audition.setHeadYaw(this.headYaw);
    this.audition.setLoop(this.loop);
    this.seek(position);
    if (wasPlaying) await this.play();
  }

  /** Fetches planar PCM of a source in pieces of at most SCENE_AUDIO_MAX_FRAMES. */
  private async fetchPcm(a: SceneAnalysis, source: SceneSource): Promise<Float32Array[]> {
    let out: Float32Array[] = [];
    for (let start = 0; start < a.frames || start === 0; start += SCENE_AUDIO_MAX_FRAMES) {
      const piece = await this.api.sceneAudio({ analysisId: a.analysisId, source, start, frames: SCENE_AUDIO_MAX_FRAMES });
      if (start === 0) out = piece.data.map(() => new Float32Array(piece.totalFrames));
      piece.data.forEach((c, i) => out[i].set(c, start));
      if (piece.frames === 0) break;
    }
    return out;
  }

  private async loadAudio(a: SceneAnalysis): Promise<void> {
    const mixture = await this.fetchPcm(a, { kind: 'mixture' });
    const stems: Float32Array[] = [];
    for (const s of a.result.stems) stems.push((await this.fetchPcm(a, { kind: 'stem', name: s.name }))[0]);
    this.mixturePcm = mixture;
    this.stemPcm = stems;
    this.activity = this.measureActivity(a, stems, mixture);
    this.audition ??= new Audition();
    await this.audition.load({
      rate: a.rate,
      mixture,
      stems: a.result.stems.map((s, i) => ({
        name: s.name, pcm: stems[i], azimuthDeg: s.direction?.azimuth_deg ?? null, elevationDeg: s.direction?.elevation_deg ?? null,
      })),
    });
    this.audition.setMode(this.settings.listenMode);
    this.audition.setStemControls(this.controls);
    this.audition.setHeadYaw(this.headYaw);
    this.position = 0;
    this.startMeter();
  }

  /** Each stem class's activity (scene-timeline.ts `stemActivity`); null without a mixture. */
  private measureActivity(a: SceneAnalysis, stems: Float32Array[], mixture: Float32Array[]): StemActivity | null {
    if (!mixture[0]?.length) return null;
    return stemActivity(a.result.stems.map((s, i) => ({ label: s.label, pcm: stems[i] ?? new Float32Array(0) })), mixture[0], a.rate);
  }

  /** Polls the transport position and the output level once per frame while a scene is loaded. */
  private startMeter(): void {
    cancelAnimationFrame(this.raf);
    const tick = () => {
      const au = this.audition;
      if (!au) return;
      if (au.playing && !this.loop && au.position >= au.duration) {
        au.pause();
        au.seek(0);
      }
      this.playing = au.playing;
      this.position = au.position;
      this.outputRms = au.outputRms();
      this.raf = requestAnimationFrame(tick);
    };
    this.raf = requestAnimationFrame(tick);
  }

  async play(): Promise<void> {
    await this.audition?.play();
    this.playing = true;
  }
  pause(): void {
    this.audition?.pause();
    this.playing = false;
  }
  toggle(): Promise<void> | void {
    return this.playing ? this.pause() : this.play();
  }
  seek(t: number): void {
    this.audition?.seek(t);
    this.position = Math.min(Math.max(0, t), this.duration);
  }
  setLoop(region: { start: number; end: number } | null): void {
    this.loop = region;
    this.audition?.setLoop(region);
  }
  setMode(mode: ListenMode): void {
    this.settings.listenMode = mode;
    this.saveSettings();
    this.audition?.setMode(mode);
  }
  setHeadYaw(deg: number): void {
    this.headYaw = ((deg + 540) % 360) - 180;
    this.audition?.setHeadYaw(this.headYaw);
  }
  updateControl(i: number, patch: Partial<StemControl>): void {
    this.controls[i] = { ...this.controls[i], ...patch };
    this.audition?.setStemControls(this.controls);
  }

  async spectrogram(source: SceneSource): Promise<SceneSpectrogram | null> {
    const a = this.analysis;
    if (!a) return null;
    const key = `${a.analysisId}:${source.kind === 'stem' ? source.name : '#mixture'}`;
    const have = this.spectrograms.get(key);
    if (have) return have;
    const s = await this.api.sceneSpectrogram({ analysisId: a.analysisId, source, fftSize: 512, maxColumns: 2048 });
    this.spectrograms = new Map(this.spectrograms).set(key, s);
    return s;
  }

  /** Exports with progress (`exportProgress`, from the engine's `progress` events) and cancel (`cancelExport`). */
  async export(req: Omit<SceneExportRequest, 'analysisId' | 'jobId'>): Promise<SceneExportResult> {
    if (!this.analysis) throw new Error('nothing analysed yet');
    const jobId = `export-${Date.now().toString(36)}-${++jobCounter}`;
    this.exportProgress = { jobId, done: 0, total: 0, file: '', startedAt: performance.now() };
    try {
      return await this.api.sceneExport({ ...req, analysisId: this.analysis.analysisId, jobId });
    } finally {
      if (this.exportProgress?.jobId === jobId) this.exportProgress = null;
    }
  }

  /** Stops the running export; files already written stay, the one being written is never left half-done. */
  async cancelExport(): Promise<void> {
    const job = this.exportProgress?.jobId;
    if (job) await this.api.cancel({ jobId: job });
  }

  /** Forgets the current analysis (engine cache included) and stops playback. */
  async release(): Promise<void> {
    const a = this.analysis;
    if (this.jobId && this.status === 'running') void this.api.cancel({ jobId: this.jobId }).catch(() => undefined);
    this.jobId = null;
    this.timeline = [];
    this.analysis = null;
    this.stemPcm = [];
    this.mixturePcm = [];
    this.activity = null;
    this.controls = [];
    this.spectrograms = new Map();
    this.audition?.unload();
    this.playing = false;
    this.position = 0;
    this.loop = null;
    this.status = 'idle';
    if (a) await this.api.sceneRelease({ analysisId: a.analysisId }).catch(() => undefined);
  }
}
