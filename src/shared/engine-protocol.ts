/**
 * Messages between the engine host (main process, web bridge, tests) and the engine process.
 * They travel by structured clone (Electron utilityProcess `postMessage`, or Node `fork` with
 * `serialization: 'advanced'`), so Float32Array / Uint8Array leaves arrive as typed arrays, never
 * as JSON. Both ends check the envelope before use: a malformed message is dropped and logged,
 * never dispatched. The argument itself is validated by `Engine.dispatch`, the reply by the host.
 */
import { CallReplySchema, type CallReply } from './api';

export type HostToEngine = { type: 'call'; id: number; method: string; arg: unknown };

export type EngineToHost =
  | { type: 'ready'; pid: number }
  | { type: 'reply'; id: number; reply: CallReply }
  | { type: 'event'; event: string; payload: unknown };

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 64;

/** Engine side: a call envelope from the host, or null. */
export function parseHostMessage(raw: unknown): HostToEngine | null {
  if (!isRecord(raw) || raw.type !== 'call' || !isId(raw.id) || !isName(raw.method)) return null;
  return { type: 'call', id: raw.id, method: raw.method, arg: raw.arg };
}

/** Host side: a message from the engine, or null. Replies must match the CallReply contract. */
export function parseEngineMessage(raw: unknown): EngineToHost | null {
  if (!isRecord(raw)) return null;
  switch (raw.type) {
    case 'ready':
      return Number.isSafeInteger(raw.pid) ? { type: 'ready', pid: raw.pid as number } : null;
    case 'reply': {
      if (!isId(raw.id)) return null;
      const reply = CallReplySchema.safeParse(raw.reply);
      return reply.success ? { type: 'reply', id: raw.id, reply: reply.data } : null;
    }
    case 'event':
      return isName(raw.event) ? { type: 'event', event: raw.event, payload: raw.payload } : null;
    default:
      return null;
  }
}

/** Command-line flags the host passes to the engine process (argv works for fork and utilityProcess). */
export interface EngineArgs {
  shell: 'electron' | 'web' | 'inprocess';
  starts: number;
  importDir?: string;
}

export function toEngineArgv(args: EngineArgs): string[] {
  const argv = [`--shell=${args.shell}`, `--starts=${args.starts}`];
  if (args.importDir) argv.push(`--import-dir=${args.importDir}`);
  return argv;
}

export function fromEngineArgv(argv: readonly string[]): EngineArgs {
  const flag = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const shell = flag('shell');
  const starts = Number(flag('starts') ?? '1');
  if (shell !== 'electron' && shell !== 'web' && shell !== 'inprocess') {
    throw new Error(`engine: --shell must be electron, web or inprocess (got ${String(shell)})`);
  }
  if (!Number.isSafeInteger(starts) || starts < 1) throw new Error(`engine: bad --starts ${String(starts)}`);
  const importDir = flag('import-dir');
  return importDir ? { shell, starts, importDir } : { shell, starts };
}
