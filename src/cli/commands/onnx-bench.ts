/**
 * `s5 onnx-bench`: the speed of a tagger + separator pair in the app's ONNX Runtime engine — one
 * tagger run and one separator run (all slots in one pass) on the same noise clip, repeated after
 * a warm-up. The trainer's `bench infer --pair-tagger` calls it for the app's speed goal.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { S5Error } from '../../shared/errors';
import { InferenceHost, type LoadedSession } from '../../engine/inference/ort-client';
import { sha256File } from '../../engine/models/hash';
import { parseCommandArgs, requireOption } from '../args';
import { EXIT, UsageError, type CliIO, type Command } from '../io';
import { positiveInt } from './separate';

const HELP = `Usage: s5 onnx-bench --tagger T.onnx --separator S.onnx [--seconds 10] [--threads 2]
                     [--repeat 5] [--rate 16000] [--tagger-rate R] [--channels 4] [--slots 3]
                     [--json]

Times a tagger + separator pair in S5 Studio's ONNX Runtime engine (the worker thread and
session options separation uses, CPU): one tagger run and one separator run with all slots
in one pass, on the same noise clip, repeated after one warm-up run. Session creation is
not timed.

Options:
  --seconds S       clip length (default 10)
  --threads N       ONNX Runtime intra-op threads (default 2)
  --repeat R        timed runs (default 5)
  --rate HZ         the separator's sample rate (default 16000)
  --tagger-rate HZ  the tagger's, when it differs (default: --rate)
  --channels C      input channels (default 4)
  --slots K         separator slots, one label each (default 3)
  --json            one JSON line: {"seconds", "threads", "repeat", "tagger_ms",
                    "separator_ms", "pair_ms", "pair_cpu_ms"}, each {"min", "median"}
  -h, --help        show this help

pair_cpu_ms is the process CPU time of the pair (all threads).
Exit status: 0 success, 1 data error, 2 usage error.
`;

const OPTIONS = {
  tagger: { type: 'string' },
  separator: { type: 'string' },
  seconds: { type: 'string' },
  threads: { type: 'string' },
  repeat: { type: 'string' },
  rate: { type: 'string' },
  'tagger-rate': { type: 'string' },
  channels: { type: 'string' },
  slots: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const onnxBenchCommand: Command = { name: 'onnx-bench', summary: 'time a tagger + separator pair in the engine', help: HELP, run: runOnnxBench };

/** Reproducible noise in ±0.1 (xorshift32). */
function noise(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = ((s / 4294967296) - 0.5) * 0.2;
  }
  return out;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)] };
};

async function load(inference: InferenceHost, file: string): Promise<LoadedSession> {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new S5Error('not_found', 'no such model file', abs);
  return inference.load(abs, await sha256File(abs));
}

async function runOnnxBench(args: string[], io: CliIO): Promise<number> {
  const v = parseCommandArgs(args, OPTIONS);
  if (v.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  const seconds = Number(v.seconds ?? '10');
  if (!(seconds > 0 && seconds <= 3600)) throw new UsageError(`--seconds must be a number of seconds in (0, 3600] (got '${v.seconds}')`);
  const threads = positiveInt('threads', v.threads, 1, 1024) ?? 2;
  const repeat = positiveInt('repeat', v.repeat, 1, 10_000) ?? 5;
  const rate = positiveInt('rate', v.rate, 1000, 384_000) ?? 16000;
  const taggerRate = positiveInt('tagger-rate', v['tagger-rate'], 1000, 384_000) ?? rate;
  const channels = positiveInt('channels', v.channels, 1, 64) ?? 4;
  const slots = positiveInt('slots', v.slots, 1, 64) ?? 3;
  const inference = new InferenceHost({ threads, provider: 'cpu' });
  try {
    const tagger = await load(inference, requireOption(v, 'tagger'));
    const separator = await load(inference, requireOption(v, 'separator'));
    const n = Math.round(seconds * rate);
    const nt = Math.round(seconds * taggerRate);
    let mix: Float32Array = noise(channels * n, 7);
    let tmix: Float32Array | null = taggerRate === rate ? null : noise(channels * nt, 7);
    let label: Float32Array = new Float32Array(slots * 18);
    for (let s = 0; s < slots; s++) label[s * 18 + ((s * 5) % 18)] = 1;
    const tt: number[] = [];
    const st: number[] = [];
    const pt: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < repeat + 1; r++) {
      const u0 = process.cpuUsage();
      const a = performance.now();
      const t = await tagger.run([{ data: tmix ?? mix, dims: [1, channels, tmix ? nt : n] }]);
      if (tmix) tmix = t.inputs[0];
      else mix = t.inputs[0]; // the transfer to the worker hands the arrays back with the reply
      const b = performance.now();
      const s = await separator.run([{ data: mix, dims: [1, channels, n] }, { data: label, dims: [1, slots * 18] }]);
      [mix, label] = s.inputs;
      const c = performance.now();
      const u = process.cpuUsage(u0);
      if (r === 0) continue; // warm-up
      tt.push(b - a); st.push(c - b); pt.push(c - a); cpu.push((u.user + u.system) / 1000);
    }
    const res = { seconds, threads, repeat, tagger_ms: stats(tt), separator_ms: stats(st), pair_ms: stats(pt), pair_cpu_ms: stats(cpu) };
    if (v.json) io.stdout(`${JSON.stringify(res)}\n`);
    else io.stdout(`pair ${seconds}s @${threads} threads: tagger min ${res.tagger_ms.min.toFixed(0)} ms, separator min ${res.separator_ms.min.toFixed(0)} ms, pair min ${res.pair_ms.min.toFixed(0)} / median ${res.pair_ms.median.toFixed(0)} ms, pair CPU min ${res.pair_cpu_ms.min.toFixed(0)} ms\n`);
  } finally {
    await inference.dispose();
  }
  return EXIT.ok;
}
