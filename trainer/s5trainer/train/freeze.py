"""``model.freeze_bn``: keep every BatchNorm in eval mode while the rest of the model trains.

Weights recovered from ONNX (``weights-from-onnx``) carry BatchNorms whose statistics were folded
into the preceding convolution (running_mean 0, running_var 1 - eps, the scale in the conv): a
BatchNorm that re-estimated statistics from training batches would undo that. With
``freeze_batchnorm(model)`` each BatchNorm's ``train()`` always selects eval mode, so running
statistics stay fixed through ``model.train()`` calls (the loop's, the validator's restore) while
the affine weight and bias remain trainable parameters.
"""
from __future__ import annotations

import types

import torch


def _eval_only_train(self, mode: bool = True):
    return torch.nn.Module.train(self, False)


def freeze_batchnorm(model: torch.nn.Module) -> list[str]:
    """Pin every BatchNorm of ``model`` to eval mode; returns their names."""
    names = []
    for name, m in model.named_modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.train = types.MethodType(_eval_only_train, m)
            m.train(False)
            names.append(name)
    return names


def _model_file(path):
    from ..models.safe_load import load_inert   # no code from the file runs
    try:
        obj, _ignored = load_inert(path)
    except Exception:  # noqa: BLE001 - unreadable files are reported by the init loader itself
        return None
    return obj if isinstance(obj, dict) and isinstance(obj.get("meta"), dict) else None


def init_needs_frozen_bn(path) -> bool:
    """True when ``path`` is an s5trainer model file whose meta asks for frozen BatchNorms."""
    obj = _model_file(path)
    return bool(obj and (obj["meta"].get("freeze_bn") or obj["meta"].get("bn_folded")))


def recovered_overrides(path, arch: str) -> dict | None:
    """The build overrides of a ``weights-from-onnx`` file of architecture ``arch`` (else None):
    a run started from a registered model names only the architecture."""
    obj = _model_file(path)
    if not obj or not obj["meta"].get("recovered_from_onnx") or str(obj.get("arch")) != str(arch):
        return None
    return dict(obj.get("overrides") or {}) or None
