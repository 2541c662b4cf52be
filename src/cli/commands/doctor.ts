/**
 * `s5 doctor`: checks what this machine can run — ONNX Runtime and its execution providers, the
 * GPU, threads, the provider sessions get (and why not CUDA), the models and their problems, and
 * Python/PyTorch for training — before anything long starts.
 */
import type { DoctorReport } from '../../shared/api';
import { doctorReport } from '../../engine/doctor';
import { parseCommandArgs } from '../args';
import { EXIT, type CliIO, type Command } from '../io';
import { openRuntime, runtimeArgs } from './separate';

const HELP = `Usage: s5 doctor [--json] [--threads N] [--provider auto|cpu|cuda]

Reports ONNX Runtime (version, execution providers), the GPU, the threads and provider
inference will use (checked by loading the active tagger) with the reason when CUDA is not
used, the model folders with any broken model and why, the active models, the Python /
PyTorch the trainer would use, and whether this command runs from its bundle or the sources.

Options:
  --json       print the report as one JSON object
  --threads N  ONNX Runtime threads to check with (default: all cores)
  --provider P auto (default), cpu, cuda
  -h, --help   show this help

Exit status: 0 when inference can run (ONNX Runtime starts), 1 otherwise, 2 usage error.
`;

const OPTIONS = {
  json: { type: 'boolean', default: false },
  threads: { type: 'string' },
  provider: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const doctorCommand: Command = { name: 'doctor', summary: 'check ONNX Runtime, GPU, models and Python/PyTorch', help: HELP, run: runDoctor };

const yes = (b: boolean) => (b ? 'yes' : 'no');

export function formatDoctor(r: DoctorReport): string {
  const lines = [
    `S5 Studio ${r.engine.version}  (node ${r.engine.node}, ${r.engine.platform})`,
    `CPU          ${r.cpu.model}, ${r.cpu.cores} cores; inference threads ${r.threads}`,
    `GPU          ${r.gpu.present ? r.gpu.names.join(', ') : 'none found'}`,
    `ONNX Runtime ${r.onnxruntime.version ?? `not available (${r.onnxruntime.error})`}; backends ${r.onnxruntime.backends.map((b) => `${b.name}${b.bundled ? '' : ' (not bundled)'}`).join(', ') || '-'}`,
    `CUDA EP      built ${yes(r.onnxruntime.cuda_built)}, installed ${yes(r.onnxruntime.cuda_installed)}`,
    `Provider     ${r.provider.selected} (preference ${r.provider.preference}${r.provider.verified ? `, session created in ${r.provider.session_create_s?.toFixed(3)} s` : ', not verified: no model loaded'})`,
  ];
  if (r.provider.fallback_reason) lines.push(`             not CUDA: ${r.provider.fallback_reason}`);
  lines.push(`Data folder  ${r.data_dir}`);
  for (const root of r.models.roots) lines.push(`Models       ${root.source.padEnd(7)} ${root.dir}${root.exists ? '' : ' (does not exist)'}`);
  lines.push(`             ${r.models.valid} usable of ${r.models.total}; active tagger ${r.models.active.tagger ?? '-'}, separator ${r.models.active.separator ?? '-'} (${r.models.active.from})`);
  for (const bad of r.models.invalid) lines.push(`  broken ${bad.id}: ${bad.errors.join('; ')}`);
  for (const p of r.python) {
    const what = p.torch ? `Python ${p.version}, PyTorch ${p.torch}, CUDA ${yes(!!p.torch_cuda)}` : `${p.version ? `Python ${p.version}, ` : ''}${p.error}`;
    lines.push(`Python       ${p.executable}: ${what}`);
    if (p.version === null) continue;
    if (p.trainer) lines.push(`               trainer s5trainer ${p.trainer.version} from ${p.trainer.path}`);
    const packages = Object.entries(p.packages ?? {});
    if (packages.length) lines.push(`               packages ${packages.map(([name, v]) => `${name} ${v ?? 'MISSING'}`).join(', ')}`);
    for (const problem of p.problems ?? []) if (problem !== p.error) lines.push(`               problem: ${problem}`);
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}

/**
 * How this `s5` runs: the bundle (dist/node/s5.js, scripts/build-node.mjs) or the TypeScript
 * sources (through tsx: bin/s5.cjs falls back to them when the bundle is missing or older than
 * the sources; slower to start). Read from where this code was loaded from.
 */
export function cliRuntime(file: string = __filename): { runs_from: 'bundle' | 'sources'; file: string } {
  return { runs_from: file.endsWith('.ts') ? 'sources' : 'bundle', file };
}

function formatCliRuntime(c: ReturnType<typeof cliRuntime>): string {
  return c.runs_from === 'bundle'
    ? `Command line bundle ${c.file}\n`
    : `Command line sources (TypeScript through tsx; 'npm run build:node' builds the faster-starting bundle)\n`;
}

async function runDoctor(args: string[], io: CliIO): Promise<number> {
  const v = parseCommandArgs(args, OPTIONS);
  if (v.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  const runtime = openRuntime(runtimeArgs(v));
  try {
    const report = await doctorReport(runtime.registry, runtime.inference);
    const cli = cliRuntime();
    io.stdout(v.json ? `${JSON.stringify({ ...report, cli }, null, 2)}\n` : formatDoctor(report) + formatCliRuntime(cli));
    return report.onnxruntime.error ? EXIT.dataError : EXIT.ok;
  } finally {
    await runtime.dispose();
  }
}
