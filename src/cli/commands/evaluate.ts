/**
 * `s5 evaluate`: scores a folder of separated sources against the oracle targets with the official
 * DCASE Task 4 metric of the chosen edition (engine/metrics/evaluate.ts) and prints either the
 * official summary lines or, with --json, one JSON object (the `EvaluateResult` contract).
 */
import { EvaluateRequestSchema, type EvaluateResult } from '../../shared/evaluate';
import { S5_LABELS, TASKS, type Task } from '../../shared/labels';
import { evaluateFolders, type EvaluateProgress } from '../../engine/metrics/evaluate';
import { parseCommandArgs, requireOption } from '../args';
import { formatEvaluateSummary, formatPerClass } from '../format';
import { EXIT, formatWarning, ProgressLine, UsageError, type CliIO, type Command } from '../io';

const HELP = `Usage: s5 evaluate --task TASK --soundscapes DIR --oracle DIR --estimates DIR [--json]

Scores separated sources against the oracle targets with the official DCASE Task 4
(S5, spatial semantic segmentation of sound scenes) evaluation metric.

Options:
  --task TASK         dcase2025t4  CA-SDRi and label prediction accuracy
                      dcase2026t4  CAPI-SDRi, mixture accuracy and source accuracy
  --soundscapes DIR   the mixtures, <name>.wav: 4-channel FOA, 32 kHz (channel 0 = W is
                      the mixture of the SDRi baseline term)
  --oracle DIR        the oracle targets (dry references), mono, 32 kHz:
                      <name>_<Label>.wav; dcase2026t4 also <name>_<i>_<Label>.wav
  --estimates DIR     the system outputs, named like the oracle targets, mono, 32 kHz
  --json              print one JSON object instead of the summary lines
  --per-class         after the summary, a table per class (dcase2025t4): mean SDRi of its
                      matched estimates, |TP| |FP| |FN| and detection F1
  -h, --help          show this help

Files:
  A source file belongs to the soundscape whose name it starts with, followed by '_'
  (the longest such name when several fit). <Label> is one of the 18 class names:
  ${wrapLabels()}
  <i> is an optional slot index (ignored by the metric; it lets one label repeat).
  Every file of a mixture must be 32 kHz and exactly as long as its soundscape.
  Soundscapes without an estimate file are scored as "no estimated labels".
  Estimates with 2+ channels are averaged to mono (as the official loader does).
  dcase2025t4 needs at least one oracle file per soundscape; in dcase2026t4 a
  soundscape without oracle files is a zero-target scene.

Metrics (per mixture, then the unweighted mean over mixtures):
  SDR(e, r) = 10·log10((Σr² + ε) / (Σ(r − e)² + ε)), ε = 2⁻²³; SDRi = SDR(e, r) − SDR(mix, r).
  dcase2025t4: labels compared as sets; each matched label adds its SDRi, each false
    positive or missed label adds 0 dB. Accuracy = % of mixtures with equal label sets.
  dcase2026t4: labels compared as multisets; inside a class, estimates are paired with
    references by the best mean SDR; unmatched ones add 0 dB; a mixture with no label on
    either side has no value and is left out of the mean. Accuracy (mixture) = % of
    mixtures with equal multisets; Accuracy (source) = 100·Σtp / (Σtp + Σfp + Σfn).

Output:
  dcase2025t4   CA-SDRi: 11.088
                Label prediction accuracy: 59.80
  dcase2026t4   CAPI-SDRi: 8.171
                Accuracy (mixture): 57.143
                Accuracy (source) : 67.147
  --json        {"task", "ca_sdri", "label_accuracy", "per_mixture": {name: {"ca_sdri",
                "labels_correct", "tp", "fp", "fn", "ref_labels", "est_labels"}}, "per_class":
                {label: {"sdri", "tp", "fp", "fn", "f1"}}, "mixtures",
                "warnings"} for dcase2025t4; {"task", "capi_sdri", "mixture_accuracy",
                "source_accuracy", "per_mixture": {name: {"capi_sdri", "labels_correct", "tp",
                "fp", "fn", …}}, "scored_mixtures", "mixtures", "warnings"} for dcase2026t4.
                Accuracies are in percent; capi_sdri is null when no mixture has a value.
  Warnings and, on a terminal, progress go to stderr.

Exit status: 0 success, 1 data error (the message names the file and the problem),
2 usage error.
`;

const OPTIONS = {
  task: { type: 'string' },
  soundscapes: { type: 'string' },
  oracle: { type: 'string' },
  estimates: { type: 'string' },
  json: { type: 'boolean', default: false },
  'per-class': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'score separated sources with the official DCASE 2025/2026 Task 4 metric',
  help: HELP,
  run: runEvaluate,
};

async function runEvaluate(args: string[], io: CliIO): Promise<number> {
  const values = parseCommandArgs(args, OPTIONS);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  const request = EvaluateRequestSchema.parse({
    task: parseTask(requireOption(values, 'task')),
    soundscapes: requireOption(values, 'soundscapes'),
    oracle: requireOption(values, 'oracle'),
    estimates: requireOption(values, 'estimates'),
  });
  const progress = new ProgressLine(io);
  let result: EvaluateResult;
  try {
    result = await evaluateFolders(request, (p) => progress.update(describeProgress(p)));
  } finally {
    progress.clear();
  }
  for (const warning of result.warnings ?? []) io.stderr(formatWarning(warning));
  io.stdout(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatEvaluateSummary(result));
  if (values['per-class'] && !values.json) io.stdout(formatPerClass(result));
  return EXIT.ok;
}

function parseTask(value: string): Task {
  if ((TASKS as readonly string[]).includes(value)) return value as Task;
  throw new UsageError(`--task must be one of ${TASKS.join(', ')} (got '${value}')`);
}

function describeProgress(p: EvaluateProgress): string {
  return p.stage === 'scan' ? `[0/${p.total}] reading…` : `[${p.done}/${p.total}] ${p.mixture ?? ''}`;
}

function wrapLabels(): string {
  const lines: string[] = [];
  let line = '';
  for (const label of S5_LABELS) {
    const next = line === '' ? label : `${line}, ${label}`;
    if (next.length > 76) {
      lines.push(`${line},`);
      line = label;
    } else {
      line = next;
    }
  }
  lines.push(line);
  return lines.join('\n  ');
}
