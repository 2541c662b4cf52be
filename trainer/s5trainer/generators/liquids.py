"""Pouring liquid: a population of Minnaert bubbles (f ~ 3/r) over a stream noise, with the
vessel resonance rising as it fills (van den Doel-style bubble synthesis)."""
from __future__ import annotations

import numpy as np

from .common import bandpass, n_of


def pour(rng: np.random.Generator, rate: int, seconds: float) -> np.ndarray:
    n = n_of(seconds, rate)
    t = np.arange(n) / rate
    flow = np.clip(np.minimum(t / rng.uniform(0.1, 0.5), (seconds - t) / rng.uniform(0.1, 0.6)), 0, 1)
    y = np.zeros(n)
    n_bub = int(seconds * rng.uniform(60, 250))
    times = np.sort(rng.uniform(0, seconds, n_bub))
    keep = rng.random(n_bub) < np.interp(times, t, flow)
    r_min, r_max = rng.uniform(0.001, 0.002), rng.uniform(0.004, 0.008)
    for t0 in times[keep]:
        radius = np.exp(rng.uniform(np.log(r_min), np.log(r_max)))
        f = 3.0 / radius * (1 + 0.2 * t0 / seconds)
        if f > 0.45 * rate:
            continue
        damp = 0.13 * f + 0.0072 * f ** 1.5
        m = min(int(5 / damp * rate) + 1, n - int(t0 * rate))
        if m <= 1:
            continue
        tt = np.arange(m) / rate
        rise = rng.uniform(0.05, 0.2) * damp        # upward chirp as the bubble nears the surface
        y[int(t0 * rate):int(t0 * rate) + m] += (radius * 200) * np.exp(-damp * tt) * \
            np.sin(2 * np.pi * f * tt * (1 + rise * tt) + rng.uniform(0, 6.3))
    stream = bandpass(rng.standard_normal(n), rng.uniform(500, 1500), rng.uniform(3000, 8000), rate) * flow
    y = y / max(np.std(y), 1e-9) + rng.uniform(0.2, 0.8) * stream / max(np.std(stream), 1e-9)
    # filling vessel: a resonance sweeping upward over the pour
    out = np.zeros(n)
    hop = max(int(0.05 * rate), 1)
    f_lo, f_hi = rng.uniform(250, 600), rng.uniform(1200, 3000)
    for a in range(0, n, hop):
        fc = f_lo + (f_hi - f_lo) * a / n
        seg = y[max(a - hop, 0):a + hop]
        filt = bandpass(seg, fc * 0.7, fc * 1.6, rate)
        out[a:a + hop] = filt[-min(hop, n - a):] if a else filt[:min(hop, n - a)]
    return 0.6 * out + 0.4 * y
