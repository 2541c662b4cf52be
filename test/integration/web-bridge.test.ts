/**
 * The web bridge (src/web) with the real forked engine, over real HTTP and WebSocket on
 * loopback. The client side is the renderer's own transport (src/renderer/lib/transport-ws.ts)
 * driven through the `ws` package. A temporary static folder stands in for the built renderer.
 * Proves: strict headers; no path traversal; token, Origin and Host checks on the socket;
 * `pickFile` answered by the bridge; typed arrays over the socket; garbage frames do not hurt the
 * server; engine crashes reach web clients as events; the client transport reconnects.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import type { S5Api } from '../../src/shared/api';
import { createS5Client } from '../../src/shared/client';
import { S5Error } from '../../src/shared/errors';
import { encodeFrame, decodeFrame } from '../../src/shared/wire';
import { EngineHost } from '../../src/host/engine-host';
import { forkNodeEngine } from '../../src/host/node-launcher';
import { startWebBridge, type WebBridge } from '../../src/web/server';
import { sleep, writeRampWav } from './host-fixtures';
import { connectWebSocketTransport, type SocketLike, type WsTransport } from '../../src/renderer/lib/transport-ws';

const nodeSocket = (url: string) => new WebSocket(url) as unknown as SocketLike;

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP request: the path goes on the wire exactly as given (no URL normalisation). */
function request(port: number, rawPath: string, init: { method?: string; host?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: rawPath, method: init.method ?? 'GET', headers: { host: init.host ?? `127.0.0.1:${port}` } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Opens a raw socket; resolves 'open' or the HTTP status of the refused upgrade. */
function tryUpgrade(url: string, origin?: string): Promise<number | 'open'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => undefined);
  });
}

/** Opens an authorised raw socket for sending hand-made frames. */
function openRaw(bridge: WebBridge): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/api?token=${bridge.token}`);
    ws.on('open', () => resolve(ws));
    ws.on('error', reject);
  });
}

const closeCode = (ws: WebSocket) => new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));

describe('web bridge', () => {
  let bridge: WebBridge;
  let staticDir: string;
  let transport: WsTransport;
  let api: S5Api;

  beforeAll(async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 's5-web-'));
    staticDir = path.join(root, 'site');
    mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
    writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>S5</title>');
    writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'export {}');
    writeFileSync(path.join(staticDir, 'assets', 'dsp.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
    writeFileSync(path.join(staticDir, '.secret'), 'no');
    writeFileSync(path.join(root, 'outside.txt'), 'outside');
    symlinkSync(path.join(root, 'outside.txt'), path.join(staticDir, 'assets', 'link.txt'));
    bridge = await startWebBridge({ port: 0, staticDir });
    transport = await connectWebSocketTransport(`ws://127.0.0.1:${bridge.port}/api`, bridge.token, { createSocket: nodeSocket });
    api = createS5Client(transport);
  });

  afterAll(async () => {
    transport?.close();
    await bridge?.close();
    rmSync(path.dirname(staticDir), { recursive: true, force: true });
  });

  describe('HTTP', () => {
    test('prints a loopback URL with the token', () => {
      expect(bridge.url).toBe(`http://127.0.0.1:${bridge.port}/?token=${bridge.token}`);
      expect(bridge.token.length).toBeGreaterThanOrEqual(32);
    });

    test('serves index.html with the strict headers', async () => {
      const res = await request(bridge.port, '/?token=x');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${bridge.port}`);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(res.headers['cross-origin-embedder-policy']).toBe('require-corp');
    });

    test('MIME types for scripts and wasm', async () => {
      expect((await request(bridge.port, '/assets/app.js')).headers['content-type']).toMatch(/^text\/javascript/);
      expect((await request(bridge.port, '/assets/dsp.wasm')).headers['content-type']).toBe('application/wasm');
    });

    test.each([
      '/../package.json',
      '/..%2fpackage.json',
      '/%2e%2e/%2e%2e/package.json',
      '/assets/..%2f..%2f..%2fpackage.json',
      '/assets/%2e%2e%5c%2e%2e%5cpackage.json',
      '/.secret',
      '/assets/link.txt',
      '/assets',
      '/missing.js',
    ])('%s → 404', async (p) => {
      const res = await request(bridge.port, p);
      expect(res.status).toBe(404);
      expect(res.body).not.toContain('outside');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    });

    test('foreign Host header (DNS rebinding) → 403; POST → 405', async () => {
      expect((await request(bridge.port, '/', { host: 'evil.example' })).status).toBe(403);
      expect((await request(bridge.port, '/', { method: 'POST' })).status).toBe(405);
    });

    test('listens on 127.0.0.1 only', async () => {
      const external = Object.values(os.networkInterfaces())
        .flat()
        .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
      if (!external) return; // no non-loopback interface on this machine
      const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
        const req = http.get({ host: external, port: bridge.port, path: '/', timeout: 2000 }, () => resolve(null));
        req.on('error', (e) => resolve(e));
        req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      });
      expect(err?.code).toMatch(/ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH/);
    });
  });

  describe('WebSocket admission', () => {
    test('no token, wrong token → 401', async () => {
      expect(await tryUpgrade(`ws://127.0.0.1:${bridge.port}/api`)).toBe(401);
      expect(await tryUpgrade(`ws://127.0.0.1:${bridge.port}/api?token=${bridge.token.slice(1)}x`)).toBe(401);
    });

    test('right token but foreign Origin → 403; own origin → open', async () => {
      const url = `ws://127.0.0.1:${bridge.port}/api?token=${bridge.token}`;
      expect(await tryUpgrade(url, 'http://evil.example')).toBe(403);
      expect(await tryUpgrade(url, `http://127.0.0.1:${bridge.port}`)).toBe('open');
    });

    test('other paths → 404', async () => {
      expect(await tryUpgrade(`ws://127.0.0.1:${bridge.port}/other?token=${bridge.token}`)).toBe(404);
    });
  });

  describe('S5Api over the socket', () => {
    test('getEngineInfo comes from the web-mode engine', async () => {
      const info = await api.getEngineInfo({});
      expect(info.shell).toBe('web');
      expect(info.pid).not.toBe(process.pid);
    });

    test('pickFile is answered by the bridge with {path: null}', async () => {
      expect(await api.pickFile({ purpose: 'audio' })).toEqual({ path: null });
      await expect(api.pickFile({ purpose: 'nope' as 'audio' })).rejects.toMatchObject({ code: 'invalid_request' });
    });

    test('engine errors arrive as S5Error with their code', async () => {
      const err = await api.openAudio({ path: '/no/such/file.wav' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(S5Error);
      expect((err as S5Error).code).toBe('not_found');
    });

    test('Uint8Array up, Float32Array down', async () => {
      const bytes = new Uint8Array(2 * 1024 * 1024).map((_, i) => (i * 13) & 0xff);
      const { path: stored } = await api.importFile({ name: 'up.bin', data: bytes });
      expect(Buffer.compare(readFileSync(stored), Buffer.from(bytes))).toBe(0);
      const wav = path.resolve('../shared/realdata/jsambisonics_room_1_bf_wxyz_44k.wav');
      const opened = await api.openAudio({ path: wav, overviewBuckets: 128 });
      expect(opened.overview.min[0]).toBeInstanceOf(Float32Array);
      expect(opened.overview.min[0].length).toBe(128);
      rmSync(path.dirname(stored), { recursive: true, force: true });
    });
  });

  describe('garbage on the socket', () => {
    test('text frame → closed with 1003', async () => {
      const ws = await openRaw(bridge);
      const closed = closeCode(ws);
      ws.send('hello');
      expect(await closed).toBe(1003);
    });

    test('undecodable binary frame → closed with 1007', async () => {
      const ws = await openRaw(bridge);
      const closed = closeCode(ws);
      ws.send(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9]));
      expect(await closed).toBe(1007);
    });

    test('a well-formed frame that is not a call gets invalid_request, and the socket stays', async () => {
      const ws = await openRaw(bridge);
      const replies: unknown[] = [];
      ws.on('message', (data: Buffer) => replies.push(decodeFrame(new Uint8Array(data))));
      ws.send(encodeFrame({ type: 'bogus', id: 5 }));
      ws.send(encodeFrame({ type: 'call', id: 6, method: 'getEngineInfo', arg: {} }));
      await expect.poll(() => replies.length).toBe(2);
      expect(replies[0]).toMatchObject({ type: 'reply', id: 5, reply: { ok: false, error: { code: 'invalid_request' } } });
      expect(replies[1]).toMatchObject({ type: 'reply', id: 6, reply: { ok: true } });
      ws.close();
    });

    test('the server still serves after all that', async () => {
      expect((await api.getEngineInfo({})).shell).toBe('web');
      expect((await request(bridge.port, '/')).status).toBe(200);
    });
  });

  test('an engine crash reaches web clients as events; the next call works', async () => {
    const states: string[] = [];
    const off = api.on('engineStatus', (s) => states.push(s.state));
    const { pid } = await api.getEngineInfo({});
    process.kill(pid, 'SIGKILL');
    await expect.poll(() => states.includes('ready'), { timeout: 300_000 }).toBe(true); // an engine start transpiles its sources: minutes on a busy box
    off();
    expect(states).toEqual(['crashed', 'restarting', 'ready']);
    expect((await api.getEngineInfo({})).starts).toBe(2);
  });
});

describe('client transport across a bridge restart', () => {
  const noSite = path.join(os.tmpdir(), 's5-no-such-site');

  test('pending calls fail clearly, the transport reconnects and says so', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 's5-web-slow-'));
    const wav = path.join(dir, 'long.wav');
    writeRampWav(wav, 300);
    const engine = new EngineHost({ launch: forkNodeEngine({ shell: 'web' }) });
    const token = 'fixed-token-for-the-reconnect-test';
    let bridge = await startWebBridge({ port: 0, token, engine, staticDir: noSite });
    const port = bridge.port;
    const transport = await connectWebSocketTransport(`ws://127.0.0.1:${port}/api`, token, {
      createSocket: nodeSocket,
      minDelayMs: 50,
      maxDelayMs: 200,
    });
    const api = createS5Client(transport);
    const states: string[] = [];
    api.on('engineStatus', (s) => states.push(s.state));
    try {
      expect((await api.getEngineInfo({})).shell).toBe('web');
      const slow = api.openAudio({ path: wav }).catch((e: unknown) => e);
      await sleep(30);
      await bridge.close();
      expect(await slow).toMatchObject({ code: 'internal', message: expect.stringMatching(/connection .* lost while running openAudio/) });
      await expect.poll(() => states.includes('restarting')).toBe(true);
      expect(transport.connected).toBe(false);
      bridge = await startWebBridge({ port, token, engine, staticDir: noSite });
      await expect.poll(() => states.includes('ready'), { timeout: 300_000 }).toBe(true);
      expect((await api.getEngineInfo({})).shell).toBe('web');
    } finally {
      transport.close();
      await bridge.close();
      await engine.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
    const err = await api.getEngineInfo({}).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'cancelled' });
  });

  test('a wrong token fails the first connection with a readable message', async () => {
    const engine = new EngineHost({ launch: forkNodeEngine({ shell: 'web' }) });
    const bridge = await startWebBridge({ port: 0, engine, staticDir: noSite });
    try {
      await expect(
        connectWebSocketTransport(`ws://127.0.0.1:${bridge.port}/api`, 'wrong', { createSocket: nodeSocket }),
      ).rejects.toThrow(/could not connect to the S5 engine bridge/);
    } finally {
      await bridge.close();
      await engine.dispose();
    }
  });
});
