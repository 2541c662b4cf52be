/**
 * `s5 listen`: Live's listen path rendered offline (issue #17). The recording goes through the same
 * live session as the Live view (engine/live/render.ts: an unpaced replay, every block processed,
 * nothing skipped, as fast as the CPU allows) in direct mode (a beam per class at its direction)
 * or clean mode (the separator); the WAV holds what a listener would hear, aligned with the input.
 * Prints the latency budget: block sizes, algorithmic delay, processing per block.
 */
import path from 'node:path';
import { BEAM_PATTERNS, LISTEN_MODES, type ListenMode, type LiveSessionInfo, type LiveStats } from '../../shared/api-live';
import { S5Error } from '../../shared/errors';
import { S5_LABELS, type S5Label } from '../../shared/labels';
import { writeAudio } from '../../engine/audio';
import { renderListen, type ListenRender } from '../../engine/live/render';
import { EXIT, formatWarning, UsageError, type CliIO, type Command } from '../io';
import { choice, openRuntime, parseWithFiles, RUNTIME_OPTIONS, runtimeArgs } from './separate';

const HELP = `Usage: s5 listen FILE --class LABEL [--class LABEL…] [--mode direct|clean] -o OUT.wav

Renders what Live lets you hear of one or more sound classes, for a recording, with exactly
the Live view's code (no real-time pacing: every block is processed, as fast as the CPU
allows), and prints the latency budget of the mode.

Modes:
  direct   a first-order beam per class, steered at the class's direction (from the
           separator, run every --direction-hop seconds on a --direction-window window)
           while the class's label is on; low latency, the isolation of a first-order beam
  clean    the separator on a sliding --listen-window, newest hop crossfaded into the
           output; full isolation, one hop (0.25 s) plus the separator's time late

Options:
  --class LABEL            a class to hear (repeat for several; they are mixed).
                           Names: ${S5_LABELS.join(', ')}
  --mode M                 direct (default) or clean
  -o, --out OUT.wav        output: mono 32-bit float WAV at the model rate, sample i = input
                           sample i (the mode's algorithmic delay is reported, not applied)
  --beam B                 direct mode's beam: ${BEAM_PATTERNS.join(', ')} (default max-re)
  --hop S                  tagger hop in seconds (default 0.25)
  --listen-window S        clean mode's separator window (default 2)
  --direction-hop S        direct mode: seconds between direction passes (default 0.5)
  --direction-window S     direct mode: the direction pass's window (default 1)
  --models ID,ID           use these models instead of the active pair
  --channel-format F       the recording's channel format (default ACN/SN3D)
  --threads N              ONNX Runtime threads (default: all cores)
  --provider P             auto (default), cpu, cuda
  --json                   print the budget as one JSON line instead of text
  -h, --help               show this help

Exit status: 0 success, 1 data error, 2 usage error.
`;

const OPTIONS = {
  class: { type: 'string', multiple: true },
  mode: { type: 'string', default: 'direct' },
  out: { type: 'string', short: 'o' },
  beam: { type: 'string', default: 'max-re' },
  hop: { type: 'string' },
  'listen-window': { type: 'string' },
  'direction-hop': { type: 'string' },
  'direction-window': { type: 'string' },
  ...RUNTIME_OPTIONS,
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const listenCommand: Command = { name: 'listen', summary: "render what Live's listen modes let you hear of a class (direct beam or clean)", help: HELP, run: runListen };

function seconds(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number of seconds from ${min} to ${max} (got '${value}')`);
  return n;
}

function classes(values: readonly string[] | undefined): S5Label[] {
  if (!values || values.length === 0) throw new UsageError(`name a class to hear with --class (accepted: ${S5_LABELS.join(', ')})`);
  const byLower = new Map(S5_LABELS.map((l) => [l.toLowerCase(), l]));
  const out: S5Label[] = [];
  for (const v of values.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean)) {
    const l = byLower.get(v.toLowerCase());
    if (!l) throw new UsageError(`--class: unknown class '${v}' (accepted: ${S5_LABELS.join(', ')})`);
    if (!out.includes(l)) out.push(l);
  }
  return out;
}

export interface ListenBudget {
  mode: ListenMode;
  modelRate: number;
  /** Block the render handed over (the replay's 10 ms; a device delivers its buffer size). */
  captureBlockMs: number;
  /** direct: beam step; clean: the hop (output blocks). */
  processingBlockMs: number;
  /** Delay the mode adds by design (frames waiting for the end of their hop), min/mean/max ms. */
  algorithmicMs: { min: number; mean: number; max: number };
  /** Measured: beam time per block (direct), model time per hop, per direction pass. */
  beamPerBlockMs: { p50: number | null; p95: number | null };
  taggerPerHopMs: number;
  separatorPerHopMs: number;
  directionPassMs: number;
  directionHopMs: number;
  hopMs: number;
  /**
   * Measured in this render: capture → output written, per frame, the replay's 10 ms blocks
   * taken as captured in real time (a frame waits for the end of its block) plus the processing.
   * Without a clock the frames of a hop arrive at once, so clean mode's wait for the end of the
   * hop is not in it.
   */
  measuredMs: { p50: number | null; p95: number | null };
  /**
   * A live session with 10 ms capture blocks: the measured figure, a 10 ms output buffer, and in
   * clean mode the wait for the end of the hop (half a hop at p50, 95 % of one at p95).
   */
  expectedLiveMs: { p50: number | null; p95: number | null };
  realTimeFactor: number;
}

/** The latency budget of a render (what a live session of the same mode would add up to). */
export function listenBudget(info: LiveSessionInfo, stats: LiveStats, wallMs: number, inputSeconds: number): ListenBudget {
  const block = 10;
  const hop = info.hopSeconds * 1000;
  const fade = 10;
  const direct = info.listenMode === 'direct';
  const algorithmic = direct ? { min: 0, mean: 0, max: 0 } : { min: fade, mean: fade + hop / 2, max: fade + hop };
  const lat = stats.latencyByMode[info.listenMode];
  const beam = { p50: stats.directBlockMsP50, p95: stats.directBlockMsP95 };
  const plus = (v: number | null, wait: number) => (v === null ? null : v + block + (direct ? 0 : wait));
  return {
    mode: info.listenMode,
    modelRate: info.modelRate,
    captureBlockMs: block,
    processingBlockMs: direct ? info.directStepSeconds * 1000 : hop,
    algorithmicMs: algorithmic,
    beamPerBlockMs: beam,
    taggerPerHopMs: stats.tagMs,
    separatorPerHopMs: stats.separateMs,
    directionPassMs: stats.directionMs,
    directionHopMs: info.directionHopSeconds * 1000,
    hopMs: hop,
    measuredMs: { p50: lat.p50Ms, p95: lat.p95Ms },
    expectedLiveMs: { p50: plus(lat.p50Ms, hop / 2), p95: plus(lat.p95Ms, 0.95 * hop) },
    realTimeFactor: wallMs / 1000 / inputSeconds,
  };
}

const ms = (v: number | null) => (v === null ? '—' : v < 1 ? `${v.toFixed(3)} ms` : `${v.toFixed(1)} ms`);

function describe(file: string, out: string, r: ListenRender, b: ListenBudget, labels: readonly S5Label[]): string {
  const secs = r.pcm.length / r.rate;
  const lines = [
    `${file} → ${out}: ${b.mode} mode, ${labels.join(' + ')}${b.mode === 'direct' ? `, beam ${r.info.beam}` : ''}; ${secs.toFixed(2)} s rendered in ${(r.wallMs / 1000).toFixed(1)} s (${(1 / b.realTimeFactor).toFixed(2)}x real time)`,
    `latency budget (${b.mode}):`,
    `  capture block          ${ms(b.captureBlockMs)} (this render: 10 ms replay blocks; a device: its buffer, e.g. 480 frames at 48 kHz)`,
    b.mode === 'direct'
      ? `  processing block       ${ms(b.processingBlockMs)} beam step (${Math.round(r.info.directStepSeconds * r.rate)} frames at ${r.rate} Hz); output block = capture block`
      : `  processing block       ${ms(b.processingBlockMs)} hop (output block), 10 ms crossfade`,
    b.mode === 'direct'
      ? `  algorithmic delay      0 ms (the beam looks at no future samples)`
      : `  algorithmic delay      ${ms(b.algorithmicMs.min)} … ${ms(b.algorithmicMs.max)}, mean ${ms(b.algorithmicMs.mean)} (a frame waits for the end of its hop)`,
    b.mode === 'direct'
      ? `  processing per block   beam p50 ${ms(b.beamPerBlockMs.p50)}, p95 ${ms(b.beamPerBlockMs.p95)}; direction pass ${ms(b.directionPassMs)} every ${ms(b.directionHopMs)} (separator on ${r.info.directionWindowSeconds} s, in the background)`
      : `  processing per hop     tagger ${ms(b.taggerPerHopMs)} + separator ${ms(b.separatorPerHopMs)} (on ${r.info.listenWindowSeconds} s) every ${ms(b.hopMs)}`,
    ...(b.mode === 'direct' ? [`  tagger per hop         ${ms(b.taggerPerHopMs)} every ${ms(b.hopMs)}`] : []),
    `  measured here          capture → output written p50 ${ms(b.measuredMs.p50)}, p95 ${ms(b.measuredMs.p95)} (10 ms blocks as if captured live, + processing)`,
    `  expected live          p50 ${ms(b.expectedLiveMs.p50)}, p95 ${ms(b.expectedLiveMs.p95)} (+ 10 ms output buffer${b.mode === 'clean' ? ', + the wait for the end of the hop' : ''})`,
  ];
  return `${lines.join('\n')}\n`;
}

async function runListen(args: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseWithFiles(args, OPTIONS);
  if (v.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `name one recording (got ${positionals.length})` : 'name the recording to render');
  const labels = classes(v.class);
  const mode = choice('mode', v.mode, LISTEN_MODES) as ListenMode;
  const beam = choice('beam', v.beam, BEAM_PATTERNS);
  if (!v.out) throw new UsageError('name the output file with -o OUT.wav');
  if (!/\.wav$/i.test(v.out)) throw new UsageError(`-o must name a .wav file (got '${v.out}')`);
  const rt = runtimeArgs(v);
  const file = positionals[0];
  const runtime = openRuntime(rt);
  try {
    const r = await renderListen(() => runtime, {
      path: file, labels, mode, beam, channelFormat: rt.channelFormat, models: rt.models,
      hopSeconds: seconds('hop', v.hop, 0.05, 5),
      listenWindowSeconds: seconds('listen-window', v['listen-window'], 0.5, 60),
      directionHopSeconds: seconds('direction-hop', v['direction-hop'], 0.05, 10),
      directionWindowSeconds: seconds('direction-window', v['direction-window'], 0.25, 60),
    });
    for (const w of r.info.warnings) io.stderr(formatWarning(w));
    if (!r.info.separator) throw new S5Error('not_found', 'listening needs a separator model; none is installed or active', file);
    await writeAudio(path.resolve(v.out), [r.pcm], r.rate, 'float32');
    const b = listenBudget(r.info, r.stats, r.wallMs, r.pcm.length / r.rate);
    io.stdout(v.json ? `${JSON.stringify({ file, out: v.out, labels, info: r.info, budget: b, stats: r.stats })}\n` : describe(file, v.out, r, b, labels));
  } finally {
    await runtime.dispose();
  }
  return EXIT.ok;
}
