/**
 * Builds an `S5Api` object over any transport (Electron IPC in the preload, WebSocket in web mode,
 * a direct function in-process). A plain object with one function per method name — contextBridge
 * cannot carry a Proxy. Results are validated against the contract before they reach the caller.
 */
import {
  CallReplySchema,
  S5_EVENTS,
  S5_METHOD_NAMES,
  S5_METHODS,
  type S5Api,
  type S5EventName,
  type S5MethodName,
} from './api';
import { S5Error } from './errors';

export interface Transport {
  /** Sends one call; resolves with the raw reply (`{ok, value}` or `{ok:false, error}`). */
  call(method: S5MethodName, arg: unknown): Promise<unknown>;
  /** Delivers every pushed event; returns the unsubscribe function. */
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
}

export function createS5Client(transport: Transport): S5Api {
  const api: Record<string, unknown> = {};
  for (const method of S5_METHOD_NAMES) {
    api[method] = async (arg: unknown) => {
      const reply = CallReplySchema.parse(await transport.call(method, arg ?? {}));
      if (!reply.ok) throw S5Error.from(reply.error);
      const parsed = S5_METHODS[method].output.safeParse(reply.value);
      if (!parsed.success) {
        throw new S5Error('internal', `engine reply to ${method} broke the contract: ${parsed.error.message}`);
      }
      return parsed.data;
    };
  }
  api.on = (event: S5EventName, listener: (payload: unknown) => void) =>
    transport.subscribe((name, payload) => {
      if (name !== event) return;
      const parsed = S5_EVENTS[event].safeParse(payload);
      if (parsed.success) listener(parsed.data);
    });
  return api as S5Api;
}
