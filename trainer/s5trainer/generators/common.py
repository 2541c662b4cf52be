"""Building blocks shared by the procedural generators (all take an explicit Generator)."""
from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfilt


def n_of(seconds: float, rate: int) -> int:
    return max(int(round(seconds * rate)), 1)


def bandpass(x: np.ndarray, lo: float, hi: float, rate: int, order: int = 2) -> np.ndarray:
    nyq = rate / 2.0
    lo, hi = max(lo, 10.0), min(hi, 0.95 * nyq)
    if lo >= hi:
        return x
    return sosfilt(butter(order, [lo, hi], "band", fs=rate, output="sos"), x)


def lowpass(x: np.ndarray, fc: float, rate: int, order: int = 2) -> np.ndarray:
    return sosfilt(butter(order, min(fc, 0.45 * rate), "low", fs=rate, output="sos"), x)


def highpass(x: np.ndarray, fc: float, rate: int, order: int = 2) -> np.ndarray:
    return sosfilt(butter(order, min(fc, 0.45 * rate), "high", fs=rate, output="sos"), x)


def damped_modes(n: int, rate: int, freqs, decays, amps, rng: np.random.Generator, start: int = 0) -> np.ndarray:
    """Sum of exponentially decaying sinusoids (modal synthesis) starting at sample ``start``."""
    out = np.zeros(n)
    if start >= n or len(decays) == 0:
        return out
    m = min(n - start, int(7.0 * max(decays) * rate) + 1)   # modes are < -60 dB after 7 decays
    t = np.arange(m) / rate
    nyq = rate / 2.0
    for f, d, a in zip(freqs, decays, amps):
        if f < 0.95 * nyq:
            out[start:start + m] += a * np.exp(-t / d) * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    return out


def strike_noise(n: int, rate: int, rng: np.random.Generator, start: int, ms: float = 3.0,
                 hp: float = 2000.0) -> np.ndarray:
    """Short high-passed noise burst (the contact of a hammer, clapper or impact)."""
    out = np.zeros(n)
    m = min(n_of(ms / 1000, rate), n - start)
    if m > 0:
        burst = rng.standard_normal(m) * np.exp(-np.arange(m) / (0.3 * m))
        out[start:start + m] = highpass(burst, hp, rate)
    return out


def random_eq(x: np.ndarray, rate: int, rng: np.random.Generator, max_db: float = 6.0) -> np.ndarray:
    """Gentle random tilt and one peaking band, so generated clips do not share one colouring."""
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1.0 / rate) + 1.0
    tilt = rng.uniform(-max_db, max_db) * np.log2(f / 1000.0) / np.log2(rate / 2000.0)
    fc, bw, g = np.exp(rng.uniform(np.log(200), np.log(0.4 * rate))), rng.uniform(0.3, 1.5), rng.uniform(-max_db, max_db)
    peak = g * np.exp(-0.5 * (np.log2(f / fc) / bw) ** 2)
    return np.fft.irfft(spec * 10 ** ((tilt + peak) / 20), len(x))


def fade(x: np.ndarray, rate: int, fade_in: float = 0.005, fade_out: float = 0.02) -> np.ndarray:
    n = len(x)
    a, b = min(n_of(fade_in, rate), n // 2), min(n_of(fade_out, rate), n // 2)
    env = np.ones(n)
    env[:a] = np.linspace(0, 1, a, endpoint=False)
    env[n - b:] = np.linspace(1, 0, b)
    return x * env


def finish(x: np.ndarray, rate: int, rng: np.random.Generator, eq: bool = True, peak: float = 0.9) -> np.ndarray:
    """Random EQ, short fades, DC removal and peak normalisation; returns float32."""
    x = np.nan_to_num(np.asarray(x, np.float64))
    if eq:
        x = random_eq(x, rate, rng)
    x = highpass(x, 20.0, rate, 1)
    x = fade(x, rate)
    m = np.max(np.abs(x))
    return (x * (peak / m) if m > 0 else x).astype(np.float32)
