#!/usr/bin/env bash
# One short GPU session (the lent H200, or any CUDA box): train the default separator and tagger
# side by side for BUDGET seconds on a carried library pack, then hand back weights-only
# checkpoints and the event streams in $OUT. Run from the repository root:
#   PACK=.device/pack OUT=/some/dir bash trainer/tools/gpu-session.sh 420 [cuda|cpu]
# The pack comes from `python3 -m s5trainer library pack --codec mulaw` (readable without
# libsndfile); rooms are simulated on the box. MODELS picks the configs (default: both);
# EXTRA adds `train` options, e.g. EXTRA='--set model.init=PATH' to continue from weights. Export to ONNX happens afterwards on the CPU machine.
# The configs render scenes on the GPU (data.render: torch, synth/torch_render.py; EXTRA='--set
# data.render=numpy' for the old worker-rendered path). BENCH=1 (default) first times both render
# paths on this box (bench-synth.json); the end of the output prints each model's training
# throughput in mixtures/s (median of its last progress events), the figure for "not data-bound".
set -u
BUDGET=${1:-420}
DEVICE=${2:-cuda}
PACK=${PACK:-.device/pack}
OUT=${OUT:?set OUT to the folder that comes back}
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD/trainer S5_DATA_DIR=${S5_DATA_DIR:-/tmp/s5data}
PY=${PYTHON:-python3}
mkdir -p "$S5_DATA_DIR" "$OUT"
ln -sfn "$(cd "$PACK" && pwd)" "$S5_DATA_DIR/library"
t0=$SECONDS
$PY -m s5trainer doctor --json > "$OUT/doctor.json" 2>&1
$PY -m s5trainer rooms bank --n ${ROOMS:-40} --rate 16000 --positions 16 --max-seconds 1.5 \
  --out "$S5_DATA_DIR/rooms/default" > "$OUT/setup.log" 2>&1 || { echo "room bank failed"; tail -20 "$OUT/setup.log"; exit 1; }
if [ "${BENCH:-1}" = 1 ]; then     # numpy path (1 process) vs torch path on $DEVICE, same scenes
  $PY -m s5trainer bench synth --rates 16000 --n 48 --render numpy,torch --device "$DEVICE" --batch-size 24 \
    --threads 1 > "$OUT/bench-synth.json" 2>> "$OUT/setup.log" && cat "$OUT/bench-synth.json"
fi
echo "setup took $((SECONDS - t0)) s" | tee -a "$OUT/setup.log"
left=$((BUDGET - (SECONDS - t0)))
for m in ${MODELS:-sep-small-16k tag-small}; do
  timeout -k 60 -s TERM "$left" $PY -m s5trainer train --config "trainer/configs/gpu/$m.yaml" \
    --workdir "/tmp/s5runs/$m" --device "$DEVICE" ${EXTRA:-} > "$OUT/$m.events.jsonl" 2> "/tmp/s5runs-$m.log" &
done
wait
# weights-only copies (the optimizer state would triple the size)
$PY - "$OUT" ${MODELS:-sep-small-16k tag-small} <<'PYEOF'
import sys, torch
out = sys.argv[1]
for m in sys.argv[2:]:
    try:
        ck = torch.load(f"/tmp/s5runs/{m}/checkpoints/last.pt", map_location="cpu", weights_only=False)
    except Exception as e:  # noqa: BLE001
        print(f"{m}: no checkpoint ({e})"); continue
    keep = {k: ck[k] for k in ("arch", "overrides", "state_dict", "meta", "step", "config") if k in ck}
    torch.save(keep, f"{out}/{m}.pt")
    print(f"{m}: step {ck.get('step')}")
PYEOF
for m in ${MODELS:-sep-small-16k tag-small}; do echo "== $m"; tail -c 20000 "/tmp/s5runs-$m.log"; done > "$OUT/train.log"
tail -n 3 "$OUT"/*.events.jsonl
# training throughput per model: mixtures/s = progress samples_per_s (global batch / step time, data included)
$PY - "$OUT" ${MODELS:-sep-small-16k tag-small} <<'PYEOF' | tee "$OUT/throughput.txt"
import json, statistics, sys
out = sys.argv[1]
for m in sys.argv[2:]:
    try:
        ev = [json.loads(l) for l in open(f"{out}/{m}.events.jsonl") if l.startswith("{")]
    except OSError:
        print(f"{m}: no events"); continue
    rates = [e["samples_per_s"] for e in ev if e.get("event") == "progress"][-10:]
    render = next((e["config"]["data"].get("render") for e in ev if e.get("event") == "started"), None)
    if rates:
        print(f"{m}: {statistics.median(rates):.0f} mixtures/s (median of the last {len(rates)} progress events, "
              f"data.render={render})")
    else:
        print(f"{m}: no progress events")
PYEOF
