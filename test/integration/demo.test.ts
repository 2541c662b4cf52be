/**
 * `npm run demo` (scripts/demo.sh) end to end: separates the bundled demo scenes in
 * resources/demo with the shipped default models, builds the official estimate layout and
 * scores it with `s5 evaluate --task dcase2025t4`. Output goes to a temporary OUT_DIR.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { S5ResultSchema } from '../../src/shared/result';

const ROOT = path.resolve(__dirname, '../..');
const DEMO = path.join(ROOT, 'resources', 'demo');
const out = mkdtempSync(path.join(os.tmpdir(), 's5-demo-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

const scenes = readdirSync(path.join(DEMO, 'soundscape'))
  .filter((f) => f.endsWith('.wav'))
  .map((f) => f.slice(0, -4))
  .sort();

describe('npm run demo', () => {
  it('ships 3–5 demo scenes with oracle targets, under 7 MB', () => {
    expect(scenes.length).toBeGreaterThanOrEqual(3);
    expect(scenes.length).toBeLessThanOrEqual(5);
    const oracle = readdirSync(path.join(DEMO, 'oracle_target'));
    for (const s of scenes) expect(oracle.some((f) => f.startsWith(`${s}_`))).toBe(true);
    const bytes = ['soundscape', 'oracle_target']
      .flatMap((d) => readdirSync(path.join(DEMO, d)).map((f) => statSync(path.join(DEMO, d, f)).size))
      .reduce((a, b) => a + b, 0);
    expect(bytes).toBeLessThan(7_000_000);
  });

  it('separates every scene and prints CA-SDRi and label accuracy', () => {
    const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'demo.sh')], {
      cwd: ROOT,
      env: { ...process.env, OUT_DIR: out, S5_THREADS: '2' },
      encoding: 'utf8',
      timeout: 55_000,
    });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^CA-SDRi: -?\d+\.\d{3}$/m);
    expect(r.stdout).toMatch(/^Label prediction accuracy: \d+\.\d{2}$/m);
    for (const s of scenes) {
      expect(r.stdout).toContain(s);
      const dir = path.join(out, s);
      const result = S5ResultSchema.parse(JSON.parse(readFileSync(path.join(dir, 'labels.json'), 'utf8')));
      expect(result.stems.length).toBeGreaterThanOrEqual(1);
      for (const stem of result.stems) expect(existsSync(path.join(dir, stem.file))).toBe(true);
    }
    const estimates = readdirSync(path.join(out, 'estimates'));
    for (const s of scenes) expect(estimates.some((f) => f.startsWith(`${s}_`))).toBe(true);

    // Quality floor with the shipped models. The true labels come from the oracle file names, not
    // from the app. Floors: an estimate equal to the mixture scores 0 dB SDRi by definition, so a
    // positive floor proves real separation. With s5-tag-small-v2 + s5-sep-small-16k-v2 the demo
    // measured 4.96 dB overall (5.7 dB on demo_000000, 7.9 dB on demo_000003; accuracy 2 of 3; it
    // misses demo_000002's BicycleBell): the floors are half of that, to leave room for thread-count
    // and CPU rounding differences, and a model change that loses half its quality fails here.
    const truth = (s: string) =>
      readdirSync(path.join(DEMO, 'oracle_target')).filter((f) => f.startsWith(`${s}_`)).map((f) => f.slice(s.length + 1, -4)).sort();
    const rows = new Map(
      [...r.stdout.matchAll(/^(demo_\d+)\s+.*?\s(-?\d+\.\d\d)\s+(yes|no)$/gm)].map((m) => [m[1], { sdri: Number(m[2]), ok: m[3] === 'yes' }]),
    );
    expect([...rows.keys()].sort()).toEqual(scenes);
    for (const s of ['demo_000000', 'demo_000003']) {
      const found = S5ResultSchema.parse(JSON.parse(readFileSync(path.join(out, s, 'labels.json'), 'utf8'))).labels.map((l) => l.label).sort();
      expect(found, s).toEqual(truth(s));
      expect(rows.get(s)!.ok).toBe(true);
      expect(rows.get(s)!.sdri, s).toBeGreaterThan(2.8);
    }
    expect(Number(/^CA-SDRi: (-?\d+\.\d+)$/m.exec(r.stdout)![1])).toBeGreaterThan(2.4);
  }, 600_000);
});
