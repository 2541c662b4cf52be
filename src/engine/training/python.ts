/**
 * Finding the Python that runs the trainer, and asking it about the machine: each candidate (the
 * `training.python` setting, else `pythonCandidates()`: `$S5_PYTHON`, `/usr/bin/python3`, then
 * `python3` on PATH — the same list `s5 doctor` reports) runs
 * `python -m s5trainer doctor --json`; the first one that answers with torch wins. A candidate that
 * is missing, has no torch or no numpy, or cannot import the trainer gets a specific message with
 * the fix. The doctor's JSON is validated with zod (it crosses a process boundary).
 * `TrainerPythonChoice` keeps the user's choice in settings.json and the last report.
 */
import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from '../../shared/zod';
import type { TrainDoctor } from '../../shared/api-train';
import { repoRoot } from '../settings/paths';
import type { SettingsStore } from '../settings/settings';

/**
 * Interpreters to try for the trainer, in order, without duplicates of one real file: `$S5_PYTHON`,
 * then Debian's `/usr/bin/python3` (which has python3-torch), then `python3` on PATH.
 */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = [env.S5_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p);
  const seen = new Set<string>();
  return list.filter((p) => {
    let real = p;
    try {
      if (p.includes('/') && existsSync(p)) real = realpathSync(p);
    } catch {
      /* keep p */
    }
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  });
}

/**
 * The `trainer/` folder holding the `s5trainer` package: `S5_TRAINER_DIR`, else the packaged app's
 * `<resources>/trainer` (forge.config.ts ships it), else the checkout's `trainer/`.
 */
export function trainerDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.S5_TRAINER_DIR) return path.resolve(env.S5_TRAINER_DIR);
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  if (resources && existsSync(path.join(resources, 'trainer', 's5trainer'))) return path.join(resources, 'trainer');
  return path.join(repoRoot(), 'trainer');
}

/** `trainerDir()` when the package really is there, else null: then only an installed s5trainer
 *  (`pip install ./trainer` into the chosen Python) can run. */
export function bundledTrainerDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const dir = trainerDir(env);
  return existsSync(path.join(dir, 's5trainer', '__init__.py')) ? dir : null;
}

/** Working folder of trainer processes: the trainer folder, or the home folder when there is none. */
export function trainerCwd(env: NodeJS.ProcessEnv = process.env): string {
  return bundledTrainerDir(env) ?? os.homedir();
}

/**
 * Environment for a trainer process: unbuffered output and, when the app has its trainer folder,
 * that folder first on PYTHONPATH (the trainer of the app's own version wins over an installed
 * one); without it the Python's installed s5trainer runs.
 */
export function trainerEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const dir = bundledTrainerDir();
  const prior = process.env.PYTHONPATH;
  const pythonPath = dir ? { PYTHONPATH: prior ? `${dir}${path.delimiter}${prior}` : dir } : {};
  return { ...process.env, ...pythonPath, PYTHONUNBUFFERED: '1', ...extra };
}

/** The trainer's `doctor --json` (trainer/PROTOCOL.md); extra fields are dropped. */
const TrainerDoctorSchema = z.object({
  ok: z.boolean(),
  python: z.object({ version: z.string(), executable: z.string() }),
  torch: z.object({ version: z.string(), cuda: z.string().nullable(), cuda_available: z.boolean() }).nullable(),
  gpus: z.array(z.object({ index: z.number().int(), name: z.string(), memory_bytes: z.number().nullable().optional() })),
  cpu: z.object({ logical: z.number().int().nullable(), usable: z.number().int().nullable(), torch_threads: z.number().int().nullable().optional() }),
  disk: z.object({ path: z.string(), free_bytes: z.number(), total_bytes: z.number() }).nullable(),
  torchrun: z.boolean().optional(),
  torchrun_extra_args: z.array(z.string()).optional(),
  problems: z.array(z.string()),
});
type TrainerDoctor = z.infer<typeof TrainerDoctorSchema>;

interface ExecResult { code: number | null; stdout: string; stderr: string; spawnError: NodeJS.ErrnoException | null }

function run(file: string, args: string[], cwd: string, timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: trainerEnv(), timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: string | number }) | null;
      const spawnError = e && typeof e.code === 'string' ? e : null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout: String(stdout), stderr: String(stderr), spawnError });
    });
  });
}

const FIX_TORCH = 'install PyTorch for it (Debian/Ubuntu: `sudo apt-get install python3-torch`; otherwise `pip install torch`), or choose a Python that has it in Train → Python';

/** Turns a failed doctor run into one sentence: what is wrong with `python`, and the fix. */
export function explainFailure(python: string, r: ExecResult): string {
  if (r.spawnError?.code === 'ENOENT') {
    return `${python}: no such program. Install Python 3 with PyTorch (Debian/Ubuntu: \`sudo apt-get install python3 python3-torch python3-numpy python3-scipy python3-soundfile python3-yaml\`) or set the Python path in Train → Python`;
  }
  if (r.spawnError?.code === 'EACCES') return `${python}: not executable (permission denied); choose another Python in Train → Python`;
  if (r.spawnError) return `${python}: cannot be started (${r.spawnError.code}: ${r.spawnError.message})`;
  const missing = /No module named '?([\w.]+)'?/.exec(r.stderr)?.[1]; // python -m X prints the name unquoted
  if (missing === 'torch') return `${python} has no PyTorch (No module named 'torch'): ${FIX_TORCH}`;
  if (missing === 's5trainer') {
    return `${python} cannot import the trainer package s5trainer (looked in ${trainerDir()}): install it into that Python (\`pip install ./trainer\` from the S5 Studio sources) or set S5_TRAINER_DIR to the folder holding s5trainer/`;
  }
  if (missing) return `${python} lacks the Python package '${missing}': install it (Debian/Ubuntu: \`sudo apt-get install python3-${missing === 'yaml' ? 'yaml' : missing}\`, or \`pip install ${missing}\`)`;
  const last = r.stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ?? `exit code ${r.code}`;
  return `${python}: the trainer's doctor failed (${last.slice(0, 300)})`;
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(bytes < 10 * 2 ** 30 ? 1 : 0)} GiB`;
}

function toReport(doc: TrainerDoctor, tried: TrainDoctor['tried'], setting: string | null): TrainDoctor {
  const cuda = doc.torch?.cuda_available === true && doc.gpus.length > 0;
  const threads = doc.cpu.usable ?? doc.cpu.logical ?? 0;
  const summary = cuda
    ? `CUDA · ${doc.gpus.map((g) => `${g.name}${g.memory_bytes ? ` (${gib(g.memory_bytes)})` : ''}`).join(', ')}`
    : `CPU · ${threads} thread${threads === 1 ? '' : 's'}`;
  return {
    ok: doc.ok && doc.torch !== null,
    python: doc.python.executable,
    python_version: doc.python.version,
    torch: doc.torch?.version ?? null,
    cuda_available: cuda,
    gpus: doc.gpus.map((g) => ({ index: g.index, name: g.name, memory_bytes: g.memory_bytes ?? null })),
    cpu_threads: threads,
    disk_free_bytes: doc.disk?.free_bytes ?? null,
    disk_path: doc.disk?.path ?? null,
    devices: cuda ? ['cpu', 'cuda'] : ['cpu'],
    summary,
    problems: doc.problems,
    tried,
    torchrun: doc.torchrun ?? false,
    torchrun_extra_args: doc.torchrun_extra_args ?? [],
    python_setting: setting,
  };
}

/**
 * Tries the candidates in order; answers the first working one's report, else a report with
 * `ok: false`, `python: null` and every candidate's problem in `problems`.
 * `diskPath`: where runs are written (the doctor measures free space there).
 */
export async function findTrainerPython(setting: string | null, diskPath: string, timeoutMs = 60_000): Promise<TrainDoctor> {
  const candidates = setting ? [setting] : pythonCandidates();
  const tried: TrainDoctor['tried'] = [];
  for (const python of candidates) {
    const r = await run(python, ['-m', 's5trainer', 'doctor', '--json', '--run-dir', diskPath], trainerCwd(), timeoutMs);
    let parsed: TrainerDoctor | null = null;
    const line = r.stdout.trim().split('\n').filter(Boolean).slice(-1)[0];
    if (line) {
      try {
        parsed = TrainerDoctorSchema.parse(JSON.parse(line));
      } catch {
        parsed = null;
      }
    }
    if (parsed && parsed.torch) {
      tried.push({ executable: python, ok: true, error: null });
      return toReport(parsed, tried, setting);
    }
    const error = parsed && !parsed.torch ? `${python} has no PyTorch: ${FIX_TORCH}` : explainFailure(python, r);
    tried.push({ executable: python, ok: false, error });
  }
  return {
    ok: false, python: null, python_version: null, torch: null, cuda_available: false, gpus: [], cpu_threads: 0,
    disk_free_bytes: null, disk_path: null, devices: ['cpu'],
    summary: 'no Python with PyTorch found',
    problems: tried.map((t) => t.error ?? ''),
    tried, torchrun: false, torchrun_extra_args: [], python_setting: setting,
  };
}

/**
 * The trainer's Python as the user chose it (`training.python` in settings.json; null: try the
 * candidates) and the doctor's last report for it, which the start checks reuse for a minute.
 */
export class TrainerPythonChoice {
  private last: { at: number; setting: string | null; report: TrainDoctor } | null = null;

  /** `runsDir`: where runs are written (created if needed; the doctor measures free space there). */
  constructor(private readonly settings: () => SettingsStore, private readonly runsDir: string) {}

  async setting(): Promise<string | null> {
    const s = await this.settings().load();
    const t = (s as Record<string, unknown>).training as { python?: unknown } | undefined;
    return typeof t?.python === 'string' && t.python.length > 0 ? t.python : null;
  }

  async set(python: string | null): Promise<void> {
    await this.settings().update((s) => {
      const prev = ((s as Record<string, unknown>).training ?? {}) as Record<string, unknown>;
      return { ...s, training: { ...prev, python } };
    });
  }

  /** The doctor's report; `fresh` false reuses one younger than a minute (start checks this way). */
  async doctor(fresh = true): Promise<TrainDoctor> {
    const setting = await this.setting();
    if (!fresh && this.last && this.last.setting === setting && Date.now() - this.last.at < 60_000) return this.last.report;
    await mkdir(this.runsDir, { recursive: true });
    const report = await findTrainerPython(setting, this.runsDir);
    this.last = { at: Date.now(), setting, report };
    return report;
  }
}
