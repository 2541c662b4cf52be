/**
 * `s5 doctor` / the `doctor` API: what this machine can run before anything long starts — ONNX
 * Runtime and its execution providers, GPU, threads, the chosen provider (verified by creating a
 * session of the active tagger when one is installed) with the reason for any fallback, the model
 * folders and their problems, and the Pythons the trainer could use: PyTorch, the s5trainer package
 * each imports (and from where) and the trainer's other dependencies.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import type { DoctorReport } from '../shared/api';
import type { ModelRegistry } from './models/registry';
import { activeInfo } from './models/info';
import { dataDir, settingsFile } from './settings/paths';
import { pythonCandidates, trainerCwd, trainerEnv } from './training/python';
import { APP_VERSION } from './version';
import type { InferenceHost } from './inference/ort-client';
import { planProviders } from './inference/providers';

/**
 * Run by each candidate Python with the run manager's environment (trainerEnv: the app's trainer
 * folder on PYTHONPATH when it has one) in its working folder: torch, the s5trainer package it
 * would run and where from, the trainer's other dependencies (trainer/pyproject.toml), and the
 * problems with their fixes. Prints one JSON line; never raises.
 */
const PROBE = [
  'import sys, json, os, importlib',
  "d = {'version': sys.version.split()[0], 'torch': None, 'torch_cuda': None, 'error': None, 'trainer': None, 'packages': {}, 'problems': []}",
  'try:',
  '    import torch',
  "    d['torch'] = torch.__version__",
  "    d['torch_cuda'] = bool(torch.cuda.is_available())",
  'except Exception as e:',
  "    d['error'] = f'{type(e).__name__}: {e}'",
  "    d['problems'].append(f'PyTorch does not import ({type(e).__name__}: {e}): install python3-torch (Debian/Ubuntu) or pip install torch')",
  "for mod, pkg, apt, need in (('numpy', 'numpy', 'python3-numpy', True), ('scipy', 'scipy', 'python3-scipy', True), ('soundfile', 'soundfile', 'python3-soundfile', True), ('yaml', 'PyYAML', 'python3-yaml', False), ('h5py', 'h5py', 'python3-h5py', False)):",
  '    try:',
  "        d['packages'][mod] = str(getattr(importlib.import_module(mod), '__version__', 'unknown'))",
  '    except Exception as e:',
  "        d['packages'][mod] = None",
  '        if need:',
  "            d['problems'].append(f'{mod} does not import ({type(e).__name__}): install {apt} (Debian/Ubuntu) or pip install {pkg}')",
  'try:',
  '    import s5trainer',
  "    d['trainer'] = {'version': str(getattr(s5trainer, '__version__', 'unknown')), 'path': os.path.dirname(os.path.abspath(s5trainer.__file__))}",
  'except Exception as e:',
  "    d['problems'].append(f'the trainer package s5trainer does not import ({type(e).__name__}: {e}): pip install ./trainer from the S5 Studio sources, or set S5_TRAINER_DIR')",
  'print(json.dumps(d))',
].join('\n');

type PythonInfo = DoctorReport['python'][number];

function probePython(executable: string): Promise<PythonInfo> {
  return new Promise((resolve) => {
    execFile(executable, ['-c', PROBE], { timeout: 60_000, encoding: 'utf8', env: trainerEnv(), cwd: trainerCwd() }, (err, stdout) => {
      const line = stdout?.trim().split('\n').pop();
      try {
        if (!line) throw err ?? new Error('no output');
        const d = JSON.parse(line) as Omit<PythonInfo, 'executable'>;
        resolve({
          executable, version: d.version, torch: d.torch, torch_cuda: d.torch_cuda, error: d.torch ? null : `PyTorch not importable (${d.error})`,
          trainer: d.trainer ?? null, packages: d.packages ?? {}, problems: d.problems ?? [],
        });
      } catch {
        const code = (err as NodeJS.ErrnoException | null)?.code;
        const error = code === 'ENOENT' ? 'not found' : `does not run (${err?.message ?? 'no output'})`;
        resolve({ executable, version: null, torch: null, torch_cuda: null, error, trainer: null, packages: {}, problems: [error] });
      }
    });
  });
}

export async function doctorReport(registry: ModelRegistry, inference: InferenceHost, opts: { python?: boolean } = {}): Promise<DoctorReport> {
  const warnings: string[] = [];
  const gpu = inference.gpuInfo();
  let ortError: string | null = null;
  let facts = null;
  try {
    facts = await inference.facts();
  } catch (e) {
    ortError = e instanceof Error ? e.message : String(e);
    warnings.push(`ONNX Runtime cannot start: ${ortError}`);
  }
  const pyPromise = opts.python === false ? Promise.resolve([]) : Promise.all(pythonCandidates().map(probePython));

  const entries = await registry.list();
  const active = await registry.activePair();
  const plan = facts
    ? planProviders(inference.preference, { cudaBuilt: facts.cudaBuilt, cudaInstalled: facts.cudaInstalled, gpu })
    : { attempt: ['cpu' as const], skipReason: null };
  const provider: DoctorReport['provider'] = {
    preference: inference.preference,
    selected: plan.attempt[0],
    fallback_reason: plan.skipReason,
    verified: false,
    session_create_s: null,
  };
  if (facts && active.tagger) {
    try {
      const s = await inference.load(active.tagger.onnxPath, active.tagger.manifest.sha256);
      provider.selected = s.info.provider === 'cuda' ? 'cuda' : 'cpu';
      provider.fallback_reason = s.info.fallbackReason;
      provider.verified = true;
      provider.session_create_s = Number((s.info.createMs / 1000).toFixed(4));
    } catch (e) {
      warnings.push(`the active tagger '${active.tagger.manifest.id}' does not load: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const valid = entries.filter((e) => e.valid);
  if (valid.length === 0) warnings.push('no usable model is installed: separation and tagging need a tagger and a separator');
  warnings.push(...active.warnings);

  const cpus = os.cpus();
  return {
    engine: { version: APP_VERSION, node: process.versions.node, platform: `${process.platform}-${process.arch}` },
    cpu: { model: cpus[0]?.model?.trim() ?? 'unknown', cores: os.availableParallelism() },
    threads: inference.threads,
    gpu,
    onnxruntime: {
      version: facts?.ortVersion ?? null,
      backends: facts?.backends ?? [],
      cuda_built: facts?.cudaBuilt ?? false,
      cuda_installed: facts?.cudaInstalled ?? false,
      error: ortError,
    },
    provider,
    data_dir: dataDir(),
    settings_file: settingsFile(),
    models: {
      roots: registry.roots.map((r) => ({ dir: r.dir, source: r.source, exists: existsSync(r.dir) })),
      total: entries.length,
      valid: valid.length,
      invalid: entries.filter((e) => !e.valid).map((e) => ({ id: e.id, errors: e.errors })),
      active: activeInfo(active),
    },
    python: await pyPromise,
    warnings,
  };
}
