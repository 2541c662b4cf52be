/**
 * Fault injection on the engine process (issue #9 item 4): the real engine, forked by the real
 * EngineHost, is SIGKILLed
 *   - while `separate` analyses a 40-s recording (before the first window is done) and while it
 *     writes the stems (half-way): the caller gets `engine_crashed`, the host reports
 *     crashed → restarting → ready, nothing but temporary `*.part` files exists in the output
 *     folder, a retry succeeds with full-length stems (read back by sox) and the staging folders
 *     of the killed engines are gone;
 *   - while recording a replay-as-live session: the WAV on disk is readable by the app's reader
 *     and by sox, both see the same frames, those frames are the input sample for sample, and
 *     they reach at least two seconds short of what the engine had taken in at the kill (the
 *     header is rewritten every second of audio).
 * Shipped models, demo scene looped; the user data folder is a temporary one.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallReply } from '../../src/shared/api';
import { readAudio } from '../../src/engine/audio';
import { EngineHost } from '../../src/host/engine-host';
import { forkNodeEngine } from '../../src/host/node-launcher';
import { DEMO_SCENE, isTempName, listFiles, soxAvailable, soxRead, until, writeLoopedScene } from './faults-fixtures';

type Status = { state: string; failedMethods: string[] };

let tmp: string;
let host: EngineHost;
const statuses: Status[] = [];
const progress: { job?: string; stage: string; done: number; total: number }[] = [];
const savedDataDir = process.env.S5_DATA_DIR;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 's5-faults-engine-'));
  process.env.S5_DATA_DIR = path.join(tmp, 'data'); // inherited by the forked engines
  host = new EngineHost({ launch: forkNodeEngine({ stdio: 'ignore' }), restartDelayMs: 50 });
  host.subscribe((event, payload) => {
    if (event === 'engineStatus') statuses.push(payload as Status);
    if (event === 'progress') progress.push(payload as (typeof progress)[number]);
  });
  await host.start();
});

afterAll(async () => {
  await host?.dispose();
  if (savedDataDir === undefined) delete process.env.S5_DATA_DIR;
  else process.env.S5_DATA_DIR = savedDataDir;
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Kills the engine, awaits the failed call and the restart; returns the failed reply. */
async function killDuring(call: Promise<CallReply>): Promise<CallReply> {
  const pid = host.pid!;
  statuses.length = 0;
  process.kill(pid, 'SIGKILL');
  const reply = await call;
  await until('engine ready again', () => statuses.some((s) => s.state === 'ready'), 300_000);
  expect(statuses.map((s) => s.state)).toEqual(['crashed', 'restarting', 'ready']);
  expect(host.pid).not.toBe(pid);
  return reply;
}

function expectCrashed(reply: CallReply, method: string): void {
  expect(reply).toMatchObject({ ok: false, error: { code: 'engine_crashed' } });
  if (!reply.ok) expect(reply.error.message).toMatch(new RegExp(`SIGKILL.*${method}`));
}

describe('engine killed during separate', () => {
  it('analysis and stem writing: engine_crashed, only *.part files left, a retry succeeds', async () => {
    const rec = path.join(tmp, 'long-scene.wav');
    await writeLoopedScene(rec, 40);
    const out = path.join(tmp, 'out');
    const recDir = path.join(out, 'long-scene');

    // 1. During analysis: before the first window is done.
    progress.length = 0;
    const first = host.call('separate', { path: rec, outDir: out, jobId: 'kill-analysis' });
    await new Promise((r) => setTimeout(r, 150));
    expect(progress.filter((p) => p.job === 'kill-analysis')).toHaveLength(0);
    expectCrashed(await killDuring(first), 'separate');
    const afterAnalysis = listFiles(out);
    for (const f of afterAnalysis) expect(isTempName(f.rel), `final name after a kill: ${f.rel}`).toBe(true);

    // 2. While the stems are being written: half-way through the windows.
    progress.length = 0;
    const second = host.call('separate', { path: rec, outDir: out, jobId: 'kill-writing' });
    await until('half the windows', () => progress.some((p) => p.job === 'kill-writing' && p.stage === 'process' && p.done >= p.total / 2), 480_000);
    const staged = listFiles(out).filter((f) => f.rel.startsWith('long-scene/.s5-stems-'));
    expect(staged.length, 'stems are being written when the engine dies').toBeGreaterThan(0);
    expect(Math.max(...staged.map((f) => f.size))).toBeGreaterThan(16_000 * 2); // > 1 s of 16-bit audio
    expectCrashed(await killDuring(second), 'separate');
    const afterWriting = listFiles(out);
    expect(afterWriting.length).toBeGreaterThan(0);
    for (const f of afterWriting) expect(isTempName(f.rel), `final name after a kill: ${f.rel}`).toBe(true);

    // 3. Retry in the restarted engine: succeeds, full-length stems, leftovers of the dead engines removed.
    const retry = await host.call('separate', { path: rec, outDir: out, jobId: 'retry' });
    if (!retry.ok) throw new Error(`retry failed: ${retry.error.message}`);
    const result = retry.value as { stems: { file: string }[]; recording: { duration_s: number } };
    expect(result.stems.length).toBeGreaterThan(0);
    const left = listFiles(out).map((f) => f.rel);
    expect(left.filter((f) => isTempName(f) || f.includes('.s5-stems-')), 'staging leftovers after the retry').toEqual([]);
    expect(left).toContain('long-scene/labels.json');
    for (const stem of result.stems) {
      const wav = soxRead(path.join(recDir, stem.file));
      expect(wav.channels).toBe(1);
      expect(wav.frames).toBe(40 * wav.rate);
    }
  }, 600_000);
});

/** Frames the 4-channel 16-bit WAV's data chunk declares right now (0 before its first header write). */
function declaredFrames(file: string): number {
  let b: Buffer;
  try {
    b = readFileSync(file).subarray(0, 4096);
  } catch {
    return 0;
  }
  for (let off = 12; off + 8 <= b.length; off += 8 + b.readUInt32LE(off + 4) + (b.readUInt32LE(off + 4) & 1)) {
    if (b.toString('latin1', off, off + 4) === 'data') return Math.floor(b.readUInt32LE(off + 4) / 8);
  }
  return 0;
}

describe.skipIf(!soxAvailable())('engine killed during a live recording', () => {
  it('the WAV stays readable (app reader and sox agree) and holds the input up to the last header rewrite', async () => {
    const recordDir = path.join(tmp, 'recordings');
    mkdirSync(recordDir);
    const start = await host.call('liveStart', {
      source: { kind: 'replay', path: DEMO_SCENE, speed: 4, loop: true },
      output: { kind: 'none' }, recordDir,
    });
    if (!start.ok) throw new Error(start.error.message);
    // Wait on the file's own state: its header declares ≥ 5 s of audio (rewritten every second
    // of audio written; on a busy machine the writer may lag the session's counter by seconds).
    const wavFile = () => readdirSync(recordDir).find((n) => n.endsWith('.wav'));
    let durable = 0;
    await until('5 s durable on disk', () => {
      const name = wavFile();
      durable = name ? declaredFrames(path.join(recordDir, name)) : 0;
      return durable >= 5 * 32_000;
    }, 300_000, 50);
    const reply = await killDuring(new Promise<CallReply>((resolve) => setTimeout(() => resolve({ ok: true, value: {} }), 1)));
    expect(reply.ok).toBe(true);

    const wavName = wavFile()!;
    expect(wavName).toMatch(/^live-\d{8}-\d{6}\.wav$/);
    const file = path.join(recordDir, wavName);
    const app = await readAudio(file);
    const sox = soxRead(file);
    const rate = app.info.sampleRate;
    const frames = app.data[0].length;
    expect([app.info.channels, rate]).toEqual([4, 32_000]);
    expect([sox.channels, sox.rate, sox.frames]).toEqual([4, rate, frames]);
    // Everything the header declared before the kill is still there (the kill cannot take it back).
    expect(frames).toBeGreaterThanOrEqual(durable);

    // The frames on disk are the replayed input (the demo scene looped), sample for sample, in both readers.
    const demo = (await readAudio(DEMO_SCENE)).data;
    const period = demo[0].length;
    let mismatches = 0;
    for (let i = 0; i < frames; i++) {
      for (let c = 0; c < 4; c++) {
        const want = Math.round(demo[c][i % period] * 32768);
        if (Math.round(app.data[c][i] * 32768) !== want || sox.samples[i * 4 + c] !== want) mismatches++;
      }
    }
    expect(mismatches).toBe(0);

    // The events file holds whole JSON lines (a kill may cut only the last one short).
    const lines = readFileSync(file.replace(/\.wav$/, '.events.jsonl'), 'utf8').split('\n').filter(Boolean);
    for (const line of lines.slice(0, -1)) expect(() => JSON.parse(line)).not.toThrow();

    // The restarted engine has no session and starts a new one.
    const status = await host.call('liveStatus', {});
    expect(status).toMatchObject({ ok: true, value: { running: false } });
  }, 600_000);
});
