/** The engine's live workflow (issue #7): handlers for its part of the contract. */
import type { EngineContext, EngineModule } from '../context';

export function liveModule(ctx: EngineContext): EngineModule {
  void ctx;
  return { handlers: {} };
}
