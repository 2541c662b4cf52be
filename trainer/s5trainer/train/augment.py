"""Scene-level augmentation of training mixtures (never of validation/test sets).

Each is exact or physically plain, and a pure function of the item key (resumable runs see the
same stream):

* ``rotate``: whole-scene rotation of first-order Ambisonics (a 3x3 rotation of the dipoles X, Y,
  Z; W and the W-channel dry references are unchanged). Random yaw, pitch and roll within
  ``rotate_tilt_deg`` of level: real arrays are mounted upright, give or take.
* ``gain_db``: one microphone gain for the mixture and its references (same scene, other level).
* ``single_source`` (a data *view*, also applied to validation): the item becomes what a stem
  verifier sees — one target's reference plus the rest of the scene's W channel attenuated by
  ``leak_db`` (the leakage a separator leaves), one channel, that target's label only.
* ``tilt_db``: a spectral tilt of up to +-``tilt_db`` dB per octave around 1 kHz on every channel
  and on the references (microphone and preamp colour), applied in the frequency domain.
"""
from __future__ import annotations

import numpy as np

from ..rooms.rotation import foa_rotation, rotate_foa


def _tilt(x: np.ndarray, rate: int, db_per_octave: float) -> np.ndarray:
    n = x.shape[-1]
    f = np.fft.rfftfreq(n, 1.0 / rate)
    octaves = np.log2(np.maximum(f, 20.0) / 1000.0)
    h = 10.0 ** (db_per_octave * np.clip(octaves, -5.0, 4.0) / 20.0)
    return np.fft.irfft(np.fft.rfft(x, axis=-1) * h, n=n, axis=-1).astype(np.float32)


def augment_item(item: dict, cfg, rate: int, key) -> dict:
    """Apply the augmentations enabled in ``cfg`` (an ``AugmentCfg``) to one training item."""
    if not cfg.enabled():
        return item
    flat = [int(v) for v in (key if isinstance(key, (tuple, list)) else (key,))]
    rng = np.random.default_rng([cfg.seed, *[abs(v) for v in flat], 0xA06])
    mix = np.asarray(item["mixture"], np.float32)
    dry = np.asarray(item["dry"], np.float32)
    if cfg.rotate and mix.shape[0] == 4:
        r = foa_rotation(rng.uniform(-180.0, 180.0), rng.uniform(-cfg.rotate_tilt_deg, cfg.rotate_tilt_deg),
                         rng.uniform(-cfg.rotate_tilt_deg, cfg.rotate_tilt_deg))
        mix = rotate_foa(mix, r)
    if cfg.tilt_db > 0:
        slope = rng.uniform(-cfg.tilt_db, cfg.tilt_db)
        mix = _tilt(mix, rate, slope)
        if dry.size:
            dry = _tilt(dry, rate, slope)
    if cfg.gain_db:
        g = np.float32(10.0 ** (rng.uniform(*cfg.gain_db) / 20.0))
        mix, dry = mix * g, dry * g
    return {**item, "mixture": mix, "dry": dry}


def single_source_item(item: dict, key, leak_db=(-25.0, -5.0), seed: int = 0) -> dict:
    """A stem-like 1-channel item from a scene: target ``k`` + leakage of everything else in W."""
    flat = [int(v) for v in (key if isinstance(key, (tuple, list)) else (key,))]
    rng = np.random.default_rng([seed, *[abs(v) for v in flat], int(flat[-1] < 0), 0x5E])
    dry = np.asarray(item["dry"], np.float32)
    labels = list(item["labels"])
    w = np.asarray(item["mixture"], np.float32)[0]
    if not labels:
        return {"mixture": w[None] * np.float32(10 ** (leak_db[1] / 20)), "dry": dry[:0], "labels": []}
    k = int(rng.integers(len(labels)))
    alpha = np.float32(10.0 ** (rng.uniform(*leak_db) / 20.0))
    x = dry[k] + alpha * (w - dry[k])
    return {"mixture": x[None].astype(np.float32), "dry": dry[k:k + 1], "labels": [labels[k]]}
