"""Small synthetic fixtures for tests and benchmarks (lhotse ``testing/dummies`` style).

``make_dummy_library`` writes a valid library of short generated clips (no package downloads);
``make_dummy_bank`` simulates a tiny room bank with every split present.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .audio import write_audio
from .labels import CLASSES
from .library.records import Clip, write_library
from .rooms.bank import build_bank


def _tone_clip(rng: np.random.Generator, rate: int, seconds: float, f0: float) -> np.ndarray:
    n = int(seconds * rate)
    t = np.arange(n) / rate
    f = f0 * (1 + 0.05 * np.sin(2 * np.pi * rng.uniform(0.5, 3) * t))
    x = np.sin(2 * np.pi * np.cumsum(f) / rate) + 0.2 * rng.standard_normal(n)
    env = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.02)
    return (0.5 * x * env).astype(np.float32)


def make_dummy_library(path, rate: int = 16000, classes=CLASSES, per_split=(3, 2, 2),
                       seconds=(0.5, 3.0), n_interference=(3, 2, 2), n_background=(2, 1, 1),
                       seed: int = 0, long_clip_every: int = 0) -> Path:
    """Write a library with ``per_split`` (train, val, test) clips per class; returns its path.

    Clips of one class share a group per split pair of files (``<class>_g<k>``), so group rules can
    be tested. ``long_clip_every`` > 0 makes every k-th target clip 12 s long (longer than a scene).
    """
    path = Path(path)
    rng = np.random.default_rng(seed)
    clips: list[Clip] = []

    def add(role, label, split, x, k):
        cid = f"{role[:3]}-{label}-{split}-{k:03d}"
        rel = f"clips/{role}/{label}/{cid}.wav"
        write_audio(path / rel, x, rate)
        clips.append(Clip(id=cid, role=role, label=label, split=split, file=rel,
                          duration_s=len(x) / rate, rate=rate, sha1=hashlib.sha1(x.tobytes()).hexdigest(),
                          package="dummy", licence="CC0-1.0", origin="procedural",
                          group=f"{label}-{split}-g{k // 2}"))

    counter = 0
    for ci, cls in enumerate(classes):
        for split, n in zip(("train", "val", "test"), per_split):
            for k in range(n):
                counter += 1
                dur = 12.0 if long_clip_every and counter % long_clip_every == 0 else rng.uniform(*seconds)
                add("target", cls, split, _tone_clip(rng, rate, dur, 200 + 60 * ci + 7 * k), k)
    for split, n in zip(("train", "val", "test"), n_interference):
        for k in range(n):
            x = rng.standard_normal(int(rng.uniform(*seconds) * rate)).astype(np.float32) * 0.3
            add("interference", f"Noise{k % 2}", split, x, k)
    for split, n in zip(("train", "val", "test"), n_background):
        for k in range(n):
            x = np.cumsum(rng.standard_normal(int(6 * rate))).astype(np.float32)
            x -= np.linspace(x[0], x[-1], len(x), dtype=np.float32)
            add("background", "Brown", split, x / np.abs(x).max(), k)
    write_library(path, clips, rate, created_by="s5trainer.testing")
    return path


def make_dummy_bank(path, rate: int = 16000, n_rooms: int = 10, n_positions: int = 6,
                    max_seconds: float = 0.3, seed: int = 0) -> Path:
    """Simulate ``n_rooms`` short-IR rooms (>= 10 gives train, val and test rooms)."""
    build_bank(path, n_rooms, seed, rate=rate, n_positions=n_positions, max_seconds=max_seconds,
               t60_range=(0.2, 0.6), jobs=1)
    return Path(path)


def make_m2d_encoder(path, depth: int = 12, window_seconds: float = 10.0, seed: int = 0,
                     shared_blocks: bool = True) -> Path:
    """Write an M2D encoder file in the layout of the official recipe's backbone
    (``m2d_as_vit_base-80x1001p16x16p32k-240413_AS-FT_enconly/weights_ep69it3124-0.47998.pth``:
    ``torch.save`` of the ViT's state dict, keys without prefix, plus a decoder key the M2D tools
    leave in) from random weights. The defaults give the official size (12 blocks x 768, 311
    position tokens for 10-s windows), which ``s5trainer m2d-weights`` accepts and the official
    ``m2dat`` / ``m2dat4c`` load. ``shared_blocks``: every block holds the same random tensors,
    stored once (a 30 MB file with every key and shape of the 345 MB original); False gives each
    block its own. Written to a temporary name and renamed."""
    import os

    import torch

    from .models import build_model
    torch.manual_seed(seed)
    backbone = build_model("m2dat", depth=1 if shared_blocks else depth, window_seconds=window_seconds).backbone
    with torch.no_grad():
        backbone.cls_token.normal_(0, 0.3)   # trained CLS tokens are far from the 1e-6 initialisation
        backbone.norm_stats.copy_(torch.tensor([-6.2, 3.9]))
    own = backbone.state_dict()
    sd = {k: v.clone() for k, v in own.items() if not k.startswith("blocks.")}
    for i in range(depth):
        src = f"blocks.{0 if shared_blocks else i}."
        for k, v in own.items():
            if k.startswith(src):
                sd[f"blocks.{i}.{k[len(src):]}"] = v
    sd["decoder_blocks.0.attn.qkv.weight"] = torch.zeros(3, 3)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    torch.save(sd, tmp)
    os.replace(tmp, path)
    return path
