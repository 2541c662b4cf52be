/**
 * Speed check of a tagger + separator pair in onnxruntime-node (the app's engine): one tagger run
 * and one separator run (all slots in one pass) on the same random clip, repeated.
 *
 *   npx tsx test/tools/bench-pair.ts --tagger T/model.onnx --separator S/model.onnx
 *        [--seconds 10] [--threads 2] [--repeat 5] [--rate 16000] [--channels 4] [--slots 3]
 *        [--tagger-rate R] [--no-spin] [--json]
 *
 * Prints min / median wall time of tagger, separator and pair (ms). Session creation is excluded.
 */
import * as ort from 'onnxruntime-node';

function arg(name: string, def?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

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

async function main(): Promise<number> {
  const tagger = arg('tagger');
  const separator = arg('separator');
  if (!tagger || !separator) {
    console.error('usage: bench-pair.ts --tagger T.onnx --separator S.onnx [--seconds 10] [--threads 2] [--repeat 5]');
    return 2;
  }
  const seconds = Number(arg('seconds', '10'));
  const threads = Number(arg('threads', '2'));
  const repeat = Number(arg('repeat', '5'));
  const rate = Number(arg('rate', '16000'));
  const trate = Number(arg('tagger-rate', String(rate)));
  const channels = Number(arg('channels', '4'));
  const slots = Number(arg('slots', '3'));
  const spin = process.argv.includes('--no-spin') ? '0' : '1';
  const opts: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: spin } } },
  };
  const ts = await ort.InferenceSession.create(tagger, opts);
  const ss = await ort.InferenceSession.create(separator, opts);
  const n = Math.round(seconds * rate);
  const nt = Math.round(seconds * trate);
  const mix = new ort.Tensor('float32', noise(channels * n, 7), [1, channels, n]);
  const tmix = trate === rate ? mix : new ort.Tensor('float32', noise(channels * nt, 7), [1, channels, nt]);
  const lv = new Float32Array(slots * 18);
  for (let s = 0; s < slots; s++) lv[s * 18 + ((s * 5) % 18)] = 1;
  const label = new ort.Tensor('float32', lv, [1, slots * 18]);
  const tt: number[] = [];
  const st: number[] = [];
  const pt: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < repeat + 1; r++) {
    const u0 = process.cpuUsage();
    const a = performance.now();
    await ts.run({ [ts.inputNames[0]]: tmix });
    const b = performance.now();
    await ss.run({ [ss.inputNames[0]]: mix, [ss.inputNames[1]]: label });
    const c = performance.now();
    const u = process.cpuUsage(u0);
    if (r === 0) continue; // warm-up
    tt.push(b - a); st.push(c - b); pt.push(c - a); cpu.push((u.user + u.system) / 1000);
  }
  // cpu_ms: process CPU time of the pair (all threads); with spinning off it approximates the
  // work, so cpu_ms / threads is the wall time on otherwise idle cores.
  const res = { seconds, threads, repeat, tagger_ms: stats(tt), separator_ms: stats(st), pair_ms: stats(pt), pair_cpu_ms: stats(cpu) };
  if (process.argv.includes('--json')) console.log(JSON.stringify(res));
  else console.log(`pair ${seconds}s @${threads} threads: tagger min ${res.tagger_ms.min.toFixed(0)} ms, separator min ${res.separator_ms.min.toFixed(0)} ms, pair min ${res.pair_ms.min.toFixed(0)} / median ${res.pair_ms.median.toFixed(0)} ms, pair CPU min ${res.pair_cpu_ms.min.toFixed(0)} ms`);
  return 0;
}

main().then((c) => process.exit(c), (e) => {
  console.error(String(e?.stack ?? e));
  process.exit(1);
});
