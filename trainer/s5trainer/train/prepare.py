"""Run preparation: options, config resolution (new run / resume), initial weights, trainable
filter, LR schedule, partner model for full-system validation, export at the end, thread count."""
from __future__ import annotations

import fnmatch
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import S5Error
from . import checkpoint as ckpt_io
from .config import ConfigError, TrainConfig
from .runfolder import RunFolder


@dataclass
class RunOptions:
    workdir: Path
    config: TrainConfig | None = None        # None with --resume: taken from the checkpoint
    resume: bool = False
    device: str = "auto"
    max_steps: int | None = None
    argv: tuple = ()


def default_builder(arch: str, **overrides):
    from ..models import build_model

    return build_model(arch, **overrides)


def resolve_config(opts: RunOptions, folder: RunFolder) -> tuple[TrainConfig, dict | None]:
    """The run's config and, on resume, the checkpoint to continue from."""
    state = None
    if opts.resume:
        if folder.last.is_file():
            state = ckpt_io.load(folder.last)
            saved = TrainConfig.from_dict(state["config"])
        elif folder.read() is not None:
            saved = TrainConfig.from_dict(folder.read()["config"])     # stopped before its first checkpoint
        elif opts.config is not None:
            saved = opts.config
        else:
            raise ConfigError(f"--resume: {folder.path} holds no run (no run.json, no checkpoints/last.pt)")
        if opts.config is not None:
            a, b = opts.config.to_json(), saved.to_json()
            a["train"].pop("steps"), b["train"].pop("steps")
            if a != b:
                raise ConfigError("--resume with a --config that differs from the run's own config; "
                                  "drop --config to continue as saved (only --max-steps may change)")
        cfg = saved
    else:
        folder.check_fresh()
        if opts.config is None:
            raise ConfigError("a new run needs --config")
        cfg = opts.config
    if opts.max_steps is not None:
        if opts.max_steps < 1:
            raise ConfigError(f"--max-steps must be >= 1, got {opts.max_steps}")
        cfg.train.steps = opts.max_steps
    return cfg, state


def lr_factor(cfg: TrainConfig):
    """Multiplier of the base LR at a step (a closure: LambdaLR saves no state for functions)."""
    warmup, total, kind = cfg.train.warmup_steps, cfg.train.steps, cfg.train.schedule

    def factor(step: int) -> float:
        if warmup and step < warmup:
            return (step + 1) / warmup
        if kind == "cosine":
            t = min(1.0, (step - warmup) / max(1, total - warmup))
            return 0.5 * (1.0 + math.cos(math.pi * t))
        return 1.0
    return factor


def set_trainable(model: torch.nn.Module, patterns: list) -> None:
    """Keep ``requires_grad`` only on parameters matching a pattern (never re-enables frozen ones)."""
    for name, p in model.named_parameters():
        p.requires_grad_(p.requires_grad and any(fnmatch.fnmatchcase(name, pat) for pat in patterns))
    if not any(p.requires_grad for p in model.parameters()):
        names = [n for n, _ in model.named_parameters()][:8]
        raise ConfigError(f"model.trainable {patterns} matches no trainable parameter; names look like {names}")


def init_state_dict(path: str, arch: str) -> dict:
    """Weights from a training checkpoint, an exported model file or an official baseline .ckpt."""
    try:
        return ckpt_io.load(path)["state_dict"]
    except ckpt_io.CheckpointError as ours:
        from ..models.checkpoint import load_checkpoint, load_official

        for loader in (load_checkpoint, lambda p: load_official(p, arch)):
            try:
                return loader(path)[0].state_dict()
            except S5Error:
                continue
        raise ConfigError(f"model.init {path}: not a training checkpoint, s5trainer model file or official "
                          f"checkpoint of {arch!r} ({ours})") from None


def load_partner(path: str, builder, device) -> torch.nn.Module:
    """The other kind's model for full-system validation (training checkpoint or model file)."""
    try:
        state = ckpt_io.load(path)
    except ckpt_io.CheckpointError:
        from ..models.checkpoint import load_checkpoint

        return load_checkpoint(path)[0].to(device).eval()
    model = builder(state["arch"], **state.get("overrides", {}))
    model.load_state_dict(state["state_dict"])
    return model.to(device).eval()


def export_run(source: Path, models_dir: Path, cfg: TrainConfig, run_id: str, step: int, metrics: dict) -> Path:
    """Export ``source`` (best or last checkpoint) as the app model folder ``models_dir/<id>``
    (``s5trainer.export``); the model id is the run id made a valid manifest id."""
    from ..export import export_model
    from ..models.checkpoint import load_checkpoint

    model, _ = load_checkpoint(source)
    model_id = re.sub(r"[^a-z0-9._-]+", "-", run_id.lower()).strip("-._")[:64] or model.arch
    data = cfg.data.folder if cfg.data.source == "folder" else f"{cfg.data.source} scenes ({cfg.mode} recipe)"
    meta = {"id": model_id, "name": f"{model.arch} trained in run {run_id}", "task": cfg.task, "steps": step,
            "data": data, "metrics": {k: float(v) for k, v in metrics.items()
                                      if isinstance(v, (int, float)) and math.isfinite(v)}}
    if cfg.model.init:
        meta["base_model"] = str(cfg.model.init)
    return Path(export_model(model, models_dir / model_id, meta))


def thread_count(cfg: TrainConfig, dist) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cfg.train.threads or max(1, cores // max(1, dist.local_world))


