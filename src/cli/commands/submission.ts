/**
 * `s5 submission`: separates every soundscape of a folder and packs the estimates under the
 * official DCASE Task 4 names (engine/pipeline/submission.ts) into the submission zip.
 */
import { TASKS, type Task } from '../../shared/labels';
import { buildSubmission } from '../../engine/pipeline/submission';
import { parseCommandArgs, requireOption } from '../args';
import { EXIT, formatWarning, ProgressLine, UsageError, type CliIO, type Command } from '../io';
import { choice, openRuntime, positiveInt, RUNTIME_OPTIONS, runtimeArgs } from './separate';

const HELP = `Usage: s5 submission --task TASK --soundscapes DIR -o FILE.zip
                     --author A --affiliation B --number N [--models ID,ID] [--json]

Separates every soundscape (DIR/*.wav) with the active (or named) models of the task and
writes the DCASE Task 4 submission archive: mono, 32 kHz, 16-bit PCM estimates, full length.

  dcase2025t4   <A>_<B>_task4_<N>_out.zip
                  <A>_<B>_task4_<N>_out/eval_out/<soundscape>_<Label>.wav
  dcase2026t4   <A>_<B>_task4_<N>.zip
                  <A>_<B>_task4_<N>/eval_out/<soundscape>_<i>_<Label>.wav   (i = 0, 1, …)
                  <A>_<B>_task4_<N>/eval_results.json  (nparams, per-estimate probabilities)
                a soundscape where nothing is found gets no file (zero-target scene)

Options:
  --task TASK         dcase2025t4 or dcase2026t4 (the models must be for this task)
  --soundscapes DIR   the 4-channel soundscapes, <name>.wav
  -o, --out FILE.zip  the archive to write (a warning names the official file name when
                      it differs)
  --author A          family name of the corresponding author (letters, digits, '-')
  --affiliation B     institute abbreviation (letters, digits, '-')
  --number N          system number, 1–4
  --models ID,ID      tagger and separator instead of the active pair
  --threads N         ONNX Runtime threads (default: all cores)
  --provider P        auto (default), cpu, cuda
  --json              print a JSON summary {zip, root, mixtures, estimates, empty, models}
  -h, --help          show this help

The estimates can be scored with 's5 evaluate --estimates <unzipped>/<root>/eval_out'.
Exit status: 0 success, 1 data error, 2 usage error.
`;

const OPTIONS = {
  task: { type: 'string' },
  soundscapes: { type: 'string' },
  out: { type: 'string', short: 'o' },
  author: { type: 'string' },
  affiliation: { type: 'string' },
  number: { type: 'string' },
  ...RUNTIME_OPTIONS,
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const submissionCommand: Command = { name: 'submission', summary: 'write the DCASE Task 4 submission archive', help: HELP, run: runSubmission };

async function runSubmission(args: string[], io: CliIO): Promise<number> {
  const v = parseCommandArgs(args, OPTIONS);
  if (v.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  const task = choice('task', requireOption(v, 'task'), TASKS) as Task;
  const out = requireOption(v, 'out');
  if (!out.endsWith('.zip')) throw new UsageError(`--out must name a .zip file (got '${out}')`);
  const number = positiveInt('number', requireOption(v, 'number'), 1, 4) as number;
  const request = { task, soundscapes: requireOption(v, 'soundscapes'), out, author: requireOption(v, 'author'), affiliation: requireOption(v, 'affiliation'), number };
  const rt = runtimeArgs(v);
  if (rt.channelFormat) throw new UsageError('--channel-format does not apply: DCASE soundscapes are ACN/SN3D');
  const runtime = openRuntime(rt);
  const progress = new ProgressLine(io);
  try {
    const summary = await buildSubmission(runtime.pipeline, {
      ...request, models: rt.models, onProgress: (done, total, name) => progress.update(`[${done}/${total}] ${name}`),
    });
    progress.clear();
    for (const w of summary.warnings) io.stderr(formatWarning(w));
    io.stdout(v.json ? `${JSON.stringify(summary, null, 2)}\n` : `${summary.zip}: ${summary.estimates} estimates for ${summary.mixtures} soundscapes in ${summary.root}/eval_out${summary.empty.length ? ` (${summary.empty.length} without a label)` : ''}\n`);
    return EXIT.ok;
  } finally {
    progress.clear();
    await runtime.dispose();
  }
}
