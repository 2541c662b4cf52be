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


def augment_params(cfg, key, foa: bool = True) -> dict:
    """The random draws of ``augment_item`` for one key: ``rotation`` (3x3 on x, y, z or None),
    ``tilt`` (dB/octave or None), ``gain`` (float32 factor or None). Shared with the batched torch
    renderer (``synth/torch_render.py``), so both paths augment a key identically."""
    flat = [int(v) for v in (key if isinstance(key, (tuple, list)) else (key,))]
    rng = np.random.default_rng([cfg.seed, *[abs(v) for v in flat], 0xA06])
    out = {"rotation": None, "tilt": None, "gain": None}
    if cfg.rotate and foa:                     # no draw for a non-FOA mixture (as before)
        out["rotation"] = foa_rotation(rng.uniform(-180.0, 180.0),
                                       rng.uniform(-cfg.rotate_tilt_deg, cfg.rotate_tilt_deg),
                                       rng.uniform(-cfg.rotate_tilt_deg, cfg.rotate_tilt_deg))
    if cfg.tilt_db > 0:
        out["tilt"] = float(rng.uniform(-cfg.tilt_db, cfg.tilt_db))
    if cfg.gain_db:
        out["gain"] = np.float32(10.0 ** (rng.uniform(*cfg.gain_db) / 20.0))
    return out


def augment_item(item: dict, cfg, rate: int, key) -> dict:
    """Apply the augmentations enabled in ``cfg`` (an ``AugmentCfg``) to one training item."""
    if not cfg.enabled():
        return item
    mix = np.asarray(item["mixture"], np.float32)
    dry = np.asarray(item["dry"], np.float32)
    p = augment_params(cfg, key, mix.shape[0] == 4)
    if p["rotation"] is not None:
        mix = rotate_foa(mix, p["rotation"])
    if p["tilt"] is not None:
        mix = _tilt(mix, rate, p["tilt"])
        if dry.size:
            dry = _tilt(dry, rate, p["tilt"])
    if p["gain"] is not None:
        mix, dry = mix * p["gain"], dry * p["gain"]
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
