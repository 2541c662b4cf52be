/**
 * API fuzzing (issue #9 item 3): random and adversarial payloads to every method of the contract,
 * taken generically from S5_METHOD_NAMES (so methods added later are covered without editing
 * this file), through the in-process `Engine.dispatch` and through the web bridge's WebSocket
 * (binary frames to a real forked engine). Wrong types, huge strings, path traversal, negative and
 * non-finite numbers, prototype keys, typed arrays where objects are expected.
 *
 * Proves: every call answers with a well-formed reply (never a crash, never a hang); payloads
 * that fail the method's schema are `invalid_request`; nothing is written outside the engine's own
 * folders (the import folder and the data folder) — a sandbox with trap files next to them is
 * compared before and after; `importFile` never leaves its folder whatever the name; the bridge
 * refuses sockets without the token, with a foreign Origin or a foreign Host.
 *
 * Payloads that happen to be VALID for a method are only sent when the method is known to be
 * quick and harmless (QUICK_WHEN_VALID); others (separate, tag, any new live/train method) are
 * skipped and counted, so a random payload never starts a long job.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CallReplySchema, S5_METHODS, S5_METHOD_NAMES, SHELL_METHODS, type CallReply, type S5MethodName } from '../../src/shared/api';
import { decodeFrame, encodeFrame } from '../../src/shared/wire';
import { Engine } from '../../src/engine/engine';
import { SettingsStore } from '../../src/engine/settings/settings';
import { EngineHost } from '../../src/host/engine-host';
import { forkNodeEngine } from '../../src/host/node-launcher';
import { startWebBridge, type WebBridge } from '../../src/web/server';

/** Methods that may run with a valid argument during fuzzing: quick, and confined to our folders. */
const QUICK_WHEN_VALID = new Set<string>(['getEngineInfo', 'openAudio', 'importFile', 'listModels', 'activateModels', 'importModel', 'removeModel', 'cancel', 'pickFile', 'evaluate']);
// A hang, not a slow answer: on a busy shared 2-core machine a valid call (a model import, an
// evaluation) took over 20 s with both cores saturated.
const CALL_TIMEOUT_MS = 180_000;

let sandbox: string;
let importDir: string;
let dataDir: string;
let shippedDir: string;
let outside: string;
let engine: Engine;
const savedEnv = { data: process.env.S5_DATA_DIR, shipped: process.env.S5_SHIPPED_MODELS };

/** Adversarial values for one field. */
function hostileValues(): unknown[] {
  return [
    undefined, null, 0, -1, -1e308, 1e308, 2 ** 53 + 1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, true, '', ' ',
    'x'.repeat(5000), 'é'.repeat(70_000), '\0', 'a\0b', '../../../../../../etc/passwd', '/etc/passwd', '..', '.', '~',
    `${outside}/pwned.wav`, `../${path.basename(outside)}/pwned`, 'C:\\Windows\\system32', '\\\\server\\share\\x', 'file:///etc/passwd',
    '%2e%2e%2f%2e%2e%2fetc', '__proto__', 'constructor', [], [1, 2, 3], ['../x'], Array.from({ length: 10_000 }, () => 'a'), {}, { __proto__: { polluted: 1 } },
    new Uint8Array(8), new Float32Array([Number.NaN]), new Float64Array(2),
  ];
}

/** Builds payloads for a method: whole-argument garbage plus each field of its schema set to each hostile value. */
function payloadsFor(method: S5MethodName): unknown[] {
  const schema = S5_METHODS[method].input as unknown as { shape?: Record<string, unknown> };
  const keys = schema.shape ? Object.keys(schema.shape) : [];
  const out: unknown[] = [null, undefined, 42, 'str', [], true, new Uint8Array(4), { unexpected: 1 }, JSON.parse('{"__proto__": {"polluted": true}}'), Object.create(null)];
  for (const key of keys) for (const v of hostileValues()) out.push({ [key]: v });
  // All fields at once, random hostile choices (deterministic seed).
  fc.sample(fc.tuple(...keys.map(() => fc.constantFrom(...hostileValues()))), { numRuns: 30, seed: 9 }).forEach((vals) => {
    out.push(Object.fromEntries(keys.map((k, i) => [k, (vals as unknown[])[i]])));
  });
  // Random JSON values.
  out.push(...fc.sample(fc.jsonValue(), { numRuns: 30, seed: 10 }));
  return out;
}

function isValid(method: S5MethodName, arg: unknown): boolean {
  return S5_METHODS[method].input.safeParse(arg ?? {}).success;
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`hang: ${what} did not answer in ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e); });
  });
}

/** Every file and folder under `dir`, with sizes (to spot writes and deletions). */
function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push(`${path.relative(dir, p)}${e.isDirectory() ? '/' : `:${statSync(p).size}`}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** What changed in the sandbox outside the engine's own folders. */
function outsideChanges(before: string[], after: string[]): string[] {
  const own = (p: string) => p.startsWith('imports') || p.startsWith('data');
  const b = new Set(before.filter((p) => !own(p)));
  const a = new Set(after.filter((p) => !own(p)));
  return [...[...a].filter((p) => !b.has(p)).map((p) => `+ ${p}`), ...[...b].filter((p) => !a.has(p)).map((p) => `- ${p}`)];
}

interface Tally { calls: number; invalid: number; otherErrors: number; ok: number; skippedValid: number; unencodable: number }
const newTally = (): Tally => ({ calls: 0, invalid: 0, otherErrors: 0, ok: 0, skippedValid: 0, unencodable: 0 });

/** Checks one reply; returns a problem or null. */
function judge(method: S5MethodName, arg: unknown, reply: unknown, tally: Tally): string | null {
  const parsed = CallReplySchema.safeParse(reply);
  if (!parsed.success) return `malformed reply ${JSON.stringify(reply)?.slice(0, 200)}`;
  const r = parsed.data as CallReply;
  const valid = isValid(method, arg);
  if (r.ok) {
    tally.ok++;
    if (!valid) return 'accepted an argument its schema refuses';
    return null;
  }
  if (r.error.code === 'invalid_request') tally.invalid++;
  else tally.otherErrors++;
  if (!valid && r.error.code !== 'invalid_request') return `schema-invalid argument answered ${r.error.code}: ${r.error.message.slice(0, 200)}`;
  if (r.error.code === 'internal' || r.error.code === 'engine_crashed') return `${r.error.code}: ${r.error.message.slice(0, 300)}`;
  if (r.error.message.length > 20_000) return `error message of ${r.error.message.length} characters (echoes the payload?)`;
  return null;
}

beforeAll(() => {
  sandbox = mkdtempSync(path.join(os.tmpdir(), 's5-apifuzz-'));
  importDir = path.join(sandbox, 'imports');
  dataDir = path.join(sandbox, 'data');
  shippedDir = path.join(sandbox, 'shipped-models');
  outside = path.join(sandbox, 'outside');
  for (const d of [importDir, dataDir, shippedDir, outside]) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(outside, 'secret.txt'), 'do not touch');
  writeFileSync(path.join(sandbox, 'next-to-imports.txt'), 'do not touch');
  process.env.S5_DATA_DIR = dataDir;
  process.env.S5_SHIPPED_MODELS = shippedDir;
  engine = new Engine({
    shell: 'inprocess',
    importDir,
    registry: {
      roots: [{ dir: shippedDir, source: 'shipped' }, { dir: path.join(dataDir, 'models'), source: 'user' }],
      userDir: path.join(dataDir, 'models'),
      settings: new SettingsStore(path.join(dataDir, 'settings.json')),
    },
  });
});

afterAll(async () => {
  await engine?.dispose();
  process.env.S5_DATA_DIR = savedEnv.data;
  process.env.S5_SHIPPED_MODELS = savedEnv.shipped;
  if (savedEnv.data === undefined) delete process.env.S5_DATA_DIR;
  if (savedEnv.shipped === undefined) delete process.env.S5_SHIPPED_MODELS;
  rmSync(sandbox, { recursive: true, force: true });
});

describe('API fuzzing, in-process Engine.dispatch', () => {
  it('every method: hostile payloads → well-formed replies, schema errors, no file outside our folders', async () => {
    const before = listTree(sandbox);
    const problems: string[] = [];
    const tally = newTally();
    for (const method of S5_METHOD_NAMES) {
      if (SHELL_METHODS.includes(method)) continue; // answered by the shell; the engine must refuse it
      for (const arg of payloadsFor(method)) {
        if (isValid(method, arg) && !QUICK_WHEN_VALID.has(method)) {
          tally.skippedValid++;
          continue;
        }
        tally.calls++;
        const reply = await withTimeout(engine.dispatch(method, arg), method);
        const p = judge(method, arg, reply, tally);
        if (p) problems.push(`${method}(${JSON.stringify(arg)?.slice(0, 120)}): ${p}`);
      }
    }
    // Unknown and shell method names.
    for (const name of ['nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'pickFile', 'x'.repeat(10_000), '']) {
      tally.calls++;
      const reply = await engine.dispatch(name, {});
      if (reply.ok || reply.error.code !== 'invalid_request') problems.push(`method ${JSON.stringify(name.slice(0, 20))}: ${JSON.stringify(reply).slice(0, 200)}`);
      if (!reply.ok && reply.error.message.length > 200) problems.push(`method name echoed in full (${reply.error.message.length} chars)`);
    }
    expect(problems).toEqual([]);
    expect(outsideChanges(before, listTree(sandbox))).toEqual([]);
    expect(readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('do not touch');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(tally.invalid).toBeGreaterThan(500);
    console.info(`api fuzz (in-process): ${S5_METHOD_NAMES.length} methods, ${tally.calls} calls: ${tally.invalid} invalid_request, ${tally.otherErrors} other specific errors, ${tally.ok} ok; ${tally.skippedValid} valid payloads of long-running methods skipped`);
  });

  it('importFile keeps every hostile name inside the import folder, with the bytes intact', async () => {
    const names = [
      '../../escape.wav', '/etc/passwd', '..', '.', '...', 'a/../../b.wav', 'dir/sub/file.wav', '..\\..\\win.wav', 'C:\\x.wav',
      'nul\0byte.wav', '\u202eevil.wav', 'CON', 'x'.repeat(255), ' ', '.hidden', 'ok name (1).wav', '😀.wav', `${outside}/pwned.wav`,
    ];
    const before = listTree(sandbox);
    for (const [i, name] of names.entries()) {
      const data = new Uint8Array([i, 1, 2, 3]);
      const reply = await engine.dispatch('importFile', { name, data });
      expect(reply.ok, name).toBe(true);
      if (!reply.ok) continue;
      const stored = (reply.value as { path: string }).path;
      const rel = path.relative(importDir, stored);
      expect(rel.startsWith('..') || path.isAbsolute(rel), `${name} → ${stored}`).toBe(false);
      expect(rel.split(path.sep).length, `${name} → ${stored}`).toBe(2); // <random folder>/<safe name>
      expect([...readFileSync(stored)]).toEqual([i, 1, 2, 3]);
    }
    expect(outsideChanges(before, listTree(sandbox))).toEqual([]);
    expect(existsSync(path.join(sandbox, 'escape.wav'))).toBe(false);
    expect(existsSync(path.join(outside, 'pwned.wav'))).toBe(false);
  });

  it('negative sizes and out-of-range numbers are schema errors naming the field', async () => {
    const cases: [S5MethodName, unknown, string][] = [
      ['openAudio', { path: '/x.wav', overviewBuckets: -5 }, 'overviewBuckets'],
      ['openAudio', { path: '/x.wav', overviewBuckets: 1e9 }, 'overviewBuckets'],
      ['openAudio', { path: 'x'.repeat(5000) }, 'path'],
      ['separate', { path: '/x.wav', outDir: '/tmp', rate: -48000 }, 'rate'],
      ['separate', { path: '/x.wav', outDir: '/tmp', rate: 48000.5 }, 'rate'],
      ['importFile', { name: 'x.wav', data: [1, 2, 3] }, 'data'],
      ['importFile', { name: '', data: new Uint8Array(1) }, 'name'],
      ['cancel', { jobId: '' }, 'jobId'],
    ];
    for (const [method, arg, field] of cases) {
      const reply = await engine.dispatch(method, arg);
      expect(reply.ok, `${method} ${field}`).toBe(false);
      if (reply.ok) continue;
      expect(reply.error.code).toBe('invalid_request');
      expect(reply.error.message).toContain(field);
    }
  });
});

describe('API fuzzing over the web bridge', () => {
  let bridge: WebBridge;
  let host: EngineHost;
  let bridgeImports: string;

  beforeAll(async () => {
    bridgeImports = path.join(sandbox, 'imports', 'bridge');
    const staticDir = path.join(sandbox, 'data', 'site');
    mkdirSync(staticDir, { recursive: true });
    writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>S5</title>');
    host = new EngineHost({ launch: forkNodeEngine({ shell: 'web', importDir: bridgeImports }) });
    bridge = await startWebBridge({ port: 0, staticDir, engine: host });
  });

  afterAll(async () => {
    await bridge?.close();
    await host?.dispose();
  });

  function connect(query: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/api${query}`, { headers });
      ws.on('open', () => resolve(ws));
      ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
      ws.on('error', () => undefined);
    });
  }

  it('refuses sockets without the token, with a wrong token, a foreign Origin or a foreign Host', async () => {
    expect(await connect('')).toBe(401);
    expect(await connect('?token=')).toBe(401);
    expect(await connect(`?token=${bridge.token.slice(0, -1)}x`)).toBe(401);
    expect(await connect(`?token=${bridge.token}`, { Origin: 'http://evil.example' })).toBe(403);
    expect(await connect(`?token=${bridge.token}`, { Origin: `http://127.0.0.1:${bridge.port + 1}` })).toBe(403);
    expect(await connect(`?token=${bridge.token}`, { Host: `evil.example:${bridge.port}` })).toBe(403);
    expect(await connect(`?token=${bridge.token}`, { Host: `192.168.1.10:${bridge.port}` })).toBe(403);
    const ok = await connect(`?token=${bridge.token}`, { Origin: `http://127.0.0.1:${bridge.port}` });
    expect(ok).toBeInstanceOf(WebSocket);
    (ok as WebSocket).close();
  });

  it('every method over the socket: hostile payloads → well-formed replies, the engine survives', async () => {
    const ws = (await connect(`?token=${bridge.token}`)) as WebSocket;
    const pending = new Map<number, (r: unknown) => void>();
    ws.on('message', (data: Buffer) => {
      const m = decodeFrame(new Uint8Array(data)) as { type: string; id: number; reply: unknown };
      if (m.type === 'reply') pending.get(m.id)?.(m.reply);
    });
    let id = 0;
    const call = (method: string, arg: unknown): Promise<unknown> | null => {
      let frame: Uint8Array;
      try {
        frame = encodeFrame({ type: 'call', id: ++id, method, arg } as never);
      } catch {
        return null; // not representable on the wire (e.g. undefined inside arrays)
      }
      const p = new Promise<unknown>((resolve) => pending.set(id, resolve));
      ws.send(frame);
      return withTimeout(p, `${method} over the socket`);
    };
    const before = listTree(sandbox);
    const problems: string[] = [];
    const tally = newTally();
    for (const method of S5_METHOD_NAMES) {
      for (const arg of payloadsFor(method)) {
        if (isValid(method, arg) && !QUICK_WHEN_VALID.has(method)) {
          tally.skippedValid++;
          continue;
        }
        const p = call(method, arg);
        if (!p) {
          tally.unencodable++;
          continue;
        }
        tally.calls++;
        const reply = await p;
        // The wire turns NaN/±Infinity into null and drops undefined: judge what the engine received.
        const received = (decodeFrame(encodeFrame({ type: 'call', id: 0, method, arg } as never)) as { arg: unknown }).arg;
        const problem = judge(method, received, reply, tally);
        if (problem) problems.push(`${method}(${JSON.stringify(arg)?.slice(0, 120)}): ${problem}`);
      }
    }
    expect(problems).toEqual([]);
    const info = (await call('getEngineInfo', {})) as CallReply;
    expect(info.ok && (info.value as { starts: number }).starts).toBe(1); // never crashed, never restarted
    ws.close();
    const changes = outsideChanges(before, listTree(sandbox));
    expect(changes).toEqual([]);
    console.info(`api fuzz (web bridge): ${tally.calls} calls: ${tally.invalid} invalid_request, ${tally.otherErrors} other specific errors, ${tally.ok} ok; ${tally.skippedValid} valid long-running payloads skipped, ${tally.unencodable} not representable on the wire`);
  });
});
