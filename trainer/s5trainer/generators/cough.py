"""Coughs: explosive burst, formant-filtered turbulent phase and an optional voiced tail, in
bouts of 1-4 coughs separated by short inhalations (source-filter model)."""
from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from .common import bandpass, n_of


def _formant_filter(x, rate, formants, bws):
    y = np.zeros_like(x)
    for f, bw in zip(formants, bws):
        if f < 0.45 * rate:
            r = np.exp(-np.pi * bw / rate)
            a = [1.0, -2 * r * np.cos(2 * np.pi * f / rate), r * r]
            y += lfilter([1 - r], a, x)
    return y


def _one_cough(rng, rate, female: bool):
    burst_s, turb_s = rng.uniform(0.02, 0.05), rng.uniform(0.12, 0.35)
    voiced_s = rng.uniform(0.05, 0.2) if rng.random() < 0.6 else 0.0
    n = n_of(burst_s + turb_s + voiced_s + 0.05, rate)
    t = np.arange(n) / rate
    env = np.where(t < burst_s, (t / burst_s) ** 0.5, np.exp(-(t - burst_s) / (turb_s / 2.5)))
    src = rng.standard_normal(n) * env
    f1, f2, f3 = rng.uniform(450, 900), rng.uniform(1100, 2000), rng.uniform(2300, 3200)
    if female:
        f1, f2, f3 = f1 * 1.15, f2 * 1.15, f3 * 1.1
    y = _formant_filter(src, rate, [f1, f2, f3], [200, 250, 350]) + 0.3 * bandpass(src, 1500, 6000, rate)
    if voiced_s:
        f0 = rng.uniform(180, 300) if female else rng.uniform(90, 170)
        a = int((burst_s + 0.3 * turb_s) * rate)
        tv = np.arange(n - a) / rate
        pulses = (np.mod(np.cumsum(np.full(n - a, f0 * rng.uniform(0.9, 1.1))) / rate, 1.0) < 0.5).astype(float)
        venv = np.exp(-tv / (voiced_s / 2)) * np.clip(tv / 0.01, 0, 1)
        y[a:] += rng.uniform(0.3, 1.0) * np.std(y) / 0.3 * _formant_filter((pulses - 0.5) * venv, rate,
                                                                             [f1, f2, f3], [90, 120, 200])
    return y


def cough(rng: np.random.Generator, rate: int, seconds: float) -> np.ndarray:
    n = n_of(seconds, rate)
    female = rng.random() < 0.5
    y = np.zeros(n)
    t = rng.uniform(0.0, 0.1)
    for k in range(int(rng.integers(1, 5))):
        if t >= seconds - 0.1:
            break
        c = _one_cough(rng, rate, female) * rng.uniform(0.5, 1.0) * (0.85 ** k)
        a = int(t * rate)
        m = min(len(c), n - a)
        y[a:a + m] += c[:m]
        t += len(c) / rate + rng.uniform(0.05, 0.5)
        if rng.random() < 0.3 and t < seconds - 0.3:   # audible inhalation between coughs
            m = min(n_of(rng.uniform(0.15, 0.35), rate), n - int(t * rate))
            inh = bandpass(rng.standard_normal(m), 800, 5000, rate) * np.hanning(m) * 0.05
            y[int(t * rate):int(t * rate) + m] += inh * np.std(y[y != 0]) / max(np.std(inh), 1e-9)
            t += m / rate
    return y
