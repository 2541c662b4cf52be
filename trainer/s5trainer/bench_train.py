"""``bench train``: training throughput (optimizer steps/s, samples/s) of the default variants.

Each architecture runs the real training step of ``train`` (objective, backward, grad-norm clip,
AdamW with AMSGrad) on one fixed batch of toy scenes already on the device, so the figure is the
model's cost, not the data pipeline's (``bench synth`` measures that). Defaults: the fast variants
(``sep-small-16k``, ``sep-small-32k``, ``tag-small``, ``tag-small-32k``) on 10-s clips; official
ones (``resunetk``, ``m2dat`` ...) on request. Prints one JSON object on stdout.

Standalone: ``python3 -m s5trainer.bench_train [options]``; inside ``bench``: ``add_arguments`` +
``cmd_bench_train``.
"""
from __future__ import annotations

import argparse
import json
import os
import time

DEFAULT_ARCHS = ("sep-small-16k", "sep-small-32k", "tag-small", "tag-small-32k")
DEFAULT_BATCH = {"separator": 5, "tagger": 16}        # the baselines' per-GPU batch (sep); a small AT batch


def _batch(model, batch_size: int, seconds: float, device):
    from .train.data import RandomItems, collate

    rate = int(model.sample_rate)
    items = RandomItems(rate, int(round(rate * seconds)), (1, 3), seed=0)
    return collate([items.get(i) for i in range(batch_size)]).to(device)


def bench_arch(arch: str, device: str = "cpu", batch_size: int | None = None, seconds: float = 10.0,
               steps: int = 3, warmup: int = 1, overrides: dict | None = None) -> dict:
    import torch

    from .models import build_model
    from .train.objectives import Objective

    torch.manual_seed(0)
    model = build_model(arch, **(overrides or {})).to(device).train()
    batch_size = batch_size or DEFAULT_BATCH[model.kind]
    batch = _batch(model, batch_size, seconds, device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, amsgrad=True)
    objective = Objective(model, "2025", pit=False, seed=0, rank=0)

    def step(k: int) -> None:
        opt.zero_grad(set_to_none=True)
        loss = objective(model, batch, k)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 0.5)
        opt.step()

    sync = torch.cuda.synchronize if str(device).startswith("cuda") else (lambda: None)
    for k in range(warmup):
        step(k)
    sync()
    t0 = time.perf_counter()
    for k in range(steps):
        step(warmup + k)
    sync()
    wall = time.perf_counter() - t0
    out = {"arch": arch, "kind": model.kind, "batch_size": batch_size, "seconds": seconds,
           "sample_rate": int(model.sample_rate), "params": sum(p.numel() for p in params), "steps": steps,
           "steps_per_s": round(steps / wall, 4), "samples_per_s": round(steps * batch_size / wall, 3),
           "ms_per_step": round(1000 * wall / steps, 1)}
    if str(device).startswith("cuda"):
        out["max_memory_bytes"] = int(torch.cuda.max_memory_allocated())
        torch.cuda.reset_peak_memory_stats()
    return out


def bench_train(archs=DEFAULT_ARCHS, device: str = "auto", batch_size: int | None = None, seconds: float = 10.0,
                steps: int | None = None, warmup: int | None = None, threads: int = 0) -> dict:
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(threads or cores)
    gpu = device.startswith("cuda")
    steps = steps or (20 if gpu else 3)
    warmup = warmup if warmup is not None else (5 if gpu else 1)
    results = [bench_arch(a, device, batch_size, seconds, steps, warmup) for a in archs]
    return {"device": torch.cuda.get_device_name(0) if gpu else "cpu", "torch": torch.__version__,
            "threads": torch.get_num_threads(), "results": results}


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``bench train`` (``--seconds`` is shared with ``bench synth``)."""
    p.add_argument("--archs", default=",".join(DEFAULT_ARCHS), help="comma-separated architecture ids")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--batch-size", type=int, default=None, help="default: 5 (separators), 16 (taggers)")
    p.add_argument("--steps", type=int, default=None, help="timed steps (default: 3 on CPU, 20 on GPU)")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps first (default: 1 CPU, 5 GPU)")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: all usable cores)")


def cmd_bench_train(args) -> int:
    archs = tuple(a.strip() for a in args.archs.split(",") if a.strip())
    print(json.dumps(bench_train(archs, args.device, args.batch_size, args.seconds, args.steps, args.warmup,
                                 args.threads)))
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m s5trainer.bench_train", description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=10.0, help="clip length")
    add_arguments(p)
    return cmd_bench_train(p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
