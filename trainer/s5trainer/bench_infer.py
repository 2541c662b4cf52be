"""``bench infer``: PyTorch vs ONNX Runtime (onnxruntime-node) inference time on the same model
and input, and optionally the app's speed goal for a tagger + separator pair.

    python3 -m s5trainer bench infer [--arch sep-small-16k | --checkpoint CKPT] [--seconds 10]
        [--threads 2] [--repeat 3] [--pair-tagger tag-small] [--json]

Reports min/median wall time (ms) of each engine after one warm-up run, the ratio
torch/ORT, and max |ONNX - torch| of the outputs. With ``--pair-tagger`` it also times tagger +
separator in onnxruntime-node (the app's ``s5 onnx-bench``; goal: <= 500 ms for a 10-s clip on 2
threads). Hook-up: ``add_parser(bench_subparsers)`` adds ``infer`` under ``bench``;
``register(sub)`` adds a stand-alone ``bench-infer`` command.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np


def _stats(xs):
    return {"min": float(min(xs)), "median": float(statistics.median(xs))}


def bench_model(model, seconds=10.0, threads=2, repeat=3, seed=0) -> dict:
    import torch
    from .export.onnx import export_onnx
    from .export.parity import run_onnx
    torch.set_num_threads(int(threads))
    model = model.eval()
    ins = model.example_inputs(seconds=seconds, seed=seed)
    times = []
    with torch.no_grad():
        ref = model(*ins)                                   # warm-up
        for _ in range(repeat):
            t = time.perf_counter()
            model(*ins)
            times.append((time.perf_counter() - t) * 1000)
    with tempfile.TemporaryDirectory(prefix="s5-bench-") as tmp:
        path = export_onnx(model, Path(tmp) / "model.onnx", model.example_inputs(seconds=2.0, seed=1))
        feeds = {"x": {n: v.numpy() for n, v in zip(model.input_names, ins)}}
        outs, report = run_onnx(path, feeds, threads=threads, repeat=repeat + 1)
        onnx_mb = path.stat().st_size / 1e6
    ort_times = report["runs"]["x"][1:]
    err = float(np.max(np.abs(outs["x"][model.output_names[0]] - ref.numpy())))
    res = {"arch": model.arch, "seconds": seconds, "threads": threads, "repeat": repeat,
           "torch_ms": _stats(times), "ort_ms": _stats(ort_times),
           "ort_session_create_ms": report["create_ms"], "onnx_mb": round(onnx_mb, 2),
           "max_abs_err": err}
    res["ratio_torch_over_ort"] = res["torch_ms"]["min"] / max(res["ort_ms"]["min"], 1e-9)
    return res


def bench_pair(tagger, separator, seconds=10.0, threads=2, repeat=5) -> dict:
    """Export both (no parity) and time tagger + separator in onnxruntime-node."""
    from .export.onnx import export_onnx
    from .export.parity import node_engine_missing, repo_root, s5_command
    from .errors import ToolMissingError
    why = node_engine_missing()
    if why:
        raise ToolMissingError(why)
    root = repo_root()
    with tempfile.TemporaryDirectory(prefix="s5-pair-") as tmp:
        tp = export_onnx(tagger.eval(), Path(tmp) / "tagger.onnx", tagger.example_inputs(seconds=2.0))
        sp = export_onnx(separator.eval(), Path(tmp) / "separator.onnx", separator.example_inputs(seconds=2.0))
        cmd = [*s5_command(), "onnx-bench", "--tagger", str(tp), "--separator", str(sp), "--seconds", str(seconds),
               "--threads", str(threads), "--repeat", str(repeat), "--rate", str(separator.sample_rate),
               "--tagger-rate", str(tagger.sample_rate), "--channels", str(separator.channels),
               "--slots", str(separator.slots), "--json"]
        proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        res = json.loads(proc.stdout.strip().splitlines()[-1])
    res.update({"tagger": tagger.arch, "separator": separator.arch, "goal_ms": 500,
                "meets_goal": res["pair_ms"]["min"] <= 500})
    return res


def cmd_infer(args) -> int:
    import torch
    from .models import build_model
    from .models.checkpoint import load_checkpoint
    torch.manual_seed(0)
    if args.checkpoint:
        model, _ = load_checkpoint(args.checkpoint)
    else:
        model = build_model(args.arch)
    res = bench_model(model, args.seconds, args.threads, args.repeat)
    if args.pair_tagger:
        res["pair"] = bench_pair(build_model(args.pair_tagger), model, args.seconds, args.threads,
                                 max(args.repeat, 3))
    if args.json:
        print(json.dumps(res))
    else:
        print(f"{res['arch']} {args.seconds:g}s @{args.threads} threads: torch min {res['torch_ms']['min']:.0f} ms, "
              f"ORT min {res['ort_ms']['min']:.0f} ms, ratio {res['ratio_torch_over_ort']:.2f}, "
              f"max|d| {res['max_abs_err']:.2g}")
        if "pair" in res:
            p = res["pair"]
            print(f"pair {p['tagger']} + {p['separator']}: min {p['pair_ms']['min']:.0f} ms "
                  f"(goal <= 500 ms: {'met' if p['meets_goal'] else 'NOT met'})")
    return 0


def add_parser(bench_sub) -> None:
    p = bench_sub.add_parser("infer", help="PyTorch vs ONNX Runtime inference time")
    _args(p)


def _args(p) -> None:
    p.add_argument("--arch", default="sep-small-16k")
    p.add_argument("--checkpoint", help="s5trainer checkpoint instead of a fresh --arch")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--pair-tagger", help="also time this tagger + the separator (speed goal)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_infer)


def register(sub) -> None:
    """Stand-alone ``bench-infer`` (use when ``bench`` cannot host sub-commands)."""
    _args(sub.add_parser("bench-infer", help="PyTorch vs ONNX Runtime inference time"))
