/**
 * EngineHost against the real engine in a forked Node process (node-launcher + entry.ts), and its
 * restart policy against scripted fake processes (crash loops are too slow to stage for real).
 * Proves: calls round-trip with typed arrays intact; bad payloads get `invalid_request`; a SIGKILL
 * during a call gives the caller `engine_crashed`, listeners 'crashed' → 'restarting' → 'ready',
 * and the next call runs in a fresh process (starts = 2); repeated crashes end in 'failed'.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CallReply, EngineInfo, OpenAudioResult } from '../../src/shared/api';
import { createS5Client } from '../../src/shared/client';
import {
  EngineHost,
  transportFromHost,
  type EngineExit,
  type EngineProcess,
} from '../../src/host/engine-host';
import { forkNodeEngine } from '../../src/host/node-launcher';
import { sleep, writeRampWav } from './host-fixtures';
import type { HostToEngine } from '../../src/shared/engine-protocol';

type Status = { state: string; message: string; failedMethods: string[] };

function recordStatus(host: EngineHost): Status[] {
  const seen: Status[] = [];
  host.subscribe((event, payload) => {
    if (event === 'engineStatus') seen.push(payload as Status);
  });
  return seen;
}

async function waitFor(predicate: () => boolean, ms = 300_000): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('timed out waiting for condition');
    await sleep(10);
  }
}

describe('real engine process', () => {
  let host: EngineHost;
  let status: Status[];
  let dir: string;
  let startMs = 0;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 's5-host-'));
    host = new EngineHost({ launch: forkNodeEngine({ importDir: dir }), restartDelayMs: 50 });
    status = recordStatus(host);
    const t0 = performance.now();
    await host.start();
    startMs = performance.now() - t0;
  });

  afterAll(async () => {
    await host?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('getEngineInfo answers from another process', async () => {
    const info = createS5Client(transportFromHost(host));
    const value: EngineInfo = await info.getEngineInfo({});
    expect(value.shell).toBe('inprocess');
    expect(value.starts).toBe(1);
    expect(value.pid).toBe(host.pid);
    expect(value.pid).not.toBe(process.pid);
    expect(status.map((s) => s.state)).toEqual(['starting', 'ready']);
    console.info(`engine cold start (fork + tsx + imports): ${startMs.toFixed(0)} ms`);
  });

  test('a bad payload is refused by the engine with invalid_request', async () => {
    const reply = await host.call('openAudio', { path: 42 });
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await host.call('noSuchMethod', {})).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await host.call('pickFile', {})).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });

  test('an argument that cannot be cloned is refused by the host, the engine lives on', async () => {
    const reply = await host.call('openAudio', { path: () => 1 });
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect((await host.call('getEngineInfo', {})).ok).toBe(true);
  });

  test('typed arrays cross the process boundary as typed arrays (both directions)', async () => {
    const wav = path.join(dir, 'small.wav');
    writeRampWav(wav, 2);
    const api = createS5Client(transportFromHost(host));
    const opened: OpenAudioResult = await api.openAudio({ path: wav, overviewBuckets: 64 });
    expect(opened.info.channels).toBe(4);
    expect(opened.overview.min).toHaveLength(4);
    expect(opened.overview.min[0]).toBeInstanceOf(Float32Array);
    expect(opened.overview.max[0].length).toBe(64);

    const bytes = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 31) & 0xff);
    const { path: stored } = await api.importFile({ name: '../../evil name.bin', data: bytes });
    expect(path.dirname(path.dirname(stored))).toBe(dir); // the name cannot escape the import folder
    expect(Buffer.compare(readFileSync(stored), Buffer.from(bytes))).toBe(0);
  });

  test('SIGKILL during a call: engine_crashed for the caller, status events, a fresh engine', async () => {
    const wav = path.join(dir, 'long.wav');
    writeRampWav(wav, 600); // 150 MB: reading it takes far longer than the kill delay below
    const before = host.pid!;
    status.length = 0;
    const inFlight = host.call('openAudio', { path: wav });
    await sleep(30);
    process.kill(before, 'SIGKILL');
    const reply: CallReply = await inFlight;
    expect(reply).toMatchObject({ ok: false, error: { code: 'engine_crashed' } });
    if (!reply.ok) {
      expect(reply.error.message).toContain('signal SIGKILL');
      expect(reply.error.message).toContain('openAudio');
    }
    await waitFor(() => status.some((s) => s.state === 'ready'));
    expect(status.map((s) => s.state)).toEqual(['crashed', 'restarting', 'ready']);
    expect(status[0].failedMethods).toEqual(['openAudio']);

    const info = await host.call('getEngineInfo', {});
    expect(info).toMatchObject({ ok: true, value: { starts: 2 } });
    expect(host.pid).not.toBe(before);
    expect(existsSync(wav)).toBe(true);
  });

  test('calls made while the engine restarts wait for it instead of failing', async () => {
    const before = host.pid!;
    process.kill(before, 'SIGKILL');
    const reply = await host.call('getEngineInfo', {});
    // Either it was sent before the death was noticed (crashed) or it waited for the restart.
    if (reply.ok) expect((reply.value as EngineInfo).starts).toBe(3);
    else expect(reply.error.code).toBe('engine_crashed');
    expect(await host.call('getEngineInfo', {})).toMatchObject({ ok: true, value: { starts: 3 } });
  });

  test('dispose stops the process and later calls are cancelled', async () => {
    const other = new EngineHost({ launch: forkNodeEngine() });
    await other.start();
    const pid = other.pid!;
    await other.dispose();
    expect(() => process.kill(pid, 0)).toThrow(); // gone
    expect(await other.call('getEngineInfo', {})).toMatchObject({ ok: false, error: { code: 'cancelled' } });
  });
});

// ---- restart policy with scripted processes ----------------------------------------------------

/** A fake engine process: answers getEngineInfo, or dies on cue. */
class FakeProcess implements EngineProcess {
  static nextPid = 100_000;
  readonly pid = FakeProcess.nextPid++;
  private messageListeners: ((m: unknown) => void)[] = [];
  private exitListeners: ((e: EngineExit) => void)[] = [];
  exited = false;
  constructor(private readonly starts: number, private readonly behaviour: 'ok' | 'die-at-start' | 'silent') {
    if (behaviour === 'ok') setTimeout(() => this.emit({ type: 'ready', pid: this.pid }), 1);
    if (behaviour === 'die-at-start') setTimeout(() => this.exit({ code: 1, signal: null }), 1);
  }
  postMessage(m: HostToEngine): void {
    if (m.method === 'crash') return this.exit({ code: null, signal: 'SIGSEGV' });
    if (m.method === 'garbage') this.emit({ type: 'reply', id: m.id, reply: { ok: 'maybe' } });
    setTimeout(() => this.emit({ type: 'reply', id: m.id, reply: { ok: true, value: { starts: this.starts } } }), 1);
  }
  onMessage(l: (m: unknown) => void): void {
    this.messageListeners.push(l);
  }
  onExit(l: (e: EngineExit) => void): void {
    this.exitListeners.push(l);
  }
  kill(): void {
    this.exit({ code: null, signal: 'SIGTERM' });
  }
  private emit(m: unknown): void {
    if (!this.exited) for (const l of this.messageListeners) l(m);
  }
  private exit(e: EngineExit): void {
    if (this.exited) return;
    this.exited = true;
    setTimeout(() => this.exitListeners.forEach((l) => l(e)), 1);
  }
}

describe('restart policy (scripted processes)', () => {
  const fast = { restartDelayMs: 1, maxRestartDelayMs: 4, log: () => undefined };

  test('a crash loop ends in "failed" and calls fail with the reason', async () => {
    const host = new EngineHost({ ...fast, maxCrashes: 3, crashWindowMs: 60_000, launch: (n) => new FakeProcess(n, 'die-at-start') });
    const status = recordStatus(host);
    await expect(host.start()).rejects.toThrow(/crashed 3 times/);
    expect(host.state).toBe('failed');
    expect(host.starts).toBe(3);
    expect(status.at(-1)).toMatchObject({ state: 'failed' });
    const reply = await host.call('getEngineInfo', {});
    expect(reply).toMatchObject({ ok: false, error: { code: 'engine_crashed' } });
    if (!reply.ok) expect(reply.error.message).toMatch(/no longer restarted/);
    await host.dispose();
  });

  test('a failed first start is retried; crashes after ready restart too', async () => {
    const plan: ('ok' | 'die-at-start')[] = ['die-at-start', 'ok', 'ok'];
    const host = new EngineHost({ ...fast, launch: (n) => new FakeProcess(n, plan[n - 1] ?? 'ok') });
    const status = recordStatus(host);
    await host.start();
    expect(await host.call('getEngineInfo', {})).toEqual({ ok: true, value: { starts: 2 } });
    const crashed = await host.call('crash', {});
    expect(crashed).toMatchObject({ ok: false, error: { code: 'engine_crashed', message: expect.stringContaining('signal SIGSEGV') } });
    expect(await host.call('getEngineInfo', {})).toEqual({ ok: true, value: { starts: 3 } });
    expect(status.map((s) => s.state)).toEqual(['starting', 'crashed', 'restarting', 'ready', 'crashed', 'restarting', 'ready']);
    await host.dispose();
  });

  test('a process that never says ready is killed and replaced', async () => {
    const plan: ('ok' | 'silent')[] = ['silent', 'ok'];
    const host = new EngineHost({ ...fast, readyTimeoutMs: 50, launch: (n) => new FakeProcess(n, plan[n - 1] ?? 'ok') });
    await host.start();
    expect(host.starts).toBe(2);
    await host.dispose();
  });

  test('dispose during a start stops it quietly: no crash reported, start() rejects', async () => {
    const host = new EngineHost({ ...fast, launch: (n) => new FakeProcess(n, 'silent') });
    const status = recordStatus(host);
    const starting = host.start();
    await sleep(5);
    await host.dispose();
    await expect(starting).rejects.toThrow(/shut down/);
    expect(status.map((s) => s.state)).toEqual(['starting']);
    expect(host.starts).toBe(1);
  });

  test('malformed replies are dropped, not delivered', async () => {
    const host = new EngineHost({ ...fast, launch: (n) => new FakeProcess(n, 'ok') });
    expect(await host.call('garbage', {})).toEqual({ ok: true, value: { starts: 1 } });
    await host.dispose();
  });

  test('dispose resolves calls in flight as cancelled', async () => {
    let proc: FakeProcess | undefined;
    const host = new EngineHost({
      ...fast,
      launch: (n) => {
        proc = new FakeProcess(n, 'ok');
        proc.postMessage = () => undefined; // never answers
        return proc;
      },
    });
    await host.start();
    const pending = host.call('getEngineInfo', {});
    await sleep(5);
    await host.dispose();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(proc?.exited).toBe(true);
  });
});
