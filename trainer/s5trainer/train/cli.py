"""``train`` command: parse arguments, report every outcome as a protocol event, set the exit code.

Exit codes: 0 finished or cancelled (SIGTERM/SIGINT: checkpoint written), 1 failed (a ``failed``
event with the error and traceback was emitted first).
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from .config import load_config
from .events import Events, log, protect_stdout
from .loop import RunOptions, Trainer, default_builder
from .runfolder import RunFolder
from .stop import StopFlag


def _run_id(workdir: Path) -> str:
    info = RunFolder(workdir).read() if (workdir / "run.json").is_file() else None
    return str(info["id"]) if info and info.get("id") else workdir.resolve().name


def cmd_train(args, builder=default_builder, stream=None) -> int:
    stream = stream or protect_stdout()
    rank = int(os.environ.get("RANK", "0"))
    workdir = Path(args.workdir)
    if rank == 0:
        workdir.mkdir(parents=True, exist_ok=True)
    foreign = (workdir / "run.json").is_file() and not args.resume     # another run's folder: leave it alone
    events = Events(_run_id(workdir), stream if rank == 0 else None,
                    workdir / "events.jsonl" if rank == 0 and not foreign else None)
    stop = StopFlag().install()
    trainer = None
    code = 1
    try:
        cfg = load_config(args.config, args.set or ()) if (args.config or args.set) else None
        opts = RunOptions(workdir, cfg, args.resume, args.device, args.max_steps, tuple(sys.argv))
        trainer = Trainer(opts, events, stop, builder)
        trainer.setup()
        code = trainer.run()
        return code
    except BaseException as exc:  # noqa: BLE001 - every failure must reach the engine as an event
        tb = traceback.format_exc()
        log(tb, rank)
        if rank == 0:
            events.emit("failed", error=f"{type(exc).__name__}: {exc}", code=getattr(exc, "code", "internal"),
                        traceback=tb, step=getattr(trainer, "step", None))
            if getattr(trainer, "owns_run", False):
                RunFolder(workdir).update(status="failed")
        return 1
    finally:
        stop.restore()
        events.close()
        if trainer is not None and hasattr(trainer, "dist"):
            from .distributed import teardown
            teardown(trainer.dist)
            if trainer.dist.active:
                # Leave before the DDP wrapper is freed: on torch 1.13/gloo its native destructor
                # sometimes blocked for good once the peer rank had exited (one run in ~4 on a
                # loaded 2-core machine). Events are closed and checkpoints are on disk by now.
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a tagger or separator (JSON-lines events on stdout)",
                       description="Train a model; events as JSON lines on stdout (trainer/PROTOCOL.md), logs on "
                                   "stderr. Data-parallel: torchrun --nproc_per_node N -m s5trainer train ...")
    p.add_argument("--config", help="YAML or JSON config (trainer/configs/*.yaml); not needed with --resume")
    p.add_argument("--workdir", required=True, help="run folder (run.json, events.jsonl, checkpoints/)")
    p.add_argument("--resume", action="store_true", help="continue the run in --workdir from checkpoints/last.pt")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--max-steps", type=int, help="total optimizer steps (overrides train.steps)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a config value by dotted key, e.g. --set train.lr=3e-4 (repeatable)")
    p.set_defaults(func=cmd_train)
