/** The engine's scene workflow (issue #6): handlers for its part of the contract. */
import type { EngineContext, EngineModule } from '../context';

export function sceneModule(ctx: EngineContext): EngineModule {
  void ctx;
  return { handlers: {} };
}
