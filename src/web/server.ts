/**
 * Web mode (`npm run web`): the same UI in any browser against a local engine. One node:http
 * server bound to 127.0.0.1 only serves the built renderer (./static.ts) and the `S5Api` over a
 * WebSocket on `/api` (./socket.ts), protected by a random token that is part of the printed URL.
 * The engine runs in a forked Node process behind an `EngineHost` (crash → error reply, restart).
 *
 * CLI: `tsx src/web/server.ts [--port N] [--static DIR]` prints
 *   S5 Studio web mode: http://127.0.0.1:PORT/?token=…
 * and runs until SIGINT/SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { EngineHost } from '../host/engine-host';
import { forkNodeEngine } from '../host/node-launcher';
import { contentSecurityPolicy } from '../host/security';
import { createSocketApi } from './socket';
import { createStaticHandler } from './static';

export interface WebBridgeOptions {
  /** Only loopback is supported: the token is the only other protection. */
  host?: '127.0.0.1';
  /** 0 (default) = any free port. */
  port?: number;
  /** The built renderer; default `.vite/renderer/main_window` under the working directory. */
  staticDir?: string;
  /** Default: 32 random bytes, base64url. */
  token?: string;
  /** Default: a new engine in a forked Node process, disposed by `close()`. A given one is not. */
  engine?: EngineHost;
}

export interface WebBridge {
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_STATIC_DIR = path.join('.vite', 'renderer', 'main_window');

export async function startWebBridge(options: WebBridgeOptions = {}): Promise<WebBridge> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const ownEngine = !options.engine;
  const engine = options.engine ?? new EngineHost({ launch: forkNodeEngine({ shell: 'web' }) });
  let port = 0;
  const cspFor = () => contentSecurityPolicy({ connect: [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`] });
  const api = createSocketApi({ engine, token, port: () => port });
  const server = createServer(
    createStaticHandler({ root: path.resolve(options.staticDir ?? DEFAULT_STATIC_DIR), port: () => port, csp: cspFor }),
  );
  server.on('upgrade', (req, socket, head) => api.handleUpgrade(req, socket, head));
  try {
    await engine.start();
    port = await listen(server, options.port ?? 0);
  } catch (err) {
    await api.close();
    if (ownEngine) await engine.dispose();
    throw err;
  }
  const close = async () => {
    await api.close();
    await closeServer(server);
    if (ownEngine) await engine.dispose();
  };
  return { url: `http://127.0.0.1:${port}/?token=${token}`, token, port, close };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

// ---- CLI ---------------------------------------------------------------------------------------

export function parseCliArgs(argv: readonly string[]): { port: number; staticDir?: string } {
  const out: { port: number; staticDir?: string } = { port: 0 };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = argv[i].split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--port') {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port needs an integer 0–65535');
      out.port = port;
    } else if (flag === '--static') {
      out.staticDir = value();
    } else {
      throw new Error(`unknown option ${flag} (accepted: --port N, --static DIR)`);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseCliArgs(process.argv.slice(2));
  const bridge = await startWebBridge({ port: args.port, ...(args.staticDir ? { staticDir: args.staticDir } : {}) });
  process.stdout.write(`S5 Studio web mode: ${bridge.url}\n`);
  const stop = () => {
    void bridge.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`S5 Studio web mode could not start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
