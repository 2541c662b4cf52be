"""``doctor`` command: what the GUI shows before a run (Python, torch, CUDA, GPUs, threads, disk).

``python3 -m s5trainer doctor --json [--run-dir DIR]`` prints one JSON object on stdout::

    {ok, python: {version, executable}, platform, torch: {version, cuda, cudnn, cuda_available,
     distributed: {gloo, nccl}} | null, gpus: [{index, name, memory_bytes, capability}],
     cpu: {logical, usable, torch_threads}, disk: {path, free_bytes, total_bytes},
     packages: {numpy, scipy, soundfile, yaml}, torchrun: bool, torchrun_extra_args: [str],
     problems: [str]}

``torchrun_extra_args`` works around torch 1.x's launcher on Python >= 3.11 (Debian 12), whose
default ``--redirects 0`` / ``--tee 0`` crash (``Std.from_str`` returns None there): an explicit
mapping for an absent local rank keeps every worker's output on the console.

It never raises for a missing package: the problem is listed and ``ok`` is false.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import platform
import shutil
import sys
from pathlib import Path


def _version(module: str) -> str | None:
    try:
        return str(getattr(importlib.import_module(module), "__version__", "unknown"))
    except Exception:  # noqa: BLE001 - a broken install is reported, not raised
        return None


def _torch_info(problems: list[str]) -> tuple[dict | None, list[dict]]:
    try:
        import torch
    except Exception as exc:  # noqa: BLE001
        problems.append(f"PyTorch is not importable ({exc}); install python3-torch or pip install torch")
        return None, []
    dist = torch.distributed.is_available()
    info = {"version": torch.__version__, "cuda": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
            "cuda_available": bool(torch.cuda.is_available()),
            "distributed": {"gloo": bool(dist and torch.distributed.is_gloo_available()),
                            "nccl": bool(dist and torch.distributed.is_nccl_available())}}
    gpus = []
    if info["cuda_available"]:
        for i in range(torch.cuda.device_count()):
            p = torch.cuda.get_device_properties(i)
            gpus.append({"index": i, "name": p.name, "memory_bytes": int(p.total_memory),
                         "capability": f"{p.major}.{p.minor}"})
    return info, gpus


def _disk(path: Path) -> dict:
    probe = path.resolve()
    while not probe.exists() and probe != probe.parent:       # nearest existing parent
        probe = probe.parent
    usage = shutil.disk_usage(probe)
    return {"path": str(path), "free_bytes": int(usage.free), "total_bytes": int(usage.total)}


def _torchrun_available() -> bool:
    if shutil.which("torchrun"):
        return True
    return importlib.util.find_spec("torch.distributed.run") is not None


def torchrun_extra_args(torch_version: str | None) -> list[str]:
    if torch_version is None or int(torch_version.split(".")[0]) >= 2 or sys.version_info < (3, 11):
        return []
    return ["--redirects", "9:1", "--tee", "9:1"]


def diagnose(run_dir: str | os.PathLike = ".") -> dict:
    problems: list[str] = []
    torch_info, gpus = _torch_info(problems)
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = None
    if torch_info is not None:
        import torch
        threads = torch.get_num_threads()
    packages = {name: _version(mod) for name, mod in
                (("numpy", "numpy"), ("scipy", "scipy"), ("soundfile", "soundfile"), ("yaml", "yaml"))}
    for name in ("numpy", "scipy", "soundfile"):
        if packages[name] is None:
            problems.append(f"{name} is not importable")
    if sys.version_info < (3, 9):
        problems.append(f"Python {platform.python_version()} is too old; 3.9 or newer is needed")
    return {"ok": not problems,
            "python": {"version": platform.python_version(), "executable": sys.executable},
            "platform": platform.platform(), "torch": torch_info, "gpus": gpus,
            "cpu": {"logical": os.cpu_count(), "usable": usable, "torch_threads": threads},
            "disk": _disk(Path(run_dir)), "packages": packages,
            "torchrun": torch_info is not None and _torchrun_available(),
            "torchrun_extra_args": torchrun_extra_args(torch_info["version"] if torch_info else None),
            "problems": problems}


def _human(report: dict) -> str:
    t = report["torch"]
    lines = [f"Python  {report['python']['version']} ({report['python']['executable']})",
             f"torch   {t['version'] if t else 'missing'}"
             + (f", CUDA {t['cuda']}, available: {t['cuda_available']}" if t else "")]
    lines += [f"GPU {g['index']}   {g['name']}, {g['memory_bytes'] / 2**30:.1f} GiB" for g in report["gpus"]]
    cpu, disk = report["cpu"], report["disk"]
    lines.append(f"CPU     {cpu['usable']} usable of {cpu['logical']} logical, torch threads {cpu['torch_threads']}")
    lines.append(f"disk    {disk['free_bytes'] / 2**30:.1f} GiB free at {disk['path']}")
    lines += [f"problem: {p}" for p in report["problems"]]
    return "\n".join(lines)


def cmd_doctor(args) -> int:
    report = diagnose(args.run_dir)
    print(json.dumps(report) if args.json else _human(report))
    return 0 if report["ok"] else 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check Python, torch, CUDA, GPUs, CPU threads and free disk")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--run-dir", default=".", help="folder whose free disk space is reported")
    p.set_defaults(func=cmd_doctor)
