/**
 * The Live view's device list is probed in a child process (src/engine/live/device-probe.ts) so
 * libasound's "ALSA lib …" probe lines never reach the terminal the engine runs in (issue #16):
 * run in a separate process each, the quiet listing prints none of them on stderr and lists
 * exactly what the in-process listing lists (which, on a machine without a sound card, prints
 * ~95 such lines per call).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(__dirname, '../..');
const TSX = path.join(repo, 'node_modules/.bin/tsx');

function list(quiet: boolean): { list: unknown; alsaLines: number } {
  const code = `(async () => {
    const mod = await import(${JSON.stringify(path.join(repo, 'src/engine/live/portaudio.ts'))});
    const m = mod.listDevices ? mod : mod.default;
    const r = ${quiet ? 'await m.listDevicesQuietly()' : 'm.listDevices()'};
    process.stdout.write(JSON.stringify(r));
  })().catch((e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(TSX, ['-e', code], { cwd: repo, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`listing failed (${r.status}): ${r.stderr}`);
  const stdout = r.stdout;
  const stderr = r.stderr;
  return { list: JSON.parse(stdout), alsaLines: stderr.split('\n').filter((l) => /^ALSA lib /.test(l)).length };
}

describe('PortAudio device probe', () => {
  it('lists the same devices as the in-process probe, without a single ALSA line on stderr', () => {
    const loud = list(false);
    const quiet = list(true);
    expect(quiet.list).toEqual(loud.list);
    expect(quiet.alsaLines).toBe(0);
    console.log(`ALSA lines on stderr per listing: in-process ${loud.alsaLines}, quiet ${quiet.alsaLines}`);
  });
});
