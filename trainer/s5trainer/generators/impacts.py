"""Dishes: modal impacts of ceramic, glass and metal objects in clatter sequences."""
from __future__ import annotations

import numpy as np

from .common import damped_modes, n_of, strike_noise

# (frequency range of the lowest mode, mode ratio spread, decay range s) per material
MATERIALS = {
    "ceramic": ((1200, 3500), (1.0, 4.5), (0.03, 0.2)),
    "glass": ((1800, 5000), (1.0, 3.5), (0.15, 0.8)),
    "metal": ((2500, 7000), (1.0, 5.0), (0.1, 0.5)),
}


def _object(rng):
    mat = str(rng.choice(list(MATERIALS)))
    (flo, fhi), (rlo, rhi), (dlo, dhi) = MATERIALS[mat]
    f0 = rng.uniform(flo, fhi)
    k = int(rng.integers(4, 9))
    ratios = np.sort(np.concatenate([[1.0], rng.uniform(rlo + 0.3, rhi, k - 1)]))
    decays = rng.uniform(dlo, dhi, k) / np.sqrt(ratios)
    amps = rng.uniform(0.3, 1.0, k) / ratios ** 0.5
    return f0 * ratios, decays, amps


def dishes(rng: np.random.Generator, rate: int, seconds: float) -> np.ndarray:
    """2-5 objects hit each other in Poisson clusters (single clinks and short stacking bursts)."""
    n = n_of(seconds, rate)
    objects = [_object(rng) for _ in range(int(rng.integers(2, 6)))]
    y = np.zeros(n)
    t = rng.uniform(0.0, 0.2)
    rate_hz = rng.uniform(1.5, 8.0)
    while t < seconds - 0.05:
        burst = int(rng.integers(1, 5)) if rng.random() < 0.3 else 1
        tb = t
        for _ in range(burst):
            if tb >= seconds - 0.02:
                break
            freqs, decays, amps = objects[int(rng.integers(len(objects)))]
            g = rng.uniform(0.2, 1.0)
            start = int(tb * rate)
            y += g * damped_modes(n, rate, freqs * rng.uniform(0.98, 1.02), decays, amps, rng, start)
            y += g * rng.uniform(0.1, 0.5) * strike_noise(n, rate, rng, start, ms=rng.uniform(1, 5), hp=1000.0)
            tb += rng.uniform(0.01, 0.08)
        t += rng.exponential(1.0 / rate_hz)
    return y
