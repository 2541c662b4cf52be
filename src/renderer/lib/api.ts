/**
 * The renderer's one door to the engine. In the Electron app the preload has already put the
 * typed bridge on `window.s5`. In web mode (`npm run web`, end-to-end tests) the page was served by
 * the web bridge with `?token=…` in its URL; we open the WebSocket API on the same host and build
 * the same client over it. Either way the rest of the UI sees one `S5Bridge`.
 */
import type { S5Bridge } from '../../shared/api';
import { createS5Client } from '../../shared/client';
import { connectWebSocketTransport } from './transport-ws';

declare global {
  interface Window {
    s5?: S5Bridge;
  }
}

let pending: Promise<S5Bridge> | null = null;

/** Resolves once per page; later calls share the same connection. */
export function getApi(): Promise<S5Bridge> {
  pending ??= connect().catch((err: unknown) => {
    pending = null; // let a later call try again
    throw err;
  });
  return pending;
}

async function connect(): Promise<S5Bridge> {
  if (window.s5) return window.s5;
  const token = new URLSearchParams(location.search).get('token');
  if (!token) {
    throw new Error(
      'No engine: this page has no Electron bridge and no ?token= in its address. ' +
        'Start it with `npm run web` and open the address it prints.',
    );
  }
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${location.host}/api?token=${encodeURIComponent(token)}`;
  const transport = await connectWebSocketTransport(url, token);
  const client = createS5Client(transport);
  return { ...client, pathForFile: () => null };
}
