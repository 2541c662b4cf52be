"""``bench synth``: scene-synthesis throughput (mixtures per second per core) at 16 and 32 kHz.

``--render numpy,torch`` also times the batched torch renderer (``synth/torch_render.py``) on
``--device`` in the same run: the workers' CPU share (``prepare`` + packing, per mixture), the
device's share (per batch of ``--batch-size``, default 24) and the two in one process, whose
ratio to the numpy path is ``torch_vs_numpy`` (same scenes, same warm-up).

Uses the given (or default) library and room bank when they exist, otherwise a generated dummy
library (clips 0.5-8 s) and a small simulated bank (T60 0.2-1.0 s, IRs up to 2 s) at each rate.
A library at another rate is resampled on load (included in the timing). Prints one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from .paths import default_library_dir, default_rooms_dir


def _data_for(rate: int, library: str | None, rooms: str | None, tmp: Path, seconds_range=(0.5, 8.0)):
    from .rooms.bank import build_bank
    from .testing import make_dummy_library

    lib = Path(library) if library else default_library_dir()
    if not (lib / "library.json").exists():
        lib = tmp / f"lib{rate}"
        if not (lib / "library.json").exists():
            make_dummy_library(lib, rate=rate, seconds=seconds_range, per_split=(6, 2, 2))
    bank = Path(rooms) if rooms else None
    if bank is None or not (bank / "rooms.json").exists():
        default = default_rooms_dir()
        if rooms is None and (default / "rooms.json").exists() and _bank_rate(default) == rate:
            bank = default
        else:
            bank = tmp / f"rooms{rate}"
            build_bank(bank, 10, 0, rate=rate, n_positions=8, jobs=1)
    return lib, bank


def _bank_rate(path: Path) -> int:
    return int(json.loads((path / "rooms.json").read_text())["rate"])


def _sync(device: str) -> None:
    if str(device).startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def bench_torch_render(ds, n: int, batch: int, device: str = "cpu", noise: str = "device") -> dict:
    """Mixtures/s of the torch path on ``device``: CPU prepare + pack, device render, both in one process."""
    from .synth.torch_render import TorchSceneRenderer, pack_scenes

    renderer = TorchSceneRenderer(device)
    # warm-up on other indices (imports, FFT plans, first IR loads), like the numpy path's
    renderer.render(pack_scenes([ds.prepare(10_000 + i, noise) for i in range(batch)]))
    _sync(device)
    prep_cpu = render_wall = render_cpu = 0.0
    done = 0
    for b0 in range(0, n, batch):
        idx = range(b0, min(n, b0 + batch))
        c0 = time.process_time()
        packed = pack_scenes([ds.prepare(i, noise) for i in idx])
        prep_cpu += time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        renderer.render(packed)
        _sync(device)
        render_wall += time.perf_counter() - t0
        render_cpu += time.process_time() - c0
        done += len(idx)
    out = {"device": str(device), "batch_size": batch, "noise": noise,
           "prepare_ms_per_mixture_cpu": round(1000 * prep_cpu / done, 2),
           "render_ms_per_mixture_wall": round(1000 * render_wall / done, 2),
           "render_mixtures_per_s": round(done / render_wall, 2),
           "mixtures_per_s_one_process": round(done / (prep_cpu + render_wall), 2)}
    if not str(device).startswith("cuda"):
        out["mixtures_per_s_per_core"] = round(done / (prep_cpu + render_cpu), 2)
    return out


def bench_synth(rates=(16000, 32000), seconds: float = 10.0, n: int = 30, library=None, rooms=None,
                mode: str = "2025", jobs: int = 1, render=("numpy",), device: str = "cpu",
                batch_size: int | None = None, threads: int = 0) -> dict:
    from .synth import SceneDataset, SynthConfig, iter_scenes

    if "torch" in render:
        import torch

        if threads:
            torch.set_num_threads(threads)
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"

    results = {}
    with tempfile.TemporaryDirectory() as tmpd:
        for rate in rates:
            lib, bank = _data_for(rate, library, rooms, Path(tmpd))
            cfg = SynthConfig.for_mode(mode, rate=rate, seconds=seconds)
            ds = SceneDataset(lib, bank, cfg, "train", seed=0, room_split="any")
            for i in range(3):       # warm-up (imports, FFT plans)
                ds[10_000 + i]
            t0 = time.perf_counter()
            cpu0 = time.process_time()
            for i in range(n):
                ds[i]
            wall = time.perf_counter() - t0
            cpu = time.process_time() - cpu0
            entry = {"mixtures_per_s_per_core": round(n / cpu, 2), "wall_mixtures_per_s": round(n / wall, 2),
                     "ms_per_mixture_cpu": round(1000 * cpu / n, 1), "library": str(lib), "rooms": str(bank)}
            if jobs > 1:
                t0 = time.perf_counter()
                for _ in iter_scenes(ds, 0, n * jobs, jobs=jobs):
                    pass
                entry[f"iter_scenes_{jobs}_workers_mixtures_per_s"] = round(n * jobs / (time.perf_counter() - t0), 2)
            if "torch" in render:
                t = entry["torch"] = bench_torch_render(ds, n, batch_size or 24, device)
                entry["torch_vs_numpy"] = round(t.get("mixtures_per_s_per_core", t["mixtures_per_s_one_process"])
                                                / entry["mixtures_per_s_per_core"], 3)
            results[str(rate)] = entry
    out = {"seconds": seconds, "n": n, "mode": mode, "cores": os.cpu_count(), "results": results}
    if "torch" in render:
        import torch

        out["torch_threads"] = torch.get_num_threads()
    return out


def cmd_bench(args) -> int:
    if args.what == "train":
        from .bench_train import cmd_bench_train

        return cmd_bench_train(args)
    if args.what != "synth":
        raise SystemExit(f"unknown benchmark {args.what!r}; accepted: synth, train, infer")
    rates = tuple(int(r) for r in args.rates.split(","))
    render = tuple(r.strip() for r in args.render.split(",") if r.strip())
    bad = sorted(set(render) - {"numpy", "torch"})
    if bad or "numpy" not in render:
        raise SystemExit(f"--render {args.render!r}: accepted numpy or numpy,torch (the ratio needs numpy)")
    print(json.dumps(bench_synth(rates, args.seconds, args.n, args.library, args.rooms, args.mode, args.jobs,
                                 render, args.device, args.batch_size, args.threads)))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from .bench_train import add_arguments as add_train_arguments

    p = sub.add_parser("bench", help="throughput benchmarks: synth, train (bench infer: see `bench-infer`)")
    p.add_argument("what", choices=("synth", "train"))
    p.add_argument("--rates", default="16000,32000")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--n", type=int, default=30, help="mixtures per rate")
    p.add_argument("--library", default=None)
    p.add_argument("--rooms", default=None)
    p.add_argument("--mode", choices=("2025", "2026"), default="2025")
    p.add_argument("--jobs", type=int, default=1, help="also time the multi-process iterator with N workers")
    p.add_argument("--render", default="numpy",
                   help="synth: numpy,torch also times the batched torch renderer on --device (batch --batch-size, "
                        "default 24) and prints torch_vs_numpy")
    add_train_arguments(p)
    p.set_defaults(func=cmd_bench)
    from .bench_infer import register as register_infer

    register_infer(sub)
