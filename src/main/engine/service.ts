/**
 * The engine's implementation of `S5Api` (every method except the shell's own, see SHELL_METHODS).
 * `dispatch` is the single entry for every transport: it validates the untrusted argument against
 * the contract, runs the handler, and always answers with a `CallReply` (never throws).
 * Pure Node: no electron import (the engine runs under the CLI, tests and the web bridge too).
 */
import { mkdir, writeFile, rename } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import {
  S5_METHODS,
  SHELL_METHODS,
  type CallReply,
  type EngineInfo,
  type S5MethodName,
  type S5ParsedInput,
  type S5Output,
} from '../../shared/api';
import { S5Error, toErrorData } from '../../shared/errors';
import { openAudio } from './audio/open';
import { evaluateFolders } from './metrics/evaluate';
import { APP_VERSION } from './version';

export type EventSink = (event: string, payload: unknown) => void;

export interface EngineOptions {
  shell: EngineInfo['shell'];
  /** How many times the host has started an engine process (1 for the first). */
  starts?: number;
  /** Where `importFile` stores uploaded files (web-mode drag-and-drop). */
  importDir?: string;
  emit?: EventSink;
}

type Handlers = { [M in S5MethodName]?: (arg: S5ParsedInput<M>) => Promise<S5Output<M>> };

export class Engine {
  private readonly handlers: Handlers;

  constructor(private readonly options: EngineOptions) {
    const importDir = options.importDir ?? path.join(os.tmpdir(), 's5-studio-imports');
    this.handlers = {
      getEngineInfo: async () => ({
        version: APP_VERSION,
        shell: options.shell,
        node: process.versions.node,
        platform: `${process.platform}-${process.arch}`,
        pid: process.pid,
        starts: options.starts ?? 1,
      }),
      openAudio: (arg) => openAudio(arg),
      evaluate: (arg) => evaluateFolders(arg, (p) => this.emit('progress', p)),
      importFile: async ({ name, data }) => {
        // Only the base name is kept, so a hostile name cannot escape the import folder.
        const safe = path.basename(name).replace(/[^\w.\- ]+/g, '_').slice(0, 120) || 'dropped';
        const dir = path.join(importDir, randomBytes(6).toString('hex'));
        await mkdir(dir, { recursive: true });
        const final = path.join(dir, safe);
        await writeFile(`${final}.part`, data);
        await rename(`${final}.part`, final);
        return { path: final };
      },
    };
  }

  emit(event: string, payload: unknown): void {
    this.options.emit?.(event, payload);
  }

  /** Validates, runs, answers. Unknown methods and schema failures become `invalid_request`. */
  async dispatch(method: string, rawArg: unknown): Promise<CallReply> {
    try {
      if (!Object.hasOwn(S5_METHODS, method) || SHELL_METHODS.includes(method as S5MethodName)) {
        throw new S5Error('invalid_request', `unknown engine method: ${String(method).slice(0, 64)}`);
      }
      const name = method as S5MethodName;
      const parsed = S5_METHODS[name].input.safeParse(rawArg ?? {});
      if (!parsed.success) {
        throw new S5Error('invalid_request', `bad argument for ${name}: ${parsed.error.message}`);
      }
      const handler = this.handlers[name] as ((arg: unknown) => Promise<unknown>) | undefined;
      if (!handler) throw new S5Error('invalid_request', `${name} is not served by the engine`);
      return { ok: true, value: await handler(parsed.data) };
    } catch (err) {
      return { ok: false, error: toErrorData(err) };
    }
  }
}
