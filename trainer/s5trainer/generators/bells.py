"""Modal bell generators: bicycle bells, door chimes/bells, mechanical alarm-clock bells."""
from __future__ import annotations

import numpy as np

from .common import damped_modes, n_of, strike_noise


def _bell_strike(n, rate, rng, start, f0, ratios, decays, amps, split_hz=(2.0, 10.0), gain=1.0):
    """One strike of a bell whose modes come in near-degenerate pairs (beating)."""
    freqs, dec, amp = [], [], []
    for r, d, a in zip(ratios, decays, amps):
        f = f0 * r * rng.uniform(0.99, 1.01)
        split = rng.uniform(*split_hz)
        for s in (-0.5, 0.5):
            freqs.append(f + s * split)
            dec.append(d * rng.uniform(0.8, 1.2))
            amp.append(gain * a * rng.uniform(0.6, 1.0))
    y = damped_modes(n, rate, freqs, dec, amp, rng, start)
    return y + 0.3 * gain * strike_noise(n, rate, rng, start, ms=rng.uniform(1.5, 4.0), hp=3000.0)


def bicycle_bell(rng: np.random.Generator, rate: int, seconds: float) -> np.ndarray:
    """Dome bell (2.5-4.5 kHz): 1-3 'ding' strikes or a rotary 'brrring' strike train."""
    n = n_of(seconds, rate)
    f0 = rng.uniform(2500, 4500) * (0.5 if rate < 12000 else 1.0)
    ratios = np.array([1.0, rng.uniform(1.45, 1.6), rng.uniform(2.3, 2.6), rng.uniform(3.0, 3.4), rng.uniform(4.0, 4.5)])
    base_decay = rng.uniform(0.4, 1.4)
    decays = base_decay / ratios ** rng.uniform(0.5, 1.0)
    amps = np.array([1.0, 0.6, 0.35, 0.2, 0.1]) * rng.uniform(0.7, 1.3, 5)
    y = np.zeros(n)
    if rng.random() < 0.5:   # discrete dings
        t = rng.uniform(0.0, 0.1)
        for _ in range(int(rng.integers(1, 4))):
            if t >= seconds:
                break
            y += _bell_strike(n, rate, rng, int(t * rate), f0, ratios, decays, amps, gain=rng.uniform(0.6, 1.0))
            t += rng.uniform(0.12, 0.45)
    else:                    # rotary ring: clapper hits at 12-25 Hz for 0.3-1.5 s
        rate_hz, t = rng.uniform(12, 25), rng.uniform(0.0, 0.1)
        stop = min(seconds - 0.1, t + rng.uniform(0.3, 1.5))
        while t < stop:
            y += _bell_strike(n, rate, rng, int(t * rate), f0, ratios, decays, amps, gain=rng.uniform(0.3, 0.7))
            t += 1.0 / rate_hz * rng.uniform(0.85, 1.15)
    return y


_BAR = (1.0, 2.76, 5.40)   # free-free bar partial ratios (tubular/bar chimes)


def doorbell(rng: np.random.Generator, rate: int, seconds: float) -> np.ndarray:
    """Ding-dong bar chime, a short chime melody, or an electromechanical ringing bell."""
    n = n_of(seconds, rate)
    kind = rng.choice(["dingdong", "melody", "electric"], p=[0.5, 0.3, 0.2])
    y = np.zeros(n)
    if kind == "electric":
        f0 = rng.uniform(900, 2200)
        ratios, decays = np.array([1.0, 2.1, 3.4]), np.array([0.6, 0.3, 0.15]) * rng.uniform(0.6, 1.4)
        hz, t = rng.uniform(18, 35), rng.uniform(0.0, 0.1)
        stop = min(seconds - 0.2, t + rng.uniform(0.8, 3.0))
        while t < stop:
            y += _bell_strike(n, rate, rng, int(t * rate), f0, ratios, decays, [1.0, 0.5, 0.3],
                              split_hz=(1.0, 4.0), gain=rng.uniform(0.4, 0.7))
            t += 1.0 / hz
        return y
    root = 440.0 * 2 ** (rng.integers(-5, 8) / 12)
    if kind == "dingdong":
        interval = rng.choice([3, 4, 5, 7])
        notes = [root * 2 ** (interval / 12), root]
        if rng.random() < 0.3:
            notes = notes + notes
    else:
        scale = np.array([0, 2, 4, 5, 7, 9, 11, 12])
        notes = [root * 2 ** (rng.choice(scale) / 12) for _ in range(int(rng.integers(3, 6)))]
    timbre = rng.choice(["bar", "sine"])
    decay = rng.uniform(0.8, 2.0)
    t = rng.uniform(0.0, 0.15)
    for f in notes:
        if t >= seconds - 0.05:
            break
        start = int(t * rate)
        if timbre == "bar":
            y += damped_modes(n, rate, [f * r for r in _BAR], [decay, decay / 3, decay / 8], [1.0, 0.35, 0.12], rng, start)
            y += 0.15 * strike_noise(n, rate, rng, start, ms=2.0, hp=1500.0)
        else:
            y += damped_modes(n, rate, [f, 2 * f, 3 * f], [decay, decay / 2, decay / 4], [1.0, 0.2, 0.05], rng, start)
        t += rng.uniform(0.35, 0.9)
    return y


def mechanical_alarm(rng: np.random.Generator, rate: int, seconds: float) -> np.ndarray:
    """Twin-bell alarm clock: a hammer alternating between two bells at 15-30 Hz."""
    n = n_of(seconds, rate)
    f1, f2 = rng.uniform(1500, 3200), rng.uniform(1500, 3200)
    ratios, decays = np.array([1.0, 1.55, 2.5]), np.array([0.5, 0.25, 0.12]) * rng.uniform(0.6, 1.5)
    hz = rng.uniform(15, 30)
    y = np.zeros(n)
    t, k = rng.uniform(0.0, 0.2), 0
    stop = seconds - rng.uniform(0.0, 0.3)
    while t < stop:
        f = f1 if k % 2 == 0 else f2
        y += _bell_strike(n, rate, rng, int(t * rate), f, ratios, decays, [1.0, 0.5, 0.25], gain=rng.uniform(0.5, 0.8))
        t += 1.0 / hz * rng.uniform(0.9, 1.1)
        k += 1
    return y
