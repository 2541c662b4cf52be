"""Procedural background noise: coloured and HVAC-like noise, mono or 4-ch diffuse FOA (SN3D)."""
from __future__ import annotations

import numpy as np
from scipy import fft as sfft

NOISE_KINDS = ("white", "pink", "brown", "hvac", "babble_like")


def _shaped(kind: str, n: int, rate: int, rng: np.random.Generator, channels: int) -> np.ndarray:
    nfft = sfft.next_fast_len(n, real=True)
    f = np.fft.rfftfreq(nfft, 1.0 / rate)
    fk = np.maximum(f, 20.0)
    if kind == "white":
        mag = np.ones_like(f)
    elif kind == "pink":
        mag = 1.0 / np.sqrt(fk)
    elif kind == "brown":
        mag = 1.0 / fk
    elif kind == "hvac":   # broadband air noise rolled off above ~600 Hz
        corner = rng.uniform(300, 900)
        mag = 1.0 / np.sqrt(fk) / np.sqrt(1 + (f / corner) ** 2)
    elif kind == "babble_like":  # speech-shaped (distant crowd) spectrum, no intelligible content
        mag = (fk / 500.0) / (1 + (fk / 500.0) ** 2) ** 1.2
    else:
        raise ValueError(f"unknown noise kind {kind!r}; accepted: {', '.join(NOISE_KINDS)}")
    spec = (rng.standard_normal((channels, len(f))) + 1j * rng.standard_normal((channels, len(f)))) * mag
    spec[:, 0] = 0.0
    x = sfft.irfft(spec, nfft, axis=-1)[:, :n]
    if kind == "hvac":  # mains hum and a slow blower tone
        t = np.arange(n) / rate
        mains = rng.choice([50.0, 60.0])
        hum = sum(np.sin(2 * np.pi * mains * k * t + rng.uniform(0, 2 * np.pi)) / k for k in (1, 2, 3))
        x += (0.3 * x.std() * hum)[None, :]
    if kind == "babble_like":  # slow level fluctuations
        t = np.arange(n) / rate
        x *= (1 + 0.3 * np.sin(2 * np.pi * rng.uniform(0.2, 1.0) * t))[None, :]
    return x / x.std()


def noise(kind: str, n: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Mono unit-variance noise of ``kind`` (float32)."""
    return _shaped(kind, n, rate, rng, 1)[0].astype(np.float32)


def diffuse_noise(kind: str, n: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """4-ch ACN/SN3D diffuse noise: independent channels, Y/Z/X at 1/sqrt(3) of W."""
    x = _shaped(kind, n, rate, rng, 4)
    x /= x.std(axis=1, keepdims=True)   # equal channel powers, so the ratio is exactly 1
    x[1:] /= np.sqrt(3.0)
    return x.astype(np.float32)
