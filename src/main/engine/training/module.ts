/** The engine's training workflow (issue #8): handlers for its part of the contract. */
import type { EngineContext, EngineModule } from '../context';

export function trainingModule(ctx: EngineContext): EngineModule {
  void ctx;
  return { handlers: {} };
}
