/**
 * Entry point of the engine process. Runs as an Electron utilityProcess in the app
 * (`.vite/build/entry.js`) or as a Node child started by `child_process.fork` with
 * `serialization: 'advanced'` (web bridge, integration tests; through tsx). Either way it speaks
 * the protocol in src/shared/engine-protocol.ts over its parent channel:
 *   host → engine  {type:'call', id, method, arg}
 *   engine → host  {type:'ready', pid} once, {type:'reply', id, reply}, {type:'event', event, payload}
 * Every argument is validated by `Engine.dispatch`. An uncaught error is logged to stderr and ends
 * the process: the host reports the crash to its callers and starts a fresh engine.
 */
import type { CallReply } from '../../shared/api';
import { Engine } from '../engine';
import { fromEngineArgv, parseHostMessage, type EngineToHost } from '../../shared/engine-protocol';

interface ParentChannel {
  send(message: EngineToHost): void;
  onMessage(listener: (message: unknown) => void): void;
}

/** The slice of Electron's `process.parentPort` we use (no electron import: plain Node too). */
interface ParentPortLike {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

function detectParentChannel(): ParentChannel {
  const parentPort = (process as unknown as { parentPort?: ParentPortLike | null }).parentPort;
  if (parentPort) {
    return {
      send: (m) => parentPort.postMessage(m),
      onMessage: (listener) => parentPort.on('message', (e) => listener(e.data)),
    };
  }
  const send = process.send?.bind(process);
  if (!send) throw new Error('engine: no parent channel (start me with utilityProcess.fork or child_process.fork)');
  // The parent going away must not leave an orphan engine behind.
  process.on('disconnect', () => process.exit(0));
  // Ctrl-C in a terminal signals the whole process group; the host decides when the engine stops
  // (SIGTERM on dispose), so a keyboard interrupt must not look like a crash and trigger a restart.
  process.on('SIGINT', () => undefined);
  return {
    send: (m) => void send(m),
    onMessage: (listener) => process.on('message', listener),
  };
}

function dieOnUncaught(): void {
  const die = (kind: string) => (err: unknown) => {
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`[s5 engine ${process.pid}] ${kind}: ${text}\n`);
    process.exit(70); // EX_SOFTWARE; the host restarts the engine.
  };
  process.on('uncaughtException', die('uncaught exception'));
  process.on('unhandledRejection', die('unhandled rejection'));
}

/** A reply that cannot be cloned (a bug in a handler) becomes an `internal` error, not a crash. */
function sendReply(channel: ParentChannel, id: number, method: string, reply: CallReply): void {
  try {
    channel.send({ type: 'reply', id, reply });
  } catch (err) {
    const message = `the engine could not send its reply to ${method}: ${err instanceof Error ? err.message : String(err)}`;
    channel.send({ type: 'reply', id, reply: { ok: false, error: { code: 'internal', message } } });
  }
}

function main(): void {
  dieOnUncaught();
  const args = fromEngineArgv(process.argv.slice(2));
  const channel = detectParentChannel();
  const engine = new Engine({
    shell: args.shell,
    starts: args.starts,
    ...(args.importDir ? { importDir: args.importDir } : {}),
    emit: (event, payload) => channel.send({ type: 'event', event, payload }),
  });
  channel.onMessage((raw) => {
    const call = parseHostMessage(raw);
    if (!call) {
      process.stderr.write(`[s5 engine ${process.pid}] dropped a malformed message from the host\n`);
      return;
    }
    void engine.dispatch(call.method, call.arg).then((reply) => sendReply(channel, call.id, call.method, reply));
  });
  channel.send({ type: 'ready', pid: process.pid });
}

main();
