/**
 * ONNX Runtime (onnxruntime-node, the app's engine) vs PyTorch eager on the same separator and the
 * same 10-s input, in one run: the shipped default separator's architecture (`sep-small-16k`,
 * fresh weights — speed does not depend on their values) exported and timed by the trainer's
 * `bench-infer` (trainer/s5trainer/bench_infer.py). Reports the ratio torch / ORT and the outputs'
 * max difference. Skipped (one JSON line saying why) when /usr/bin/python3 has no torch.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const emit = (o: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'ort-vs-torch', ...o }));
const PYTHON = process.env.S5_PYTHON ?? '/usr/bin/python3';
const trainer = path.join(__dirname, '..', 'trainer');

const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
if (probe.status !== 0) {
  emit({ what: 'skipped', reason: `${PYTHON} has no torch` });
  process.exit(0);
}
for (const threads of [1, 2]) {
  const r = spawnSync(PYTHON, ['-m', 's5trainer', 'bench-infer', '--arch', 'sep-small-16k', '--seconds', '10', '--threads', String(threads), '--repeat', '5', '--json'], {
    cwd: trainer,
    env: { ...process.env, PYTHONPATH: trainer },
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) {
    console.error(r.stderr);
    process.exit(1);
  }
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  emit({ what: 'separator_10s', threads, ...(JSON.parse(line ?? '{}') as Record<string, unknown>) });
}
