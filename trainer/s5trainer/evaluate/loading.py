"""Models for evaluation: a model folder (``manifest.json`` + ONNX) or an s5trainer checkpoint.

* Model folder: the PyTorch weights are recovered from ``model.onnx`` by
  :func:`s5trainer.export.from_onnx.recover` (parity-checked against ONNX Runtime) once and cached
  as ``<data>/cache/weights/<id>-<sha256[:12]>.pt`` (the same file the app's fine-tuning base uses,
  ``src/engine/training/base-model.ts``); a cached file whose recorded sha256 differs from the ONNX
  file is recovered again. The tagger's decision rule is the manifest's ``decision``.
* Checkpoint (``s5trainer-model/1`` from ``export``/``weights-from-onnx``, or a training checkpoint
  ``checkpoints/*.pt`` from ``train``): the decision rule is the checkpoint's ``meta.decision`` when
  it has one (recovered weights carry their manifest's), else the export default (threshold 0.5,
  min_events 1 for 2025 / 0 for 2026, max_events = slots).
* ``--thresholds FILE.json`` replaces or amends either (see ``decision.read_rule_file``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..errors import S5Error
from ..paths import default_cache_dir
from .decision import default_rule, normalise_rule, read_rule_file


class ModelLoadError(S5Error):
    code = "bad_model"


@dataclass
class LoadedModel:
    model: torch.nn.Module
    kind: str
    arch: str
    sample_rate: int
    window_seconds: float
    channels: int
    slots: int
    task: str
    source: dict
    decision: dict | None = None
    decision_source: str | None = None
    meta: dict = field(default_factory=dict)

    @property
    def window_samples(self) -> int:
        return int(round(self.window_seconds * self.sample_rate))

    def describe(self) -> dict:
        out = {**self.source, "kind": self.kind, "arch": self.arch, "sample_rate": self.sample_rate,
               "window_seconds": self.window_seconds, "channels": self.channels, "slots": self.slots,
               "task": self.task}
        if self.kind == "tagger":
            out["decision"] = self.decision
            out["decision_source"] = self.decision_source
        return out


def weights_cache_path(cache_dir: Path, model_id: str, sha256: str) -> Path:
    return Path(cache_dir) / "weights" / f"{model_id}-{sha256[:12]}.pt"


def _read_manifest(model_dir: Path) -> dict:
    path = model_dir / "manifest.json"
    try:
        man = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ModelLoadError(f"{path}: no manifest.json in this model folder") from exc
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{path}: cannot read the manifest ({exc})") from exc
    if not isinstance(man, dict) or "kind" not in man or "id" not in man:
        raise ModelLoadError(f"{path}: not a model manifest (needs id, kind)")
    return man


def _from_model_dir(model_dir: Path, cache_dir: Path, check_parity: bool, threads: int, log) -> tuple:
    from ..export import sha256_file
    from ..export.from_onnx import recover
    from ..models.checkpoint import load_checkpoint

    man = _read_manifest(model_dir)
    onnx = model_dir / man.get("onnx_file", "model.onnx")
    if not onnx.is_file():
        raise ModelLoadError(f"{onnx}: the model's ONNX file is missing")
    digest = sha256_file(onnx)
    if man.get("sha256") and man["sha256"] != digest:
        raise ModelLoadError(f"{onnx}: sha256 {digest} differs from the manifest's {man['sha256']}")
    cached = weights_cache_path(cache_dir, man["id"], digest)
    reused = False
    if cached.is_file():
        try:
            model, meta = load_checkpoint(cached)
            reused = meta.get("sha256") == digest
        except S5Error:
            reused = False
        if not reused:
            log(f"eval: cached weights {cached} do not match {onnx}; recovering again")
    if not reused:
        log(f"eval: recovering PyTorch weights of {man['id']} from {onnx} (once; cached in {cached})")
        recover(model_dir, cached, check_parity=check_parity, threads=threads)
        model, meta = load_checkpoint(cached)
    source = {"type": "model-dir", "path": str(model_dir), "id": man["id"], "sha256": digest,
              "weights": str(cached), "weights_cached": reused, "parity_checked": check_parity or reused}
    return model, meta, man, source


def _from_checkpoint(path: Path) -> tuple:
    from ..models.checkpoint import load_checkpoint

    model, meta = load_checkpoint(path)
    source = {"type": "checkpoint", "path": str(path), "id": meta.get("id"), "steps": meta.get("steps")}
    return model, meta, None, source


def load_model(spec, want_kind: str, *, thresholds=None, cache_dir=None, check_parity: bool = True,
               threads: int = 1, log=lambda msg: None) -> LoadedModel:
    """``spec``: a model folder (or its manifest.json) or a checkpoint file; ``want_kind``:
    'tagger' | 'separator' (a model of the other kind is an error naming the file)."""
    path = Path(spec)
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    if path.name == "manifest.json" and path.is_file():
        path = path.parent
    if path.is_dir():
        model, meta, man, source = _from_model_dir(path, cache_dir, check_parity, threads, log)
    elif path.is_file():
        model, meta, man, source = _from_checkpoint(path)
    else:
        raise ModelLoadError(f"{path}: no such model folder or checkpoint (--{want_kind})")
    kind = getattr(model, "kind", None)
    if kind != want_kind:
        raise ModelLoadError(f"{path}: is a {kind} ({getattr(model, 'arch', '?')}); --{want_kind} needs a {want_kind}")
    task = (man or {}).get("task") or meta.get("task") or model.task
    loaded = LoadedModel(model=model.eval(), kind=kind, arch=model.arch, sample_rate=int(model.sample_rate),
                         window_seconds=float(model.window_seconds), channels=int(model.channels),
                         slots=int(model.slots), task=task, source=source, meta=meta)
    if man is not None:
        # the manifest is the contract the app runs by; the recovered model must agree with it
        for key in ("sample_rate", "channels", "slots"):
            if key in man and int(man[key]) != int(getattr(loaded, key)):
                raise ModelLoadError(f"{path}: manifest {key} {man[key]} but the recovered model has {getattr(loaded, key)}")
        if "window_seconds" in man:
            loaded.window_seconds = float(man["window_seconds"])
    if kind == "tagger":
        if man is not None and man.get("decision"):
            base, where = man["decision"], f"{path / 'manifest.json'} decision"
        elif meta.get("decision"):
            base, where = meta["decision"], f"{path} meta.decision"
        else:
            base, where = default_rule(task, loaded.slots), "default (threshold 0.5)"
        rule = normalise_rule(base, where)
        if thresholds:
            rule, where = read_rule_file(thresholds, rule), f"{thresholds} (over {where})"
        loaded.decision, loaded.decision_source = rule, where
    return loaded
