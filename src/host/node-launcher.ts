/**
 * Launches the engine as a plain Node child process (web bridge, integration tests, CLI): the
 * Node counterpart of Electron's `utilityProcess.fork` used by main.ts. `serialization: 'advanced'`
 * makes the IPC channel use structured clone, so typed arrays cross as typed arrays.
 * A TypeScript entry (the source tree) runs through tsx's loader, registered with `--import` by
 * absolute URL so it resolves whatever the working directory; a built `.js` entry runs as is.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EngineExit, EngineLauncher, EngineProcess } from './engine-host';
import { toEngineArgv, type EngineArgs, type HostToEngine } from '../shared/engine-protocol';

export interface NodeEngineOptions {
  shell?: EngineArgs['shell'];
  importDir?: string;
  /** Defaults to the engine process's entry: src/engine/process/entry.ts from the sources, the
   *  bundled `entry.js` beside this code when it runs from a bundle (dist/node/web.js). */
  entryPath?: string;
  /** 'inherit' (default) shows the engine's stderr in ours; 'pipe' lets a test read it. */
  stdio?: 'inherit' | 'pipe' | 'ignore';
}

export const DEFAULT_ENTRY = __filename.endsWith('.ts')
  ? path.join(__dirname, '..', 'engine', 'process', 'entry.ts')
  : path.join(__dirname, 'entry.js');

function loaderArgs(entry: string): string[] {
  if (!entry.endsWith('.ts')) return [];
  return ['--import', pathToFileURL(require.resolve('tsx')).href];
}

/** Adapts a ChildProcess to the host's process interface. */
export function adaptChildProcess(child: ChildProcess): EngineProcess {
  return {
    get pid() {
      return child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    postMessage(message: HostToEngine) {
      if (!child.connected) throw new Error('the engine channel is closed');
      child.send(message);
    },
    onMessage: (listener) => void child.on('message', listener),
    onExit: (listener: (exit: EngineExit) => void) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        queueMicrotask(() => listener({ code: child.exitCode, signal: child.signalCode }));
        return;
      }
      child.once('exit', (code, signal) => listener({ code, signal }));
    },
    kill: () => void child.kill('SIGTERM'),
  };
}

/** An `EngineLauncher` that forks `entry` under Node with a structured-clone IPC channel. */
export function forkNodeEngine(options: NodeEngineOptions = {}): EngineLauncher {
  const entry = options.entryPath ?? DEFAULT_ENTRY;
  return (starts) => {
    const args: EngineArgs = { shell: options.shell ?? 'inprocess', starts };
    if (options.importDir) args.importDir = options.importDir;
    const stdio = options.stdio ?? 'inherit';
    const child = fork(entry, toEngineArgv(args), {
      serialization: 'advanced',
      execArgv: loaderArgs(entry),
      stdio: [stdio === 'pipe' ? 'pipe' : 'ignore', stdio, stdio, 'ipc'],
    });
    // A failed spawn emits 'error' (and then 'exit'); the exit is what the host acts on.
    child.on('error', (err) => process.stderr.write(`[s5 engine host] engine process error: ${err.message}\n`));
    return adaptChildProcess(child);
  };
}
