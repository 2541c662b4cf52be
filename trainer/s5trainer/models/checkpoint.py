"""Checkpoints: the s5trainer format and the official (Lightning) baseline layout.

s5trainer checkpoint (``torch.save`` of a dict; what ``export --checkpoint`` reads)::

    {"format": "s5trainer-model/1",
     "arch": "sep-small-16k",            # registry id
     "overrides": {...},                 # build_model(arch, **overrides) kwargs (may be {})
     "state_dict": model.state_dict(),   # strict load
     "meta": {...}}                      # free-form provenance: steps, data, metrics, created...

Official checkpoints are Lightning ``.ckpt`` files whose ``state_dict`` keys carry a module prefix
(``model.`` in the baseline). :func:`strip_official_prefix` removes it the way the baseline's
``S5._load_ckpt`` does (find the checkpoint key that ends with the model's first key) and the
result loads with ``strict=True``. :func:`detect_official_arch` tells the four official
architectures apart from tensor shapes.
"""
from __future__ import annotations

from pathlib import Path

import torch

from ..errors import S5Error
from .registry import build_model, get_spec
from .safe_load import load_inert

FORMAT = "s5trainer-model/1"


class CheckpointError(S5Error):
    code = "bad_checkpoint"


def save_checkpoint(model, path, meta: dict | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    obj = {"format": FORMAT, "arch": model.arch, "overrides": dict(getattr(model, "overrides", {})),
           "state_dict": model.state_dict(), "meta": dict(meta or {})}
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    tmp.replace(path)
    return path


def _torch_load(path):
    try:
        return torch.load(path, map_location="cpu")
    except Exception as exc:  # noqa: BLE001 - report any unreadable file the same way
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from exc


def load_checkpoint(path):
    """-> (model in eval mode, meta). Accepts the s5trainer format only (see module doc)."""
    obj = _torch_load(path)
    if not isinstance(obj, dict) or "arch" not in obj or "state_dict" not in obj:
        raise CheckpointError(
            f"{path}: not an s5trainer checkpoint (need keys arch, overrides, state_dict, meta); "
            "official baseline checkpoints go through 'import-official'")
    model = build_model(obj["arch"], **(obj.get("overrides") or {}))
    try:
        model.load_state_dict(obj["state_dict"], strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: state_dict does not match {obj['arch']}: {exc}") from exc
    model.overrides = dict(obj.get("overrides") or {})
    return model.eval(), dict(obj.get("meta") or {})


def strip_official_prefix(model_keys: list[str], ckpt_sd: dict) -> dict:
    """Remove the Lightning module prefix (baseline rule: suffix match on the first model key)."""
    if set(model_keys) == set(ckpt_sd):
        return dict(ckpt_sd)
    first = model_keys[0]
    hits = [k for k in ckpt_sd if k.endswith(first)]
    if not hits:
        raise CheckpointError(f"no checkpoint key ends with {first!r}; not this architecture")
    prefix = hits[0][: -len(first)]
    return {k[len(prefix):]: v for k, v in ckpt_sd.items() if k.startswith(prefix)}


def detect_official_arch(sd: dict) -> str:
    """Tell resunet / resunetk / m2dat / m2dat-2026 / m2dat4c apart from the (prefixed) state dict."""
    def find(suffix):
        for k, v in sd.items():
            if k.endswith(suffix):
                return v
        return None
    after = find("base.after_conv.weight")
    if after is not None:
        return "resunetk" if after.shape[0] == 36 else "resunet"
    if find("head.linear.0.weight") is not None and find("m2d.backbone.cls_token") is not None:
        return "m2dat4c"
    if find("head.linear.0.weight") is not None and find("backbone.cls_token") is not None:
        return "m2dat-2026"
    head = find("head.weight")
    if head is not None and find("backbone.cls_token") is not None:
        return "m2dat"
    raise CheckpointError("state dict matches none of resunet, resunetk, m2dat, m2dat-2026, m2dat4c")


def load_official(path, arch: str | None = None):
    """Official Lightning checkpoint -> (model in eval mode, info dict).

    Read with :func:`safe_load.load_inert`: no code from the file runs (Lightning's extra objects
    become inert placeholders, listed in ``info["ignored_objects"]``), on torch 1.x and 2.x alike."""
    try:
        obj, ignored = load_inert(path)
    except Exception as exc:  # noqa: BLE001 - report any unreadable file the same way
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from exc
    sd = obj.get("state_dict", obj) if isinstance(obj, dict) else None
    if not isinstance(sd, dict):
        raise CheckpointError(f"{path}: no state_dict")
    arch = get_spec(arch).id if arch else detect_official_arch(sd)
    model = build_model(arch)
    own = model.state_dict()
    clean = strip_official_prefix(list(own.keys()), sd)
    filled = []
    # Fixed DFT / mel constants are recomputed here; tolerate their absence or a different
    # library's extra constant buffers, but nothing else (all learned weights load strictly).
    missing = [k for k in own if k not in clean]
    unexpected = [k for k in clean if k not in own]
    if all(_is_constant(k) for k in missing + unexpected):
        for k in missing:
            clean[k] = own[k]
            filled.append(k)
        for k in unexpected:
            clean.pop(k)
    try:
        model.load_state_dict(clean, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: does not load strictly into {arch}: {exc}") from exc
    info = {"arch": arch, "epoch": obj.get("epoch"), "global_step": obj.get("global_step"),
            "source": str(path), "filled_constants": filled, "ignored_objects": ignored, "dropped_constants": unexpected
            if all(_is_constant(k) for k in missing + unexpected) else []}
    return model.eval(), info


_CONSTANT_PARTS = ("base.stft.", "base.istft.", "to_spec.")


def _is_constant(key: str) -> bool:
    return any(part in key for part in _CONSTANT_PARTS)


def save_official_layout(model, path, prefix: str = "model.", epoch: int = 0, step: int = 0) -> Path:
    """Write ``model`` the way the baseline's Lightning trainer would (for tests and tooling)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    import argparse

    sd = {prefix + k: v for k, v in model.state_dict().items()}
    # Like Lightning: hyper-parameters as a Python object, optimiser state with Python floats.
    torch.save({"epoch": epoch, "global_step": step, "pytorch-lightning_version": "2.5.1",
                "state_dict": sd, "loops": {}, "callbacks": {},
                "optimizer_states": [{"state": {}, "param_groups": [{"lr": 1e-3, "amsgrad": True}]}],
                "lr_schedulers": [], "hparams_name": "kwargs",
                "hyper_parameters": argparse.Namespace(lr=1e-3, arch=getattr(model, "arch", "?"))}, path)
    return path
