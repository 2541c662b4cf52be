"""4-channel backgrounds: ambience clips spread over plane waves, procedural diffuse noise, or real
FOA ambience recordings used as they are (randomly rotated about the vertical; exact for FOA), with
an optional spectral tilt (background colour)."""
from __future__ import annotations

from functools import lru_cache

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


@lru_cache(maxsize=8)
def load_foa_file(path: str, rate: int) -> np.ndarray:
    """A 4-channel ACN/SN3D recording at ``rate`` (float32, read-only, cached per process)."""
    from ..audio import read_audio, resample
    from ..errors import DataError

    x, sr = read_audio(path)
    if x.shape[0] != 4:
        raise DataError(f"{path}: {x.shape[0]} channels; an FOA ambience needs 4 (ACN/SN3D)")
    x = np.ascontiguousarray(resample(x, sr, rate) if sr != rate else x, dtype=np.float32)
    x.setflags(write=False)
    return x


def tilt(x: np.ndarray, rate: int, db_per_octave: float) -> np.ndarray:
    """Spectral tilt of ``db_per_octave`` around 1 kHz (20 Hz-16 kHz hinge range), every channel."""
    n = x.shape[-1]
    f = np.fft.rfftfreq(n, 1.0 / rate)
    h = 10.0 ** (db_per_octave * np.clip(np.log2(np.maximum(f, 20.0) / 1000.0), -5.6, 4.0) / 20.0)
    return np.fft.irfft(np.fft.rfft(x, axis=-1) * h, n=n, axis=-1).astype(np.float32)


def render_background(spec: dict, n: int, rate: int, load_clip, tile: bool = True) -> np.ndarray:
    """The background of a scene spec, before level scaling (``load_clip(id) -> mono``)."""
    rng = np.random.default_rng(spec["seed"])
    if spec["kind"] == "procedural":
        out = diffuse_noise(spec["noise"], n, rate, rng)
    elif spec["kind"] == "foa_file":
        from ..rooms.rotation import foa_rotation, rotate_foa

        x = load_foa_file(spec["file"], rate)
        offset = int(spec["offset_frac"] * max(x.shape[1] - n, 0))
        seg = x[:, offset:offset + n]
        if seg.shape[1] < n:
            seg = np.tile(x, (1, int(np.ceil(n / x.shape[1]))))[:, :n]
        out = rotate_foa(seg, foa_rotation(spec["yaw_deg"])).astype(np.float32)
    else:
        x = load_clip(spec["clip"])
        out = diffuse_from_mono(excerpt(x, n, int(spec["offset_s"] * rate), tile), rng)
    if spec.get("tilt_db_per_octave"):
        out = tilt(out, rate, spec["tilt_db_per_octave"])
    return out
