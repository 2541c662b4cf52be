"""Render a scene spec: spatialise events with room IRs, set levels, add background, build dry refs.

Exactly spec §7.3-7.4 and §1.2 (2026 variants from spec-2026 §2):
* IR normalised (2025: ``h / mean_c ||h_c||``; 2026: ``h / sqrt(mean_c ||h_c||²)``);
* source excerpt peak-normalised; wet = full linear convolution with the 4 IR channels;
* gain ``g = 10^((ref_db + snr - 10 log10 mean(wet²)) / 20)``, mean over all channels and the
  whole convolved length; wet placed at ``onset_sample`` and truncated at the clip end;
* background scaled to mean power ``ref_db``; mixture = plain sum (float32);
* dry reference: channel 0 of the IR kept on ``[p - 192, p + 1600)`` around ``p`` = argmax of the
  signed h0 (2026: of ``|h0|``, window end inclusive), convolved with the source, times the same
  ``g``, at the same onset, truncated.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy import fft as sfft
from scipy.signal import oaconvolve

from ..audio import resample
from ..library.records import Library
from ..rooms.bank import RoomBank
from .background import render_background
from .config import SynthConfig


def normalise_ir(h: np.ndarray, how: str) -> np.ndarray:
    norms = np.sqrt(np.sum(h.astype(np.float64) ** 2, axis=-1))
    if how == "mean_norm":
        scale = norms.mean()
    elif how == "rms_norm":
        scale = np.sqrt(np.mean(norms ** 2))
    else:
        raise ValueError(f"unknown IR normalisation {how!r}")
    return (h / scale).astype(np.float32)


def dry_window(h0: np.ndarray, cfg: SynthConfig) -> tuple[int, np.ndarray]:
    """``(start, kernel)``: the truncated channel-0 IR is ``kernel`` placed at ``start``."""
    pre, post = cfg.dry_window_samples
    p = int(np.argmax(h0)) if cfg.dry_peak == "signed" else int(np.argmax(np.abs(h0)))
    start = p - pre if p - pre > 0 else 0
    stop = min(p + post + (1 if cfg.dry_window_inclusive else 0), len(h0))
    return start, h0[start:stop]


def fft_convolve(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Full linear convolution of mono ``x`` with every row of ``h`` (float32 FFTs)."""
    n = len(x) + h.shape[-1] - 1
    nfft = sfft.next_fast_len(n, real=True)
    spec = sfft.rfft(h, nfft, axis=-1) * sfft.rfft(x, nfft)[None, :]
    return sfft.irfft(spec, nfft, axis=-1)[:, :n]


def _place(buf: np.ndarray, sig: np.ndarray, onset: int) -> None:
    """Add ``sig`` (..., n) into ``buf`` (..., L) from ``onset``, truncated at the end."""
    n = min(sig.shape[-1], buf.shape[-1] - onset)
    if n > 0:
        buf[..., onset:onset + n] += sig[..., :n]


def gain_for(signal_power: float, target_db: float) -> float:
    return float(10 ** ((target_db - 10 * np.log10(signal_power)) / 20))


@dataclass
class RenderedScene:
    mixture: np.ndarray                       # (4, L) float32
    dry: np.ndarray                           # (n_targets, L) float32, in spec event order
    labels: list[str]
    spec: dict
    wet: list[np.ndarray] = field(default_factory=list)       # full-length scaled wet (debug only)
    noise: np.ndarray | None = None


class SceneRenderer:
    """Renders specs against one library and one room bank (create one per worker process)."""

    def __init__(self, library: Library, bank: RoomBank, cfg: SynthConfig, clip_cache: int = 256):
        self.library, self.bank, self.cfg = library, bank, cfg
        self._load = lru_cache(maxsize=clip_cache)(self._load_uncached)
        self._ir = lru_cache(maxsize=512)(self._ir_uncached)

    def _load_uncached(self, clip_id: str) -> np.ndarray:
        return self.library.load(clip_id, self.cfg.rate)

    def _ir_uncached(self, room: str, position: int) -> tuple[np.ndarray, int, np.ndarray]:
        h = self.bank.ir(room, position)
        if self.bank.rate != self.cfg.rate:
            h = resample(h, self.bank.rate, self.cfg.rate)
        # no trimming of trailing zeros: like a SOFA file, all IRs of a room share one length, and
        # the event power (hence the gain) is measured over len(x) + len(h) - 1 samples
        h = normalise_ir(h, self.cfg.ir_norm)
        start, kernel = dry_window(h[0], self.cfg)
        return h, start, kernel

    def self_noise(self, spec: dict, n: int) -> np.ndarray | None:
        """Self-noise of a simulated A-format microphone (rooms whose ``receiver`` is ``afmt`` with a
        ``self_noise_db``): independent noise per capsule through the room's A->B conversion, W at
        ``ref_db + self_noise_db``; seeded by the scene, so re-rendering a spec is exact. Rooms
        without it (every bank made before) add nothing."""
        rec = self.bank.meta(spec["room"]).get("receiver") or {}
        if rec.get("kind") != "afmt" or rec.get("self_noise_db") is None:
            return None
        from ..rooms.afmt import self_noise

        rng = np.random.default_rng([int(spec["seed"]), int(spec["index"]), 0x5E1F])
        gains = 10 ** (np.asarray(rec.get("capsule_gain_db", [0.0] * 4), float) / 20)
        x = self_noise(n, self.cfg.rate, rng, rec["radius_m"], rec["directivity"], rec.get("eq", True), gains)
        target = 10 ** ((spec["ref_db"] + rec["self_noise_db"]) / 10)
        return (x * np.sqrt(target / np.mean(x[0] ** 2))).astype(np.float32)

    def source(self, ev: dict) -> np.ndarray:
        """Peak-normalised source excerpt of an event."""
        x = self._load(ev["clip"])
        start = int(ev["source_time_s"] * self.cfg.rate)
        x = x[start:start + int(ev["duration_s"] * self.cfg.rate)]
        peak = float(np.max(np.abs(x))) if len(x) else 0.0
        return x / np.float32(peak) if peak > 0 else x

    def render(self, spec: dict, keep_components: bool = False) -> RenderedScene:
        cfg = self.cfg
        n_out = cfg.n_samples
        mix = np.zeros((4, n_out), np.float32)
        targets = [e for e in spec["events"]]
        dry = np.zeros((len(targets), n_out), np.float32)
        wets = []
        for k, ev in enumerate(targets + spec["interferers"]):
            x = self.source(ev)
            if len(x) == 0 or not np.any(x):
                continue
            h, start, kernel = self._ir(spec["room"], ev["position"])
            wet = fft_convolve(x, h)
            g = np.float32(gain_for(float(np.mean(wet.astype(np.float64) ** 2)), spec["ref_db"] + ev["snr_db"]))
            wet *= g
            _place(mix, wet, ev["onset_sample"])
            if keep_components:
                wets.append(wet)
            if k < len(targets):
                d = oaconvolve(x, kernel) * g
                _place(dry[k], d, ev["onset_sample"] + start)
        noise = render_background(spec["background"], n_out, cfg.rate, self._load, cfg.background_tile)
        noise *= np.float32(np.sqrt(10 ** (spec["background"]["level_db"] / 10) / np.mean(noise.astype(np.float64) ** 2)))
        mix += noise
        mic_noise = self.self_noise(spec, n_out)
        if mic_noise is not None:
            mix += mic_noise
        return RenderedScene(mix, dry, [e["label"] for e in targets], spec, wets,
                             noise if keep_components else None)
