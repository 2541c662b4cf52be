/**
 * The run manager with an installed trainer (issue #14): `pip install ./trainer` into a fresh
 * virtual environment (offline: Debian's torch/numpy/scipy/soundfile through
 * --system-site-packages), and no trainer folder beside the app (S5_TRAINER_DIR names an empty
 * place) — the chosen Python's own s5trainer must be found and used; the system Python, which has
 * none, is refused with the fix. With the trainer folder present, it comes first on PYTHONPATH.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledTrainerDir, findTrainerPython, trainerCwd, trainerEnv } from '../../src/engine/training/python';

const ROOT = path.resolve(__dirname, '../..');
const SYSTEM_PYTHON = '/usr/bin/python3';
let tmp: string;
let venvPython: string | null = null;
let skipReason = '';
const savedTrainerDir = process.env.S5_TRAINER_DIR;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 's5-trainer-install-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'PYTHONPATH' && k !== 'VIRTUAL_ENV'));
  const made = spawnSync(SYSTEM_PYTHON, ['-m', 'venv', '--system-site-packages', path.join(tmp, 'venv')], { env, encoding: 'utf8', timeout: 600_000 });
  if (made.status !== 0) {
    skipReason = `cannot create a virtual environment with ${SYSTEM_PYTHON} -m venv (Debian: apt-get install python3-venv): ${made.stderr}`;
    return;
  }
  const src = path.join(tmp, 'trainer');
  for (const name of ['pyproject.toml', 'README.md', 's5trainer', 'resources']) {
    cpSync(path.join(ROOT, 'trainer', name), path.join(src, name), { recursive: true, filter: (f) => !f.includes('__pycache__') });
  }
  const py = path.join(tmp, 'venv', 'bin', 'python');
  execFileSync(py, ['-m', 'pip', 'install', '--no-index', '--no-build-isolation', '--no-deps', src], { env, cwd: tmp, stdio: 'pipe', timeout: 600_000 });
  venvPython = py;
}, 900_000);

afterAll(() => {
  if (savedTrainerDir === undefined) delete process.env.S5_TRAINER_DIR;
  else process.env.S5_TRAINER_DIR = savedTrainerDir;
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('trainer installed with pip into a venv', () => {
  it('with no trainer folder beside the app, the venv Python is accepted and runs its own s5trainer', async (ctx) => {
    if (!venvPython) ctx.skip(skipReason);
    process.env.S5_TRAINER_DIR = path.join(tmp, 'no-trainer-here');
    expect(bundledTrainerDir()).toBeNull();
    expect(trainerEnv().PYTHONPATH).toBe(process.env.PYTHONPATH); // nothing added
    const report = await findTrainerPython(venvPython as string, tmp);
    expect(report.ok, report.problems.join('; ')).toBe(true);
    expect(report.python?.startsWith(path.join(tmp, 'venv'))).toBe(true);
    expect(report.torch).toMatch(/^\d+\.\d+/);
    // What a run starts: `python -m s5trainer` with the run manager's environment and folder.
    const where = execFileSync(venvPython as string, ['-c', 'import s5trainer; print(s5trainer.__file__)'], { cwd: trainerCwd(), env: trainerEnv(), encoding: 'utf8' });
    expect(where.trim().startsWith(path.join(tmp, 'venv'))).toBe(true);
  }, 600_000);

  it('the system Python without s5trainer is refused with the fix (pip install ./trainer)', async () => {
    process.env.S5_TRAINER_DIR = path.join(tmp, 'no-trainer-here');
    const report = await findTrainerPython(SYSTEM_PYTHON, tmp);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toContain('cannot import the trainer package s5trainer');
    expect(report.problems[0]).toContain('pip install ./trainer');
  }, 600_000);

  it('with the trainer folder present, it is first on PYTHONPATH (the app’s own trainer wins)', () => {
    delete process.env.S5_TRAINER_DIR;
    const dir = bundledTrainerDir();
    expect(dir).toBe(path.join(ROOT, 'trainer'));
    expect(trainerEnv().PYTHONPATH?.split(path.delimiter)[0]).toBe(dir);
    expect(trainerCwd()).toBe(dir);
  });
});
