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
  }, 60_000);
});
