/**
 * `s5 tag`: the tagger alone — recording-level labels with confidence and the per-window
 * probability timeline, printed or, with --json, one JSON line per recording (the S5Result with
 * no stems).
 */
import { S5Error } from '../../shared/errors';
import { CHANNEL_FORMATS } from '../../shared/audio';
import type { S5Result } from '../../shared/result';
import { expandInputs } from '../../engine/pipeline/inputs';
import { EXIT, formatDataError, formatWarning, UsageError, type CliIO, type Command } from '../io';
import { BatchProgress, openRuntime, parseWithFiles, probeDurations, RUNTIME_OPTIONS, runtimeArgs } from './separate';

const HELP = `Usage: s5 tag <files or folders…> [--models ID] [--channel-format F] [--json]

Finds which of the 18 sound classes occur in each recording, with the active (or named)
tagger. Long recordings are tagged in overlapping windows of the model's length; a label
counts when some window selects it by the model's decision rule.

Options:
  --models ID          use this tagger instead of the active one
  --channel-format F   ${CHANNEL_FORMATS.join(', ')}
  --threads N          ONNX Runtime threads (default: all cores)
  --provider P         auto (default), cpu, cuda
  --json               one JSON line per recording: labels, timeline [{start, end, probs,
                       labels}], models, timings (the labels.json object without stems)
  -h, --help           show this help

Output: one line per recording, e.g.  scene.wav: Speech 0.97, Dishes 0.81
Exit status: 0 success, 1 data error, 2 usage error.
`;

const OPTIONS = { ...RUNTIME_OPTIONS, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } as const;

export const tagCommand: Command = { name: 'tag', summary: 'detect the sound classes in recordings (labels and timeline)', help: HELP, run: runTag };

function describe(r: S5Result): string {
  const labels = r.labels.map((l) => `${l.label}${l.count > 1 ? ` ×${l.count}` : ''} ${l.confidence.toFixed(2)}`).join(', ');
  return `${r.recording.path}: ${labels || 'no label'}\n`;
}

async function runTag(args: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseWithFiles(args, OPTIONS);
  if (v.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError('name at least one recording or folder');
  const rt = runtimeArgs(v);
  const files = await expandInputs(positionals, false);
  const runtime = openRuntime(rt);
  let failures = 0;
  try {
    const loaded = await runtime.pipeline.models(rt.models, false); // model problems stop the batch before any file
    const progress = new BatchProgress(io, io.stderrIsTTY ? await probeDurations(files) : files.map(() => 1));
    for (const [i, file] of files.entries()) {
      try {
        const result = await runtime.pipeline.tag({ path: file, loaded, channelFormat: rt.channelFormat, onProgress: (p) => progress.update(i, file, p) });
        progress.clear();
        for (const w of result.warnings) io.stderr(formatWarning(w));
        io.stdout(v.json ? `${JSON.stringify(result)}\n` : describe(result));
      } catch (err) {
        progress.clear();
        if (!(err instanceof S5Error) || files.length === 1) throw err;
        io.stderr(formatDataError(err));
        failures++;
      }
      progress.finished(i);
    }
  } finally {
    await runtime.dispose();
  }
  return failures > 0 ? EXIT.dataError : EXIT.ok;
}
