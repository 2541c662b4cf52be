"""4-channel diffuse backgrounds: ambience clips spread over plane waves, or procedural noise."""
from __future__ import annotations

import numpy as np

from ..generators.noise import diffuse_noise
from ..rooms.arrays import foa_gains

N_PLANE_WAVES = 8


def excerpt(x: np.ndarray, n: int, offset: int, tile: bool = True) -> np.ndarray:
    """``n`` samples from ``offset``; shorter sources are tiled (or sample-repeated, 2025 style)."""
    x = x[offset:] if offset < len(x) else x
    if len(x) >= n:
        return x[:n]
    if tile:
        return np.tile(x, int(np.ceil(n / len(x))))[:n]
    return np.repeat(x, int(np.ceil(n / len(x))))[:n]  # SpatialScaper's np.repeat behaviour


def diffuse_from_mono(x: np.ndarray, rng: np.random.Generator, n_waves: int = N_PLANE_WAVES) -> np.ndarray:
    """ACN/SN3D diffuse field from a mono ambience: ``n_waves`` circularly shifted copies arriving
    from random directions (decorrelated as long as the shifts differ), power-normalised."""
    n = len(x)
    dirs = rng.standard_normal((n_waves, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    gains = foa_gains(dirs)                              # (waves, 4)
    shifts = rng.integers(0, n, n_waves)
    out = np.zeros((4, n), np.float32)
    for k in range(n_waves):
        out += gains[k][:, None].astype(np.float32) * np.roll(x, int(shifts[k]))[None, :]
    return out / np.float32(np.sqrt(n_waves))


def render_background(spec: dict, n: int, rate: int, load_clip, tile: bool = True) -> np.ndarray:
    """The background of a scene spec, before level scaling (``load_clip(id) -> mono``)."""
    rng = np.random.default_rng(spec["seed"])
    if spec["kind"] == "procedural":
        return diffuse_noise(spec["noise"], n, rate, rng)
    x = load_clip(spec["clip"])
    return diffuse_from_mono(excerpt(x, n, int(spec["offset_s"] * rate), tile), rng)
