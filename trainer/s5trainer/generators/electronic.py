"""Electronic signalling sounds: buzzers and digital alarm-clock beeps (through a small speaker)."""
from __future__ import annotations

import numpy as np
from scipy.signal import sawtooth

from .common import bandpass, n_of


def _gate(rng, n, rate, on_s, off_s, start=0.0, jitter=0.02):
    """On/off pattern with 3 ms edges."""
    g = np.zeros(n)
    t = start
    while t < n / rate:
        a, b = int(t * rate), int(min(t + on_s, n / rate) * rate)
        g[a:b] = 1.0
        t += (on_s + off_s) * rng.uniform(1 - jitter, 1 + jitter)
    k = max(int(0.003 * rate), 1)
    return np.convolve(g, np.ones(k) / k, mode="same")


def _speaker(x, rate, rng, lo=(250, 600), hi=(3500, 7000), drive=(1.0, 4.0)):
    y = bandpass(x, rng.uniform(*lo), rng.uniform(*hi), rate)
    d = rng.uniform(*drive)
    return np.tanh(d * y / max(np.max(np.abs(y)), 1e-9)) / np.tanh(d)


def buzzer(rng: np.random.Generator, rate: int, seconds: float) -> np.ndarray:
    """Electromechanical/piezo buzzers: square, PWM or saw tones, continuous or pulsed."""
    n = n_of(seconds, rate)
    t = np.arange(n) / rate
    piezo = rng.random() < 0.3
    f0 = rng.uniform(1800, 4000) if piezo else rng.uniform(100, 450)
    f = f0 * (1 + rng.uniform(0.0, 0.02) * np.sin(2 * np.pi * rng.uniform(1, 8) * t))
    ph = 2 * np.pi * np.cumsum(f) / rate
    wave = rng.choice(["square", "pwm", "saw"])
    if wave == "square":
        x = np.sign(np.sin(ph))
    elif wave == "pwm":
        x = np.where(np.mod(ph, 2 * np.pi) < 2 * np.pi * rng.uniform(0.1, 0.4), 1.0, -1.0)
    else:
        x = sawtooth(ph)
    x = x + rng.uniform(0.0, 0.3) * rng.standard_normal(n)   # rattle of the armature
    if rng.random() < 0.5:
        x *= _gate(rng, n, rate, rng.uniform(0.15, 1.0), rng.uniform(0.1, 0.6), rng.uniform(0, 0.1))
    else:
        on = np.zeros(n)
        a = int(rng.uniform(0, 0.1) * rate)
        on[a:a + int(rng.uniform(0.5, 1.0) * (n - a))] = 1.0
        x *= np.convolve(on, np.ones(max(int(0.004 * rate), 1)) / max(int(0.004 * rate), 1), mode="same")
    return _speaker(x, rate, rng, lo=(150, 400) if not piezo else (800, 1500))


def digital_alarm(rng: np.random.Generator, rate: int, seconds: float) -> np.ndarray:
    """Beep-beep alarm: groups of 2-4 short beeps at 1.5-4.5 kHz, group period 0.5-1.2 s."""
    n = n_of(seconds, rate)
    t = np.arange(n) / rate
    f0 = rng.uniform(1500, 4500)
    tone = np.sin(2 * np.pi * f0 * t) if rng.random() < 0.5 else np.sign(np.sin(2 * np.pi * f0 * t))
    beeps, beep_s, gap_s = int(rng.integers(2, 5)), rng.uniform(0.05, 0.15), rng.uniform(0.04, 0.1)
    period = max(rng.uniform(0.5, 1.2), beeps * (beep_s + gap_s) + 0.1)
    gate = np.zeros(n)
    t0 = rng.uniform(0, 0.1)
    accel = rng.random() < 0.3   # some alarms speed up over time
    while t0 < seconds:
        for b in range(beeps):
            a = int((t0 + b * (beep_s + gap_s)) * rate)
            gate[a:a + int(beep_s * rate)] = 1.0
        t0 += period * (0.97 if accel else 1.0)
        period = period * (0.97 if accel else 1.0)
    k = max(int(0.002 * rate), 1)
    gate = np.convolve(gate, np.ones(k) / k, mode="same")
    return _speaker(tone * gate, rate, rng, lo=(400, 900), hi=(5000, 9000), drive=(1.0, 2.0))
