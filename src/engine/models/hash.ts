/**
 * SHA-256 of model files, streamed (a 300 MB model never sits in memory), with a cache keyed by
 * path, size and modification time so listing models again does not re-read unchanged files.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

const cache = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

export async function sha256File(file: string): Promise<string> {
  const st = await stat(file);
  const hit = cache.get(file);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.sha256;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  const sha256 = hash.digest('hex');
  cache.set(file, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
  return sha256;
}
