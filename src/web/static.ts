/**
 * HTTP side of the web bridge: serves the built renderer (and nothing else) from one folder.
 * GET/HEAD only; the Host header must name the bridge's loopback address (DNS-rebinding guard);
 * the request path is resolved by security.ts `resolveStaticPath` (no `..`, no encoded escapes, no
 * dotfiles) and the real path must still lie inside the folder (no symlink escapes). Every
 * response, errors included, carries the strict security headers; documents carry the CSP.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { documentSecurityHeaders, isLoopbackHost, mimeTypeFor, resolveStaticPath } from '../host/security';

export interface StaticOptions {
  root: string;
  /** The bridge's port, known once it listens. */
  port: () => number;
  csp: () => string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function createStaticHandler(options: StaticOptions): Handler {
  return (req, res) => {
    serve(options, req, res).catch((err: unknown) => {
      process.stderr.write(`[s5 web] ${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}\n`);
      if (!res.headersSent) sendText(options, res, 500, 'internal error');
      else res.destroy();
    });
  };
}

async function serve(options: StaticOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!isLoopbackHost(req.headers.host, options.port())) return sendText(options, res, 403, 'forbidden host');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return sendText(options, res, 405, 'method not allowed');
  }
  const file = await locate(options.root, req.url ?? '/');
  if (!file) {
    const hint = (req.url ?? '/').split('?')[0] === '/' ? ' (is the renderer built? run `npm run build:renderer`)' : '';
    return sendText(options, res, 404, `not found${hint}`);
  }
  res.writeHead(200, {
    ...documentSecurityHeaders(options.csp()),
    'Content-Type': mimeTypeFor(file.path),
    'Content-Length': String(file.size),
  });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file.path).on('error', () => res.destroy()).pipe(res);
}

/** The file a request path names, or null: outside the root (also via symlinks), missing, or not a file. */
async function locate(root: string, url: string): Promise<{ path: string; size: number } | null> {
  const candidate = resolveStaticPath(root, url);
  if (!candidate) return null;
  try {
    const [realRoot, real] = await Promise.all([realpath(root), realpath(candidate)]);
    if (!real.startsWith(realRoot + path.sep)) return null;
    const info = await stat(real);
    return info.isFile() ? { path: real, size: info.size } : null;
  } catch {
    return null;
  }
}

function sendText(options: StaticOptions, res: ServerResponse, status: number, text: string): void {
  const body = `${text}\n`;
  res.writeHead(status, {
    ...documentSecurityHeaders(options.csp()),
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}
