"""Motor-driven appliances: shared rotating-machine model, specialised per class.

Class identity comes from the rotation range, harmonic profile, airflow-noise band, blade-pass
modulation and operating pattern (fan: low, AM at blade pass; hair dryer: bright airflow, speed
switches; vacuum: high whine, nozzle load changes; blender: strong low harmonics, chopping load).
"""
from __future__ import annotations

import numpy as np

from .common import bandpass, lowpass, n_of


def _speed_profile(rng, n, rate, ramp_up, ramp_down, steps: int, step_range=(0.7, 1.0)):
    """Relative speed over time: ramp up, optional speed steps, optional ramp down at the end."""
    t = np.arange(n) / rate
    speed = np.ones(n)
    if steps:
        for tc in np.sort(rng.uniform(0.2, 0.9, steps)) * t[-1]:
            speed[t >= tc] = rng.uniform(*step_range)
        speed = lowpass(speed, 3.0, rate, 1)
    up = np.clip(t / max(ramp_up, 1e-3), 0, 1)
    down = np.clip((t[-1] - t) / max(ramp_down, 1e-3), 0, 1) if ramp_down > 0 else 1.0
    return speed * (0.3 + 0.7 * up) * (0.3 + 0.7 * down), up * down


def motor(rng, rate: int, seconds: float, *, f_rot, n_harm: int, harm_tilt: float, noise_band,
          noise_gain: float, am_hz: float = 0.0, am_depth: float = 0.0, ramp_up=0.3, ramp_down=0.3,
          steps: int = 0, step_range=(0.7, 1.0), wobble: float = 0.01, load=None) -> np.ndarray:
    n = n_of(seconds, rate)
    speed, level = _speed_profile(rng, n, rate, ramp_up, ramp_down, steps, step_range)
    if load is not None:
        speed = speed * (1 - 0.15 * load)
    t = np.arange(n) / rate
    f_inst = f_rot * speed * (1 + wobble * np.sin(2 * np.pi * rng.uniform(0.2, 2.0) * t + rng.uniform(0, 6.3)))
    phase = 2 * np.pi * np.cumsum(f_inst) / rate
    y = np.zeros(n)
    for k in range(1, n_harm + 1):
        if k * f_rot < 0.45 * rate:
            y += rng.uniform(0.3, 1.0) * k ** (-harm_tilt) * np.sin(k * phase + rng.uniform(0, 6.3))
    y /= max(np.std(y), 1e-9)
    air = bandpass(rng.standard_normal(n), noise_band[0], noise_band[1], rate)
    air /= max(np.std(air), 1e-9)
    y = y + noise_gain * air * speed ** 2
    if am_hz:
        y *= 1 + am_depth * np.sin(2 * np.pi * am_hz * np.cumsum(speed) / rate)
    if load is not None:
        y *= 1 + 0.5 * load
    return y * level


def mechanical_fan(rng, rate, seconds):
    blades, rps = int(rng.integers(3, 6)), rng.uniform(12, 25)
    y = motor(rng, rate, seconds, f_rot=blades * rps, n_harm=4, harm_tilt=1.5,
              noise_band=(40, rng.uniform(600, 2500)), noise_gain=rng.uniform(2.0, 5.0),
              am_hz=blades * rps, am_depth=rng.uniform(0.05, 0.3), ramp_up=rng.uniform(0.5, 2.0),
              ramp_down=float(rng.choice([0.0, rng.uniform(0.5, 2.0)])), wobble=0.005)
    t = np.arange(len(y)) / rate
    mains = rng.choice([50.0, 60.0])
    y += rng.uniform(0.05, 0.3) * np.std(y) * np.sin(2 * np.pi * 2 * mains * t)   # motor hum
    if rng.random() < 0.4:   # oscillating fan sweeps the airflow past the listener
        y *= 1 + 0.35 * np.sin(2 * np.pi * rng.uniform(0.08, 0.25) * t + rng.uniform(0, 6.3))
    return y


def hair_dryer(rng, rate, seconds):
    return motor(rng, rate, seconds, f_rot=rng.uniform(180, 420), n_harm=8, harm_tilt=1.0,
                 noise_band=(rng.uniform(500, 1200), rng.uniform(6000, 11000)), noise_gain=rng.uniform(2.5, 5.0),
                 am_hz=rng.uniform(150, 400), am_depth=rng.uniform(0.0, 0.1), ramp_up=rng.uniform(0.05, 0.3),
                 ramp_down=float(rng.choice([0.0, rng.uniform(0.1, 0.4)])), steps=int(rng.integers(0, 3)),
                 step_range=(0.6, 1.0), wobble=0.01)


def vacuum_cleaner(rng, rate, seconds):
    n = n_of(seconds, rate)
    load = lowpass((rng.random(n // 400 + 2) > rng.uniform(0.5, 0.8)).astype(float).repeat(400)[:n], 2.0, rate, 1)
    return motor(rng, rate, seconds, f_rot=rng.uniform(400, 900), n_harm=6, harm_tilt=0.8,
                 noise_band=(rng.uniform(200, 500), rng.uniform(5000, 9000)), noise_gain=rng.uniform(1.5, 3.5),
                 ramp_up=rng.uniform(0.5, 1.5), ramp_down=float(rng.choice([0.0, rng.uniform(0.5, 1.5)])),
                 wobble=0.004, load=load * rng.uniform(0.3, 1.0))


def blender(rng, rate, seconds):
    n = n_of(seconds, rate)
    chop_hz = rng.uniform(5, 20)
    k = max(int(rate / chop_hz), 1)
    load = (rng.random(n // k + 2) > rng.uniform(0.4, 0.7)).astype(float).repeat(k)[:n]
    load = lowpass(load, 30.0, rate, 1) * rng.uniform(0.5, 1.2)
    y = motor(rng, rate, seconds, f_rot=rng.uniform(150, 350), n_harm=12, harm_tilt=0.6,
              noise_band=(200, rng.uniform(3000, 7000)), noise_gain=rng.uniform(0.8, 2.0),
              ramp_up=rng.uniform(0.1, 0.5), ramp_down=float(rng.choice([0.0, rng.uniform(0.2, 0.6)])),
              steps=int(rng.integers(0, 2)), wobble=0.02, load=load)
    if rng.random() < 0.3:   # pulse mode: on/off bursts
        t = np.arange(n) / rate
        period = rng.uniform(0.8, 2.5)
        y *= lowpass(((t % period) < period * rng.uniform(0.4, 0.8)).astype(float), 8.0, rate, 1)
    return y
