"""Cupboard/drawer opening and closing: latch clicks, stick-slip hinge creaks, wooden thuds and
drawer slides (wood modes excited by friction pulses)."""
from __future__ import annotations

import numpy as np

from .common import bandpass, damped_modes, n_of, strike_noise


def _wood_modes(rng, base):
    ratios = np.sort(rng.uniform(1.0, 6.0, 6))
    ratios[0] = 1.0
    return base * ratios, rng.uniform(0.01, 0.06, 6), rng.uniform(0.3, 1.0, 6) / ratios


def _creak(rng, n, rate, start, dur):
    """Stick-slip friction: a pulse train with wandering rate through wood resonances."""
    m = min(n_of(dur, rate), n - start)
    out = np.zeros(n)
    if m <= 0:
        return out
    t = np.arange(m) / rate
    f = rng.uniform(20, 120) * (1 + rng.uniform(0.3, 1.5) * np.sin(np.pi * t / dur) ** rng.uniform(0.5, 2)) \
        * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(1, 6) * t))
    phase = np.cumsum(f) / rate
    pulses = np.diff(np.floor(phase), prepend=0.0) * rng.uniform(0.5, 1.0, m)
    body = np.zeros(m)
    freqs, decays, amps = _wood_modes(rng, rng.uniform(300, 1200))
    kernel = damped_modes(int(0.08 * rate), rate, freqs, decays, amps, rng)
    body = np.convolve(pulses, kernel)[:m]
    env = np.sin(np.pi * np.clip(t / dur, 0, 1)) ** 0.5
    out[start:start + m] = body * env
    return out


def _thud(rng, n, rate, start, gain):
    freqs, decays, amps = _wood_modes(rng, rng.uniform(80, 250))
    y = damped_modes(n, rate, freqs, decays * rng.uniform(1.0, 3.0), amps, rng, start)
    return gain * (y + 0.5 * strike_noise(n, rate, rng, start, ms=rng.uniform(3, 10), hp=200.0))


def _click(rng, n, rate, start, gain):
    freqs = rng.uniform(1500, 6000, 4)
    return gain * (damped_modes(n, rate, freqs, rng.uniform(0.003, 0.02, 4), rng.uniform(0.3, 1, 4), rng, start)
                   + strike_noise(n, rate, rng, start, ms=1.5, hp=2000.0))


def _slide(rng, n, rate, start, dur):
    m = min(n_of(dur, rate), n - start)
    out = np.zeros(n)
    if m > 0:
        t = np.arange(m) / rate
        rough = bandpass(rng.standard_normal(m), rng.uniform(150, 400), rng.uniform(1500, 4000), rate)
        rumble = 1 + 0.5 * np.sin(2 * np.pi * rng.uniform(8, 30) * t)
        out[start:start + m] = rough * rumble * np.sin(np.pi * t / dur) ** 0.7
    return out


def cupboard(rng: np.random.Generator, rate: int, seconds: float) -> np.ndarray:
    """An open, a close, or open-pause-close of a hinged door or a drawer."""
    n = n_of(seconds, rate)
    y = np.zeros(n)
    drawer = rng.random() < 0.35
    actions = [["open"], ["close"], ["open", "close"]][int(rng.choice(3, p=[0.3, 0.3, 0.4]))]
    t = rng.uniform(0.0, 0.15)
    for act in actions:
        if t >= seconds - 0.15:
            break
        dur = min(rng.uniform(0.3, 1.2), seconds - t - 0.1)
        a = int(t * rate)
        if drawer:
            y += _slide(rng, n, rate, a, dur)
            y += _thud(rng, n, rate, min(a + n_of(dur, rate), n - 1), rng.uniform(0.3, 1.0)) * 0.5
        else:
            if act == "open":
                y += _click(rng, n, rate, a, rng.uniform(0.2, 0.6))
            if rng.random() < 0.7:
                y += rng.uniform(0.3, 1.0) * _creak(rng, n, rate, a + n_of(0.02, rate), dur)
            if act == "close":
                y += _thud(rng, n, rate, min(a + n_of(dur, rate), n - 1), rng.uniform(0.5, 1.0))
                y += _click(rng, n, rate, min(a + n_of(dur + 0.01, rate), n - 1), rng.uniform(0.2, 0.5))
        t += dur + rng.uniform(0.3, 2.0)
    return y
