/**
 * State of the Train view, one of the page's stores (lib/stores.ts) so a running run's curves
 * survive switching views: the doctor report, the run list, the selected run's loss/validation curves and log tail,
 * the data check, and the last error. Engine events (`trainRun`, `trainEvent`, `trainLog`) keep it
 * current; `trainGetRun` replays a run's events when it is selected.
 */
import type { S5Bridge } from '../../shared/api';
import {
  TrainArraySchema, type DataCheck, type TrainArray, type TrainDoctor, type TrainPretrainedCheck, type TrainRequest, type TrainRun, type TrainRunDetail,
} from '../../shared/api-train';
import { toErrorView, type ErrorView } from './errors';

const FORM_KEY = 's5.train.form';

export interface TrainForm {
  name: string;
  target: 'tagger' | 'separator' | 'both';
  /** 'm2dat': the official M2D-AT tagger recipe (ViT-Base; a GPU recipe). */
  size: 'tiny' | 'small-16k' | 'small-32k' | 'm2dat';
  task: 'dcase2025t4' | 'dcase2026t4';
  base: string; // 'scratch' | 'run:<id>' | 'file' | 'model:<registered model id>' | 'pretrained' (M2D-AT: the M2D encoder)
  baseFile: string;
  /** The M2D encoder file of the M2D-AT recipe; empty: the default place `<data>/pretrained/…`. */
  pretrainedFile: string;
  data: 'library' | 'folder' | 'dcase' | 'toy';
  dataPath: string;
  rooms: 'simulated' | 'folder';
  roomsPath: string;
  /** Microphone array of simulated rooms; sizes in millimetres as typed. */
  arrayKind: TrainArray['kind'];
  tetraRadiusMm: number;
  squareSideMm: number;
  /** Custom geometry: x1, y1, z1, …, x4, y4, z4 in mm (x front, y left, z up). */
  customMm: number[];
  budgetKind: 'steps' | 'minutes';
  steps: number;
  minutes: number;
  device: 'auto' | 'cpu' | 'cuda';
}

export const DEFAULT_FORM: TrainForm = {
  name: '', target: 'separator', size: 'small-16k', task: 'dcase2025t4', base: 'scratch', baseFile: '', pretrainedFile: '',
  data: 'library', dataPath: '', rooms: 'simulated', roomsPath: '',
  arrayKind: 'foa', tetraRadiusMm: 42, squareSideMm: 100, customMm: [50, 50, 0, -50, 50, 0, -50, -50, 0, 50, -50, 0],
  budgetKind: 'steps', steps: 5000, minutes: 30, device: 'auto',
};

/** True when the user never saved a form (a new run's defaults apply, e.g. the shipped base model). */
const FRESH_FORM = (() => {
  try {
    return localStorage.getItem(FORM_KEY) === null;
  } catch {
    return true;
  }
})();

/** A registered model that can be the base of a run (recovered from its ONNX by the engine). */
export interface BaseModelChoice {
  id: string;
  kind: 'tagger' | 'separator';
  source: 'shipped' | 'user';
}

/** Models offered under "Start from" for the form's target (one kind; not for 'both', 'tiny' or the M2D-AT recipe). */
export function baseModelChoices(f: TrainForm, models: BaseModelChoice[]): BaseModelChoice[] {
  if (f.target === 'both' || f.size === 'tiny' || f.size === 'm2dat') return [];
  return models.filter((m) => m.kind === f.target);
}

function loadForm(): TrainForm {
  try {
    const saved = { ...DEFAULT_FORM, ...(JSON.parse(localStorage.getItem(FORM_KEY) ?? '{}') as Partial<TrainForm>) };
    if (!Array.isArray(saved.customMm) || saved.customMm.length !== 12) saved.customMm = [...DEFAULT_FORM.customMm];
    return saved;
  } catch {
    return { ...DEFAULT_FORM };
  }
}

/** The array a form describes (metres), validated by the contract: the array, or the problems (one line each). */
export function formArray(f: TrainForm): { array: TrainArray | null; problems: string[] } {
  const m = (v: number) => Number(v) / 1000;
  const raw = f.arrayKind === 'tetra' ? { kind: 'tetra', radius_m: m(f.tetraRadiusMm) }
    : f.arrayKind === 'square' ? { kind: 'square', side_m: m(f.squareSideMm) }
    : f.arrayKind === 'custom' ? { kind: 'custom', positions_m: [0, 1, 2, 3].map((k) => [0, 1, 2].map((c) => m(f.customMm[k * 3 + c]))) }
    : { kind: 'foa' };
  const r = TrainArraySchema.safeParse(raw);
  return r.success ? { array: r.data, problems: [] } : { array: null, problems: [...new Set(r.error.issues.map((i) => i.message))] };
}

/** The contract's request for a form. */
export function toRequest(f: TrainForm): TrainRequest {
  const data: TrainRequest['data'] =
    f.data === 'toy' ? { source: 'toy' } : f.data === 'library' ? { source: 'library' } : { source: f.data, path: f.dataPath.trim() };
  return {
    ...(f.name.trim() ? { name: f.name.trim() } : {}),
    task: f.task,
    target: f.target,
    size: f.size,
    base: f.base === 'scratch' ? { from: 'scratch' }
      : f.base === 'pretrained' ? { from: 'pretrained', ...(f.pretrainedFile.trim() ? { path: f.pretrainedFile.trim() } : {}) }
      : f.base === 'file' ? { from: 'file', path: f.baseFile.trim() }
      : f.base.startsWith('model:') ? { from: 'model', id: f.base.slice(6) }
      : { from: 'run', run: f.base.slice(4) },
    data,
    rooms: f.rooms === 'simulated' ? { source: 'simulated', array: formArray(f).array ?? { kind: 'foa' } } : { source: 'folder', path: f.roomsPath.trim() },
    budget: f.budgetKind === 'steps' ? { kind: 'steps', steps: Math.max(1, Math.round(f.steps)) } : { kind: 'minutes', minutes: Math.max(0.1, f.minutes) },
    device: f.device,
  };
}

export class TrainStore {
  doctor = $state<TrainDoctor | null>(null);
  doctorBusy = $state(false);
  runs = $state<TrainRun[]>([]);
  selected = $state<string | null>(null);
  detail = $state.raw<TrainRunDetail | null>(null);
  /** Bumped when the selected run's curves change (the chart redraws). */
  curveVersion = $state(0);
  log = $state<string[]>([]);
  check = $state<DataCheck | null>(null);
  /** The M2D-AT recipe's encoder file as the trainer's check found it (for the form's current file). */
  pretrained = $state<TrainPretrainedCheck | null>(null);
  pretrainedBusy = $state(false);
  pretrainedError = $state<string | null>(null);
  error = $state<ErrorView | null>(null);
  busy = $state(false);
  form = $state<TrainForm>(loadForm());
  command = $state<string | null>(null);
  /** The run a start or import just added: the view scrolls it into sight. */
  revealRun = $state<string | null>(null);
  /** Valid registered models (shipped first), for "Start from". */
  models = $state<BaseModelChoice[]>([]);
  private started: Promise<void> | null = null;
  private pretrainedSeq = 0;

  selectedRun = $derived(this.runs.find((r) => r.id === this.selected) ?? null);

  constructor(private readonly api: S5Bridge) {}

  /** Connects once per page: subscribes to the engine's events, reads doctor and runs. */
  init(): Promise<void> {
    this.started ??= (async () => {
      const api = this.api;
      api.on('trainRun', ({ run }) => this.upsert(run));
      api.on('trainEvent', ({ run, event }) => {
        if (run !== this.selected || !this.detail) return;
        const d = this.detail;
        if (event.event === 'progress') d.loss.push({ step: event.step, loss: event.loss });
        else if (event.event === 'validation') {
          d.validation.push({ step: event.step, ca_sdri: event.ca_sdri, system_ca_sdri: event.system_ca_sdri, label_accuracy: event.label_accuracy, loss: event.loss });
        } else if (event.event === 'started') {
          d.loss = d.loss.filter((p) => p.step <= event.step);
          d.validation = d.validation.filter((p) => p.step <= event.step);
        } else return;
        this.curveVersion++;
      });
      api.on('trainLog', ({ run, lines }) => {
        if (run === this.selected) this.log = [...this.log, ...lines].slice(-200);
      });
      await Promise.all([this.refreshDoctor(), this.refreshRuns(), this.refreshModels()]);
    })();
    return this.started;
  }

  private upsert(run: TrainRun): void {
    const i = this.runs.findIndex((r) => r.id === run.id);
    if (i >= 0) this.runs[i] = run;
    else this.runs = [run, ...this.runs];
  }

  private async guard<T>(f: () => Promise<T>): Promise<T | undefined> {
    this.error = null;
    try {
      return await f();
    } catch (err) {
      this.error = toErrorView(err);
      return undefined;
    }
  }

  async refreshDoctor(): Promise<void> {
    if (!this.api) return;
    this.doctorBusy = true;
    await this.guard(async () => {
      this.doctor = await this.api.trainDoctor({});
    });
    this.doctorBusy = false;
  }

  async setPython(python: string | null): Promise<void> {
    this.doctorBusy = true;
    await this.guard(async () => {
      this.doctor = await this.api.trainSetPython({ python });
    });
    this.doctorBusy = false;
  }

  /** Registered models; a new form starts from the shipped default of its kind. */
  async refreshModels(): Promise<void> {
    await this.guard(async () => {
      const { models } = await this.api.listModels({});
      this.models = models
        .filter((m) => m.valid && m.kind !== null)
        .map((m) => ({ id: m.id, kind: m.kind!, source: m.source }))
        .sort((a, b) => (a.source === b.source ? a.id.localeCompare(b.id) : a.source === 'shipped' ? -1 : 1));
      if (FRESH_FORM && this.form.base === 'scratch') {
        const shipped = baseModelChoices(this.form, this.models).find((m) => m.source === 'shipped');
        if (shipped) this.form.base = `model:${shipped.id}`;
      }
    });
  }

  async refreshRuns(): Promise<void> {
    await this.guard(async () => {
      const { runs } = await this.api.trainList({});
      this.runs = runs;
      if (!this.selected && runs.length) await this.select(runs[0].id);
    });
  }

  async select(id: string): Promise<void> {
    this.selected = id;
    await this.guard(async () => {
      const detail = await this.api.trainGetRun({ id });
      if (this.selected !== id) return;
      this.detail = detail;
      this.log = detail.log;
      this.upsert(detail.run);
      this.curveVersion++;
    });
  }

  saveForm(): void {
    localStorage.setItem(FORM_KEY, JSON.stringify(this.form));
  }

  async checkData(): Promise<DataCheck | undefined> {
    const req = toRequest(this.form);
    return this.guard(async () => {
      this.check = await this.api.trainCheckData({ data: req.data, task: req.task, rooms: req.rooms });
      return this.check;
    });
  }

  /**
   * Checks the M2D encoder the form names (its own field, else the default place) with the
   * trainer's check. Its failures stay beside the field (`pretrainedError`), not in the banner.
   */
  async checkPretrained(): Promise<TrainPretrainedCheck | null> {
    const path = this.form.pretrainedFile.trim();
    const seq = ++this.pretrainedSeq; // only the newest check updates the view
    this.pretrainedBusy = true;
    try {
      const res = await this.api.trainCheckPretrained(path ? { path } : {});
      if (seq === this.pretrainedSeq) {
        this.pretrained = res;
        this.pretrainedError = null;
      }
      return res;
    } catch (err) {
      if (seq === this.pretrainedSeq) this.pretrainedError = toErrorView(err).message;
      return null;
    } finally {
      if (seq === this.pretrainedSeq) this.pretrainedBusy = false;
    }
  }

  async start(): Promise<void> {
    this.saveForm();
    const arrayProblems = this.form.rooms === 'simulated' ? formArray(this.form).problems : [];
    if (arrayProblems.length) {
      this.error = { message: `fix the microphone array first: ${arrayProblems.join('; ')}` };
      return;
    }
    this.busy = true;
    try {
      const check = await this.checkData();
      if (!check || !check.ok) return;
      const res = await this.guard(() => this.api.trainStart(toRequest(this.form)));
      if (!res && this.form.size === 'm2dat' && this.form.base === 'pretrained') {
        // The engine checked the encoder and refused: show what it found beside the field too.
        await this.checkPretrained();
      }
      if (res) {
        for (const r of [...res.runs].reverse()) this.upsert(r);
        await this.select(res.runs[0].id);
        this.revealRun = res.runs[0].id;
      }
    } finally {
      this.busy = false;
    }
  }

  async cancel(): Promise<void> {
    if (this.selected) await this.guard(() => this.api.trainCancel({ id: this.selected! }));
  }

  async resume(): Promise<void> {
    if (!this.selected) return;
    const res = await this.guard(() => this.api.trainResume({ id: this.selected! }));
    if (res) this.upsert(res.run);
  }

  async activate(): Promise<string | null> {
    if (!this.selected) return null;
    const res = await this.guard(() => this.api.trainActivate({ id: this.selected! }));
    return res ? [res.tagger, res.separator].filter(Boolean).join(' + ') : null;
  }

  async showCommand(gpus: number): Promise<void> {
    const res = await this.guard(() => this.api.trainCommand({ request: toRequest(this.form), gpusPerNode: gpus }));
    if (res) this.command = `# config.json:\n${res.configJson}\n\n${res.command}`;
  }

  async importRun(path: string): Promise<void> {
    const res = await this.guard(() => this.api.trainImport({ path }));
    if (res) {
      this.upsert(res.run);
      await this.select(res.run.id);
      this.revealRun = res.run.id;
    }
  }
}
