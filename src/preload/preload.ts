/**
 * Preload (sandboxed, context-isolated): exposes exactly one object, `window.s5`, built by
 * `createS5Client` over Electron IPC — one `invoke('s5:call', method, arg)` per call and a single
 * 's5:event' listener fanned out to subscribers — plus `pathForFile` (webUtils). Nothing of
 * ipcRenderer or Node leaks into the page.
 * contextBridge copies only an Error's message, so a failed call rejects with a plain
 * `{name:'S5Error', code, message, file?}` object instead: the renderer reads errors by shape
 * (src/renderer/lib/errors.ts), in both the app and web mode.
 * Vite bundles src/shared (and zod) into this file: a sandboxed preload can require only 'electron'.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { S5_METHOD_NAMES, type S5Bridge } from '../shared/api';
import { createS5Client, type Transport } from '../shared/client';
import { S5Error, toErrorData } from '../shared/errors';
import { IPC_CALL, IPC_EVENT } from '../shared/ipc-channels';

type Listener = (event: string, payload: unknown) => void;

function ipcTransport(): Transport {
  const listeners = new Set<Listener>();
  ipcRenderer.on(IPC_EVENT, (_event, name: unknown, payload: unknown) => {
    if (typeof name !== 'string') return;
    for (const listener of [...listeners]) listener(name, payload);
  });
  return {
    call: (method, arg) => ipcRenderer.invoke(IPC_CALL, method, arg),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Rejections as plain objects, so `code` and `file` survive the context bridge. */
function plainErrors(client: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { on: client.on };
  for (const method of S5_METHOD_NAMES) {
    const fn = client[method] as (arg: unknown) => Promise<unknown>;
    out[method] = (arg: unknown) =>
      fn(arg).catch((err: unknown) => {
        const data = err instanceof S5Error ? err.toData() : toErrorData(err);
        throw { name: 'S5Error', ...data };
      });
  }
  return out;
}

const client = createS5Client(ipcTransport()) as unknown as Record<string, unknown>;
const bridge = {
  ...plainErrors(client),
  pathForFile: (file: File) => webUtils.getPathForFile(file) || null,
} as unknown as S5Bridge;

contextBridge.exposeInMainWorld('s5', bridge);
