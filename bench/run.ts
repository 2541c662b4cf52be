/**
 * `npm run bench`: runs every `bench/*.bench.ts` script in its own process (so one benchmark's
 * heap and JIT state cannot skew another) and collects the JSON lines each prints into
 * `bench/results/latest.jsonl`. Benchmarks report ratios against a reference measured in the same
 * run; nothing here asserts a time.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = __dirname;
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
const lines: string[] = [];
let failures = 0;
for (const file of files) {
  console.log(`== ${file}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, file)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(r.stdout);
  for (const line of r.stdout.split('\n')) if (line.trim().startsWith('{')) lines.push(line.trim());
  if (r.status !== 0) {
    failures++;
    console.error(`!! ${file} exited ${r.status}`);
  }
}
mkdirSync(path.join(dir, 'results'), { recursive: true });
writeFileSync(path.join(dir, 'results', 'latest.jsonl'), lines.join('\n') + '\n');
console.log(`${files.length} benchmark files, ${lines.length} results, ${failures} failed → bench/results/latest.jsonl`);
process.exit(failures ? 1 : 0);
