/**
 * What a run leaves behind: its exported model registered in the model library (marked as an
 * array model first when it was trained on a custom array), and run folders made elsewhere
 * (`s5trainer train --workdir`, e.g. with torchrun on a cluster) turned into run records.
 */
import { TrainRequestSchema, type TrainRun } from '../../shared/api-train';
import type { TrainerEvent } from '../../shared/trainer-events';
import type { ModelRegistry } from '../models/registry';
import { isArrayRooms, markArrayModel } from './array-bank';
import { replay, type RunRecord } from './store';

/** Registers the export of a finished run (sets `model_id`); answers the sentence for the run's message. */
export async function registerExport(registry: ModelRegistry, rec: RunRecord, exported: string | null): Promise<string> {
  if (!exported) return 'no exported model (export.on_finish was off)';
  try {
    const req = rec.run.request ? TrainRequestSchema.safeParse(rec.run.request) : null;
    if (req?.success && isArrayRooms(req.data.rooms)) await markArrayModel(exported, req.data.rooms.array);
    const entry = await registry.importModel(exported, { force: true });
    rec.run.model_id = entry.manifest?.id ?? entry.id;
    return `model '${rec.run.model_id}' added to the model library`;
  } catch (e) {
    return `the exported model could not be registered: ${(e as Error).message}`;
  }
}

/**
 * The record of a run folder made elsewhere (`s5trainer train --workdir`, e.g. with torchrun on a
 * cluster), rebuilt from its events; its id comes from the trainer's run name, made unique.
 */
export function importedRecord(dir: string, events: TrainerEvent[], taken: (id: string) => boolean, at: string): RunRecord {
  const started = events.find((e): e is Extract<TrainerEvent, { event: 'started' }> => e.event === 'started');
  const id = (events[0].run.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'imported').slice(0, 56);
  let unique = id;
  for (let k = 2; taken(unique); k++) unique = `${id}-${k}`;
  const run: TrainRun = {
    id: unique, name: events[0].run, dir, kind: started?.kind ?? 'separator', status: 'interrupted', message: null, created: events[0].time, updated: at,
    step: 0, total: started?.total ?? 0, checkpoint_step: null, loss: null, samples_per_s: null, eta_s: null, device: started?.device ?? null,
    resumable: false, model_id: null, metrics: null, base: { label: 'imported run', metrics: null }, origin: 'imported', request: null, deadline: null,
  };
  return { run: replay(run, events), pid: null, phase: null, python: null, group: null, elapsed_ms: 0, prepare: [], prepared: true };
}
