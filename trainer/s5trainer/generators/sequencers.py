"""Event sequencers: realistic FootSteps, Typing, Clapping and Dishes events from one-shots.

Timing statistics (data-sources.md §4): walking 1.4-2.2 steps/s with 3-8 % jitter and left/right
level alternation; typing with log-normal inter-key intervals (median 120-250 ms) in word bursts
separated by longer pauses; one person clapping at 2-6 Hz or applause as the sum of 5-60
independent clappers; dishes as Poisson clusters of clinks. One-shots are varied by small
resampling (pitch/size), level jitter and truncation.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.signal import resample_poly

from .common import finish, n_of

SEQUENCED_CLASSES = ("FootSteps", "Typing", "Clapping", "Dishes")


def _vary(shot: np.ndarray, rng: np.random.Generator, pitch: float = 0.04) -> np.ndarray:
    """Resample by up to ±``pitch`` (changes size/pitch and length together)."""
    up = int(rng.integers(int(100 * (1 - pitch)), int(100 * (1 + pitch)) + 1))
    return resample_poly(shot.astype(np.float64), 100, up) if up != 100 else shot.astype(np.float64)


def _add(y: np.ndarray, shot: np.ndarray, t: float, rate: int, gain: float) -> None:
    a = int(t * rate)
    m = min(len(shot), len(y) - a)
    if m > 0 and a >= 0:
        y[a:a + m] += gain * shot[:m]


def footsteps(shots: Sequence[np.ndarray], rng, rate: int, seconds: float) -> np.ndarray:
    y = np.zeros(n_of(seconds, rate))
    running = rng.random() < 0.15
    interval = 1.0 / (rng.uniform(2.6, 3.4) if running else rng.uniform(1.4, 2.2))
    pair = [shots[int(rng.integers(len(shots)))] for _ in range(2)]   # left and right foot
    lr_db = rng.uniform(0.5, 2.5)
    ramp_db = rng.uniform(-8, 8)                                       # approaching / receding
    t, k = rng.uniform(0.0, 0.3), 0
    while t < seconds - 0.05:
        level = 10 ** ((ramp_db * t / seconds + (lr_db if k % 2 else 0.0) + rng.normal(0, 1.0)) / 20)
        _add(y, _vary(pair[k % 2], rng, 0.03), t, rate, level)
        t += interval * rng.uniform(0.94, 1.06)
        k += 1
    return y


def typing(shots: Sequence[np.ndarray], rng, rate: int, seconds: float) -> np.ndarray:
    y = np.zeros(n_of(seconds, rate))
    median = rng.uniform(0.12, 0.25)
    t = rng.uniform(0.0, 0.3)
    while t < seconds - 0.05:
        for _ in range(int(rng.integers(2, 9))):                       # one word
            if t >= seconds - 0.05:
                break
            shot = shots[int(rng.integers(len(shots)))]
            _add(y, _vary(shot, rng, 0.02), t, rate, 10 ** (rng.normal(0, 2.5) / 20))
            t += float(np.clip(rng.lognormal(np.log(median), 0.35), 0.04, 0.8))
        t += rng.uniform(0.15, 0.6) if rng.random() > 0.1 else rng.uniform(0.8, 2.0)   # space / thinking
    return y


def clapping(shots: Sequence[np.ndarray], rng, rate: int, seconds: float) -> np.ndarray:
    y = np.zeros(n_of(seconds, rate))
    if rng.random() < 0.6:   # one to three people clapping
        for _ in range(int(rng.integers(1, 4))):
            shot = shots[int(rng.integers(len(shots)))]
            hz = rng.uniform(2.0, 6.0)
            t = rng.uniform(0.0, 0.3)
            stop = rng.uniform(min(1.0, seconds), seconds)
            while t < stop:
                _add(y, _vary(shot, rng, 0.02), t, rate, 10 ** (rng.normal(0, 1.5) / 20))
                t += 1.0 / hz * rng.uniform(0.96, 1.04)
    else:                    # applause: many independent clappers, swelling and fading
        n_people = int(rng.integers(5, 60))
        swell = rng.uniform(0.3, 1.5)
        for _ in range(n_people):
            shot = _vary(shots[int(rng.integers(len(shots)))], rng, 0.08)
            hz = rng.uniform(2.5, 6.5)
            t = rng.uniform(0.0, swell)
            stop = seconds - rng.uniform(0.0, min(2.0, seconds / 2))
            g = rng.uniform(0.3, 1.0)
            while t < stop:
                _add(y, shot, t, rate, g * 10 ** (rng.normal(0, 2.0) / 20))
                t += 1.0 / hz * rng.uniform(0.9, 1.1)
    return y


def dishes_sequence(shots: Sequence[np.ndarray], rng, rate: int, seconds: float) -> np.ndarray:
    y = np.zeros(n_of(seconds, rate))
    t = rng.uniform(0.0, 0.2)
    rate_hz = rng.uniform(1.0, 6.0)
    while t < seconds - 0.05:
        for _ in range(int(rng.integers(1, 4)) if rng.random() < 0.3 else 1):
            _add(y, _vary(shots[int(rng.integers(len(shots)))], rng, 0.05), t, rate, rng.uniform(0.2, 1.0))
            t += rng.uniform(0.01, 0.1)
        t += rng.exponential(1.0 / rate_hz)
    return y


SEQUENCERS = {"FootSteps": footsteps, "Typing": typing, "Clapping": clapping, "Dishes": dishes_sequence}
SECONDS = {"FootSteps": (2.0, 10.0), "Typing": (2.0, 10.0), "Clapping": (1.0, 8.0), "Dishes": (1.5, 6.0)}


def sequence(label: str, shots: Sequence[np.ndarray], rng: np.random.Generator, rate: int,
             seconds: float | None = None) -> np.ndarray:
    """One event of ``label`` built from the mono one-shots ``shots`` (all at ``rate``)."""
    if label not in SEQUENCERS:
        raise ValueError(f"no sequencer for {label}; sequencers exist for {', '.join(SEQUENCED_CLASSES)}")
    if not shots:
        raise ValueError(f"sequencing {label} needs at least one one-shot")
    if seconds is None:
        seconds = float(rng.uniform(*SECONDS[label]))
    x = SEQUENCERS[label](shots, rng, rate, seconds)
    n = n_of(seconds, rate)
    return finish(np.pad(x[:n], (0, max(0, n - len(x)))), rate, rng, eq=False)
