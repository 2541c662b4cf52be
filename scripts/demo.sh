#!/usr/bin/env bash
# npm run demo: separate the bundled demo scenes with the shipped default models and score
# them against their oracle targets with the official DCASE 2025 Task 4 metric (CA-SDRi).
#
# Environment:
#   OUT_DIR      output folder (default: out/demo)
#   S5_THREADS   ONNX Runtime threads for 's5 separate' (default: all cores)
# Exit status: non-zero when separation or evaluation fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DEMO="resources/demo"
OUT_DIR="${OUT_DIR:-out/demo}"
EST="$OUT_DIR/estimates"
S5=(node "$ROOT/bin/s5.cjs")

threads=()
if [[ -n "${S5_THREADS:-}" ]]; then threads=(--threads "$S5_THREADS"); fi

echo "== s5 separate $DEMO/soundscape -o $OUT_DIR --rate 32000"
if ! "${S5[@]}" separate "$DEMO/soundscape" -o "$OUT_DIR" --rate 32000 "${threads[@]}"; then
  echo "demo: separation failed" >&2
  exit 1
fi

# Official layout: <scene>_<Label>.wav (a repeated label, <Label>_<n>: <scene>_<n>_<Label>.wav).
node - "$DEMO/soundscape" "$OUT_DIR" "$EST" <<'JS'
const fs = require('fs'), path = require('path');
const [soundscapes, out, est] = process.argv.slice(2);
fs.rmSync(est, { recursive: true, force: true });
fs.mkdirSync(est, { recursive: true });
for (const f of fs.readdirSync(soundscapes).filter((f) => f.endsWith('.wav')).sort()) {
  const scene = f.slice(0, -4);
  const labelsJson = path.join(out, scene, 'labels.json');
  if (!fs.existsSync(labelsJson)) { console.error(`demo: no result for ${scene} (${labelsJson})`); process.exit(1); }
  const r = JSON.parse(fs.readFileSync(labelsJson, 'utf8'));
  for (const s of r.stems) {
    const m = /_(\d+)$/.exec(s.name);
    const dest = path.join(est, m ? `${scene}_${m[1]}_${s.label}.wav` : `${scene}_${s.label}.wav`);
    const src = path.join(out, scene, s.file);
    try { fs.linkSync(src, dest); } catch { fs.copyFileSync(src, dest); }
  }
}
JS

echo
echo "== s5 evaluate --task dcase2025t4 (estimates: $EST)"
if ! "${S5[@]}" evaluate --task dcase2025t4 --soundscapes "$DEMO/soundscape" \
    --oracle "$DEMO/oracle_target" --estimates "$EST" --json > "$OUT_DIR/evaluation.json"; then
  echo "demo: evaluation failed" >&2
  exit 1
fi

node - "$OUT_DIR" "$OUT_DIR/evaluation.json" <<'JS'
const fs = require('fs'), path = require('path');
const [out, evalJson] = process.argv.slice(2);
const ev = JSON.parse(fs.readFileSync(evalJson, 'utf8'));
const rows = Object.keys(ev.per_mixture).sort().map((scene) => {
  const m = ev.per_mixture[scene];
  let found = '-';
  const lj = path.join(out, scene, 'labels.json');
  if (fs.existsSync(lj)) {
    const r = JSON.parse(fs.readFileSync(lj, 'utf8'));
    found = r.labels.map((l) => `${l.label} ${l.confidence.toFixed(2)}`).join(', ') || '-';
  }
  return [scene, m.ref_labels.join(', '), found, m.ca_sdri.toFixed(2), m.labels_correct ? 'yes' : 'no'];
});
const head = ['scene', 'true labels', 'found labels (confidence)', 'CA-SDRi', 'labels ok'];
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => r.map((c, i) => (i === 3 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd();
console.log(line(head));
console.log(w.map((n) => '-'.repeat(n)).join('  '));
rows.forEach((r) => console.log(line(r)));
for (const x of ev.warnings || []) console.log(`warning: ${x}`);
console.log();
console.log(`CA-SDRi: ${ev.ca_sdri.toFixed(3)}`);
console.log(`Label prediction accuracy: ${ev.label_accuracy.toFixed(2)}`);
JS
