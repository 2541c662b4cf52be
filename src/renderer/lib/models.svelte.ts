/**
 * State of the Models view: the registry listing, the doctor report, and the actions (activate a
 * tagger + separator pair and a stem verifier or none, import a model folder, remove a user model)
 * with their errors.
 */
import type { DoctorReport, ListModelsResult, S5Bridge } from '../../shared/api';
import { toErrorView, type ErrorView } from './errors';

export class ModelsState {
  list = $state.raw<ListModelsResult | null>(null);
  doctor = $state.raw<DoctorReport | null>(null);
  busy = $state<string | null>(null);
  error = $state<ErrorView | null>(null);
  notice = $state<string | null>(null);

  constructor(private readonly api: S5Bridge) {}

  async refresh(): Promise<void> {
    await this.run('Reading the model library', async () => {
      this.list = await this.api.listModels({});
    });
  }

  async loadDoctor(): Promise<void> {
    await this.run('Checking ONNX Runtime and providers', async () => {
      this.doctor = await this.api.doctor({});
    });
  }

  /** `verifier`: an id, null for none, undefined to leave it as it is. */
  async activate(ids: string[], verifier?: string | null): Promise<void> {
    await this.run('Activating', async () => {
      const a = await this.api.activateModels({ ids, ...(verifier !== undefined ? { verifier } : {}) });
      this.notice = `Active: ${a.tagger ?? '—'} + ${a.separator ?? '—'}${a.verifier ? `, verifier ${a.verifier}` : ', no verifier'}`;
      this.list = await this.api.listModels({});
    });
  }

  async importFolder(path: string, force = false): Promise<void> {
    await this.run('Importing', async () => {
      const { model } = await this.api.importModel({ path, force });
      this.notice = `Imported ${model.id}${model.valid ? '' : ' (refused: see its errors)'}`;
      this.list = await this.api.listModels({});
    }, path);
  }

  async remove(id: string): Promise<void> {
    await this.run(`Removing ${id}`, async () => {
      await this.api.removeModel({ id });
      this.notice = `Removed ${id}`;
      this.list = await this.api.listModels({});
    });
  }

  private async run(label: string, fn: () => Promise<void>, file?: string): Promise<void> {
    this.busy = label;
    this.error = null;
    try {
      await fn();
    } catch (err) {
      this.error = toErrorView(err, file);
    } finally {
      this.busy = null;
    }
  }
}
