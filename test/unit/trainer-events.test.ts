/**
 * shared/trainer-events.ts against the real trainer: a tiny training run (5 steps of the smoke-test
 * config) must print only lines that parse with the zod schema, in protocol order, and a broken
 * config must end in a parsable `failed` event with a non-zero exit. Skipped, with the reason,
 * where Debian's python3 has no torch.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { TERMINAL_TRAINER_EVENTS, TrainerEventSchema, parseTrainerEvent } from '../../src/shared/trainer-events';

const ROOT = resolve(__dirname, '../..');
const PYTHON = process.env.S5_PYTHON ?? '/usr/bin/python3';
const ENV = { ...process.env, PYTHONPATH: join(ROOT, 'trainer'), PYTHONUNBUFFERED: '1' };

const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const skipReason = probe.status === 0 ? null : `${PYTHON} cannot import torch (${probe.error?.message ?? probe.stderr.trim()})`;
if (skipReason) console.warn(`trainer-events: skipped: ${skipReason}`);

const tmp = mkdtempSync(join(tmpdir(), 's5-trainer-events-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function train(args: string[]) {
  const r = spawnSync(PYTHON, ['-m', 's5trainer', 'train', ...args], { cwd: ROOT, env: ENV, encoding: 'utf8', timeout: 600_000 });
  const lines = r.stdout.split('\n').filter((l) => l.length > 0);
  return { status: r.status, lines, stderr: r.stderr };
}

describe.skipIf(skipReason !== null)('trainer event stream', () => {
  test('a 5-step tiny run prints only schema-valid events, in order', () => {
    const workdir = join(tmp, 'run');
    const r = train(['--config', join(ROOT, 'trainer/configs/tiny.yaml'), '--workdir', workdir, '--max-steps', '5', '--device', 'cpu']);
    expect(r.status, r.stderr).toBe(0);
    const events = r.lines.map((l) => parseTrainerEvent(l));
    const names = events.map((e) => e.event);
    expect(names[0]).toBe('started');
    expect(names.at(-1)).toBe('finished');
    expect(names.filter((n) => TERMINAL_TRAINER_EVENTS.includes(n))).toEqual(['finished']);
    const steps = events.flatMap((e) => (e.event === 'progress' ? [e.step] : []));
    expect(steps).toEqual([1, 2, 3, 4, 5]);
    for (const e of events) expect(e.run).toBe('run');
    const validation = events.find((e) => e.event === 'validation');
    expect(validation?.event === 'validation' && validation.ca_sdri).toEqual(expect.any(Number));
    const finished = events.at(-1);
    expect(finished?.event === 'finished' && finished.step).toBe(5);
    // the run folder keeps an identical copy of the stream
    expect(readFileSync(join(workdir, 'events.jsonl'), 'utf8').trim().split('\n')).toEqual(r.lines);
    expect(JSON.parse(readFileSync(join(workdir, 'run.json'), 'utf8')).status).toBe('finished');
  });

  test('a bad config ends in a parsable failed event and a non-zero exit', () => {
    const cfg = join(tmp, 'bad.yaml');
    writeFileSync(cfg, 'train: {lr: fast}\n');
    const r = train(['--config', cfg, '--workdir', join(tmp, 'bad'), '--device', 'cpu']);
    expect(r.status).not.toBe(0);
    expect(r.lines).toHaveLength(1);
    const e = parseTrainerEvent(r.lines[0]);
    expect(e.event).toBe('failed');
    expect(e.event === 'failed' && e.code).toBe('bad_config');
    expect(e.event === 'failed' && e.error).toContain('train.lr');
  });
});

describe('trainer event schema', () => {
  const t = '2026-01-02T03:04:05.678Z';
  test('rejects unknown events, wrong versions and NaN-free violations', () => {
    expect(TrainerEventSchema.safeParse({ event: 'progress', v: 1, time: t, run: 'r', step: 1, total: 2, loss: 0.5, lr: 1e-4, samples_per_s: 3, eta_s: 1 }).success).toBe(true);
    expect(TrainerEventSchema.safeParse({ event: 'exploded', v: 1, time: t, run: 'r' }).success).toBe(false);
    expect(TrainerEventSchema.safeParse({ event: 'cancelled', v: 2, time: t, run: 'r', step: 3 }).success).toBe(false);
    expect(TrainerEventSchema.safeParse({ event: 'cancelled', v: 1, time: 'yesterday', run: 'r', step: 3 }).success).toBe(false);
    expect(TrainerEventSchema.safeParse({ event: 'progress', v: 1, time: t, run: 'r', step: 1, total: 2, loss: null, lr: 1, samples_per_s: 1, eta_s: 1 }).success).toBe(false);
    expect(() => parseTrainerEvent('not json')).toThrow();
  });

  test('keeps known fields and drops additions from a newer trainer', () => {
    const e = parseTrainerEvent(JSON.stringify({ event: 'cancelled', v: 1, time: t, run: 'r', step: 7, extra: 1 }));
    expect(e).toEqual({ event: 'cancelled', v: 1, time: t, run: 'r', step: 7 });
  });
});
