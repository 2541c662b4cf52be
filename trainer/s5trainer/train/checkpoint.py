"""Checkpoints: atomic save/load and the RNG states that make ``--resume`` exact.

A checkpoint is a plain dict (loadable with ``torch.load(weights_only=True)``: tensors, numbers,
strings, lists, dicts only)::

    {format, version, arch, overrides, kind, state_dict, optimizer, scheduler, step,
     rng: {python, numpy, torch, cuda?}, rng_ranks: [per-rank rng] | None,
     data_state: {seed, next_step, world_size, batch_size}, config, meta}

``best.pt`` carries the same keys with ``optimizer``/``scheduler``/``rng`` set to None (weights
only). The export side reads ``arch``, ``overrides``, ``state_dict`` and ``meta``.
"""
from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import numpy as np
import torch

from ..errors import S5Error

FORMAT = "s5-checkpoint"
VERSION = 1


class CheckpointError(S5Error):
    code = "bad_checkpoint"


def capture_rng() -> dict:
    """Global RNG states as weights_only-safe values (lists and uint8 tensors)."""
    py = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state = {"python": [py[0], list(py[1]), py[2]],
             "numpy": [name, keys.tolist(), int(pos), int(has_gauss), float(cached)],
             "torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state()      # this process's current device
    return state


def restore_rng(state: dict) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"].cpu())
    if state.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda"].cpu())


def save_atomic(obj: dict, path: str | Path) -> Path:
    """``torch.save`` to a temporary file in the same folder, fsync, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(obj, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load(path: str | Path, map_location="cpu") -> dict:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        ckpt = _torch_load(path, map_location)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a broken file
        raise CheckpointError(f"{path} is not a readable checkpoint: {exc}") from exc
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an s5 training checkpoint (format {FORMAT!r} expected)")
    if ckpt.get("version", 0) > VERSION:
        raise CheckpointError(f"{path} has checkpoint version {ckpt['version']}; this trainer reads <= {VERSION}")
    return ckpt


def _torch_load(path: Path, map_location):
    """``weights_only=True`` (no code execution). Torch 1.x's safe unpickler cannot read Python
    floats, so there, and only there, a file refused for that reason is read the classic way."""
    import pickle

    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        if int(torch.__version__.split(".")[0]) >= 2 or "Unsupported operand" not in str(exc):
            raise
        return torch.load(path, map_location=map_location, weights_only=False)


def weights_only(ckpt: dict) -> dict:
    """The ``best.pt`` form: same keys, no optimizer/scheduler/RNG state."""
    return {**ckpt, "optimizer": None, "scheduler": None, "rng": None, "rng_ranks": None}
