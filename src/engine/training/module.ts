/**
 * The engine's training workflow (issue #8): serves the `train*` methods of api-train.ts with one
 * TrainingManager over `<data>/runs`, and stops active trainers (they checkpoint) on shutdown.
 */
import type { EngineContext, EngineModule } from '../context';
import { dataDir } from '../settings/paths';
import { TrainingManager } from './manager';

export function trainingModule(ctx: EngineContext, opts: { dataDir?: string } = {}): EngineModule {
  const manager = new TrainingManager({
    dataDir: opts.dataDir ?? dataDir(),
    registry: () => ctx.runtime().registry,
    emit: (event, payload) => ctx.emit(event, payload),
  });
  // Re-read runs at engine start: a trainer still running is adopted, a dead one marked interrupted.
  void manager.ready().catch(() => undefined);
  return {
    handlers: {
      trainDoctor: () => manager.doctor(),
      trainSetPython: async ({ python }) => {
        await manager.setPython(python);
        return manager.doctor();
      },
      trainCheckData: ({ data, rooms }) => manager.checkData({ data, rooms }),
      trainCheckRooms: ({ rooms, rate }) => manager.checkRooms({ rooms, rate }),
      trainCheckPretrained: ({ path }) => manager.checkPretrained({ path }),
      trainStart: async (req) => ({ runs: await manager.start(req) }),
      trainCancel: async ({ id }) => ({ run: await manager.cancel(id) }),
      trainResume: async ({ id, maxSteps }) => ({ run: await manager.resume(id, maxSteps) }),
      trainList: async () => ({ runs: await manager.list(), dir: manager.runsDir }),
      trainGetRun: ({ id }) => manager.detail(id),
      trainDelete: async ({ id }) => {
        await manager.remove(id);
        return {};
      },
      trainImport: async ({ path }) => ({ run: await manager.importRun(path) }),
      trainCommand: ({ request, gpusPerNode, nodes }) => manager.command(request, gpusPerNode, nodes),
      trainActivate: ({ id }) => manager.activate(id),
    },
    dispose: () => manager.dispose(),
  };
}
