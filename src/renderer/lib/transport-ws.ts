/**
 * The renderer's WebSocket transport for web mode (`npm run web`): one socket to the bridge's
 * `/api` endpoint, binary frames encoded with shared/wire.ts (typed arrays stay typed arrays).
 * - Calls carry an id; replies are matched by id. Frames that do not decode, or replies to unknown
 *   ids, are ignored (the bridge is the trusted side; createS5Client validates every value).
 * - If the socket drops, every call in flight resolves an error reply naming the call, the
 *   listeners get an `engineStatus` 'restarting' event, and the transport reconnects with backoff;
 *   'ready' follows once it is back. Calls made while disconnected wait briefly for the socket.
 * Browser-only APIs (WebSocket); Node tests inject the `ws` package's WebSocket instead.
 */
import { EventListeners, type EngineEventListener } from '../../shared/event-listeners';
import type { CallReply, S5MethodName } from '../../shared/api';
import type { Transport } from '../../shared/client';
import { decodeFrame, encodeFrame, type WireMessage } from '../../shared/wire';

/** The parts of the WebSocket API we use (the DOM's WebSocket and `ws` both provide them). */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (event: never) => void): void;
}
export type SocketFactory = (url: string) => SocketLike;

export interface WsTransportOptions {
  /** Defaults to the global WebSocket. */
  createSocket?: SocketFactory;
  /** Reconnect delays grow from `minDelayMs` to `maxDelayMs` (doubling). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** How long a call made while disconnected waits for the socket before failing. */
  callWaitMs?: number;
  /** How long the first connection may take. */
  connectTimeoutMs?: number;
}

export interface WsTransport extends Transport {
  /** Closes the socket for good; calls in flight resolve 'cancelled'. */
  close(): void;
  readonly connected: boolean;
}

const OPEN = 1;
const errorReply = (code: 'internal' | 'cancelled', message: string): CallReply => ({ ok: false, error: { code, message } });

/** Opens the socket (adding `token` to the URL if it is not there) and resolves once it is open. */
export function connectWebSocketTransport(url: string, token: string, options: WsTransportOptions = {}): Promise<WsTransport> {
  const target = new URL(url);
  target.searchParams.set('token', token);
  const connection = new WsConnection(target.toString(), options);
  return connection.firstOpen().then(() => connection);
}

interface Pending {
  method: string;
  resolve: (reply: CallReply) => void;
}

class WsConnection implements WsTransport {
  private socket: SocketLike | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new EventListeners((err) => console.error('s5: an event listener threw', err));
  private openWaiters: (() => void)[] = [];
  private nextId = 1;
  private attempt = 0;
  private everOpened = false;
  private closed = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly createSocket: SocketFactory;
  private readonly opts: Required<Omit<WsTransportOptions, 'createSocket'>>;

  constructor(private readonly url: string, options: WsTransportOptions) {
    this.createSocket = options.createSocket ?? ((u) => new WebSocket(u) as unknown as SocketLike);
    this.opts = { minDelayMs: 250, maxDelayMs: 5000, callWaitMs: 5000, connectTimeoutMs: 10_000, ...options };
  }

  get connected(): boolean {
    return this.socket?.readyState === OPEN;
  }

  /** The first connection: resolves when open, rejects with a readable reason otherwise. */
  firstOpen(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const socket = this.open();
      const timer = setTimeout(() => fail('timed out'), this.opts.connectTimeoutMs);
      const fail = (why: string) => {
        clearTimeout(timer);
        this.close();
        reject(new Error(`could not connect to the S5 engine bridge (${why}). Is \`npm run web\` running, and is this the address it printed, with its token?`));
      };
      socket.addEventListener('open', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.addEventListener('close', (e: { code?: number }) => {
        if (!this.everOpened) fail(`connection closed, code ${String(e.code)}`);
      });
    });
  }

  call(method: S5MethodName, arg: unknown): Promise<unknown> {
    return this.whenOpen().then((open) => {
      if (!open || !this.socket) {
        return errorReply(this.closed ? 'cancelled' : 'internal', this.closed
          ? `the connection to the S5 engine was closed; ${method} was not sent`
          : `no connection to the S5 engine (reconnecting); ${method} was not sent`);
      }
      const socket = this.socket;
      const id = this.nextId++;
      const frame = encodeFrame({ type: 'call', id, method, arg } satisfies WireMessage);
      return new Promise<CallReply>((resolve) => {
        this.pending.set(id, { method, resolve });
        try {
          socket.send(frame);
        } catch (err) {
          this.pending.delete(id);
          resolve(errorReply('internal', `could not send ${method} to the S5 engine: ${err instanceof Error ? err.message : String(err)}`));
        }
      });
    });
  }

  subscribe(listener: EngineEventListener): () => void {
    return this.listeners.add(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.failPending('cancelled', (m) => `the connection to the S5 engine was closed while running ${m}`);
    this.releaseWaiters();
    this.socket?.close(1000, 'client closed');
  }

  // ---- socket lifecycle ------------------------------------------------------------------

  private open(): SocketLike {
    const socket = this.createSocket(this.url);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.addEventListener('open', () => this.onOpen(socket));
    socket.addEventListener('message', (e: { data: unknown }) => this.onFrame(e.data));
    socket.addEventListener('close', () => this.onClose(socket));
    socket.addEventListener('error', () => undefined); // 'close' follows and does the work
    return socket;
  }

  private onOpen(socket: SocketLike): void {
    if (socket !== this.socket) return;
    const reconnected = this.everOpened;
    this.everOpened = true;
    this.attempt = 0;
    this.releaseWaiters();
    if (reconnected) this.emitStatus('ready', 'reconnected to the S5 engine');
  }

  private onClose(socket: SocketLike): void {
    if (socket !== this.socket || this.closed || !this.everOpened) return;
    this.socket = null;
    const failed = this.failPending('internal', (m) => `the connection to the S5 engine was lost while running ${m}; reconnecting`);
    this.attempt += 1;
    const wait = Math.min(this.opts.minDelayMs * 2 ** (this.attempt - 1), this.opts.maxDelayMs);
    this.emitStatus('restarting',
      `lost the connection to the S5 engine; retrying in ${wait} ms (attempt ${this.attempt}). ` +
        'If `npm run web` was restarted, open the new address it printed (the token changes).', failed);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.closed) this.open();
    }, wait);
  }

  private onFrame(data: unknown): void {
    if (!(data instanceof ArrayBuffer)) return; // the bridge only sends binary frames
    let message: unknown;
    try {
      message = decodeFrame(new Uint8Array(data));
    } catch {
      return;
    }
    const m = message as Partial<Record<string, unknown>> | null;
    if (m?.type === 'reply' && typeof m.id === 'number') this.settle(m.id, m.reply as CallReply);
    else if (m?.type === 'event' && typeof m.event === 'string') this.emit(m.event, m.payload);
  }

  // ---- helpers -----------------------------------------------------------------------------

  /** Resolves true once the socket is open, false if it does not open within callWaitMs. */
  private whenOpen(): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), this.opts.callWaitMs);
      this.openWaiters.push(() => {
        clearTimeout(timer);
        resolve(this.connected);
      });
    });
  }

  private releaseWaiters(): void {
    const waiters = this.openWaiters;
    this.openWaiters = [];
    for (const w of waiters) w();
  }

  private settle(id: number, reply: CallReply): void {
    const call = this.pending.get(id);
    if (!call) return;
    this.pending.delete(id);
    call.resolve(reply);
  }

  private failPending(code: 'internal' | 'cancelled', message: (method: string) => string): string[] {
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const c of calls) c.resolve(errorReply(code, message(c.method)));
    return calls.map((c) => c.method);
  }

  private emitStatus(state: 'ready' | 'restarting', message: string, failedMethods: string[] = []): void {
    this.emit('engineStatus', { state, message, failedMethods });
  }

  private emit(event: string, payload: unknown): void {
    this.listeners.emit(event, payload);
  }
}
