/**
 * WebSocket side of the web bridge: `S5Api` over binary frames (shared/wire.ts) on `/api`.
 * Upgrade checks, in order: path `/api` (else 404), Host is the bridge's loopback name (403),
 * Origin absent or the bridge's own page origin (403), `?token=` equal to the bridge's token by a
 * constant-time compare (401). After that, per frame:
 *   - text frames close the socket (1003); frames wire.ts cannot decode close it (1007);
 *   - a decodable frame that is not a call envelope gets an `invalid_request` reply when it has
 *     an id, else closes the socket (1008);
 *   - `pickFile` is answered here with `{path: null}` (no native dialog in a browser); every other
 *     call goes to the engine host, which validates the argument against the contract.
 * Engine events are encoded once and broadcast to every open client.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { PickFileRequestSchema, type CallReply, type S5MethodName } from '../shared/api';
import { S5Error } from '../shared/errors';
import { WireError, decodeFrame, encodeFrame, type WireMessage } from '../shared/wire';
import { routeCall, type EngineHost, type ShellHandler } from '../host/engine-host';
import { isAllowedSocketOrigin, isLoopbackHost, tokensMatch } from '../host/security';

/**
 * Largest frame a client may send: 1 GiB. Large enough for a web-mode upload (`importFile`) of a
 * long 4-channel recording, small enough that one client cannot make the bridge buffer without
 * bound (ws rejects a bigger frame with close code 1009 before buffering it).
 */
export const MAX_FRAME_BYTES = 1024 ** 3;
export const API_PATH = '/api';

export interface SocketApiOptions {
  engine: EngineHost;
  token: string;
  port: () => number;
}

export interface SocketApi {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

/** Web mode's own answer to the shell methods. */
const webShell: ShellHandler = async (method: S5MethodName, arg: unknown): Promise<CallReply> => {
  if (method !== 'pickFile') throw new S5Error('unsupported', `${method} is not available in web mode`);
  const parsed = PickFileRequestSchema.safeParse(arg ?? {});
  if (!parsed.success) throw new S5Error('invalid_request', `bad argument for pickFile: ${parsed.error.message}`);
  return { ok: true, value: { path: null } };
};

export function createSocketApi(options: SocketApiOptions): SocketApi {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  wss.on('connection', (ws) => serveClient(ws, options.engine));
  const unsubscribe = options.engine.subscribe((event, payload) => broadcast(wss, { type: 'event', event, payload }));
  return {
    handleUpgrade(req, socket, head) {
      const refusal = refuseUpgrade(req, options);
      if (refusal) return rejectUpgrade(socket, refusal);
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    close: () => {
      unsubscribe();
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
      return new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

type Refusal = { status: 401 | 403 | 404; text: string };

/** Why an upgrade request must be refused, or null when it may connect. */
export function refuseUpgrade(req: IncomingMessage, options: Pick<SocketApiOptions, 'token' | 'port'>): Refusal | null {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname !== API_PATH) return { status: 404, text: 'Not Found' };
  if (!isLoopbackHost(req.headers.host, options.port())) return { status: 403, text: 'Forbidden' };
  if (!isAllowedSocketOrigin(req.headers.origin, options.port())) return { status: 403, text: 'Forbidden' };
  if (!tokensMatch(url.searchParams.get('token'), options.token)) return { status: 401, text: 'Unauthorized' };
  return null;
}

function rejectUpgrade(socket: Duplex, refusal: Refusal): void {
  socket.end(`HTTP/1.1 ${refusal.status} ${refusal.text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

function serveClient(ws: WebSocket, engine: EngineHost): void {
  ws.on('error', () => ws.terminate()); // e.g. a frame over maxPayload; ws has already closed with 1009
  ws.on('message', (data, isBinary) => {
    if (!isBinary) return ws.close(1003, 'binary frames only');
    let message: unknown;
    try {
      message = decodeFrame(toBytes(data));
    } catch (err) {
      return ws.close(1007, err instanceof WireError ? err.message.slice(0, 100) : 'malformed frame');
    }
    void answer(ws, engine, message);
  });
}

async function answer(ws: WebSocket, engine: EngineHost, message: unknown): Promise<void> {
  const m = message as Partial<Record<string, unknown>> | null;
  const id = typeof m?.id === 'number' && Number.isSafeInteger(m.id) ? m.id : null;
  if (id === null) return void ws.close(1008, 'expected a call envelope');
  let reply: CallReply;
  if (m?.type !== 'call' || typeof m.method !== 'string' || m.method.length > 64) {
    reply = { ok: false, error: { code: 'invalid_request', message: 'expected {type:"call", id, method, arg}' } };
  } else {
    reply = await routeCall(engine, webShell, m.method, m.arg);
  }
  send(ws, { type: 'reply', id, reply });
}

function send(ws: WebSocket, message: WireMessage): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(encodeReply(message));
}

/** Encodes a message; a reply that cannot be encoded becomes an `internal` error reply. */
function encodeReply(message: WireMessage): Uint8Array {
  try {
    return encodeFrame(message);
  } catch (err) {
    if (message.type !== 'reply') throw err;
    const text = `the reply could not be encoded: ${err instanceof Error ? err.message : String(err)}`;
    return encodeFrame({ type: 'reply', id: message.id, reply: { ok: false, error: { code: 'internal', message: text } } });
  }
}

function broadcast(wss: WebSocketServer, message: WireMessage): void {
  if (wss.clients.size === 0) return;
  let frame: Uint8Array;
  try {
    frame = encodeFrame(message);
  } catch (err) {
    process.stderr.write(`[s5 web] could not encode an event: ${err instanceof Error ? err.message : String(err)}\n`);
    return;
  }
  for (const ws of wss.clients) if (ws.readyState === ws.OPEN) ws.send(frame);
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
