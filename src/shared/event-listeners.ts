/**
 * The listener set behind every `subscribe(listener)` of a transport or host: events are
 * delivered to each listener in turn, and one that throws is reported without stopping the rest.
 */
export type EngineEventListener = (event: string, payload: unknown) => void;

export class EventListeners {
  private readonly listeners = new Set<EngineEventListener>();

  constructor(private readonly onListenerError: (err: unknown) => void) {}

  /** Adds a listener; returns the function that removes it. */
  add(listener: EngineEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(event: string, payload: unknown): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event, payload);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}
