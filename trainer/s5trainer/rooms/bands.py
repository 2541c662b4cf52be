"""Linear-phase octave filterbank whose bands sum exactly to a delayed unit impulse."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .materials import BAND_CENTERS_HZ


def band_edges(rate: int) -> np.ndarray:
    """Crossover frequencies between the active bands (geometric means of adjacent centres)."""
    n = n_active_bands(rate)
    c = BAND_CENTERS_HZ[:n]
    return np.sqrt(c[:-1] * c[1:])


def n_active_bands(rate: int) -> int:
    """Bands whose lower edge lies below Nyquist (8 kHz band needs rate > 11.3 kHz, ...)."""
    lower = BAND_CENTERS_HZ / np.sqrt(2.0)
    return int(np.sum(lower < rate / 2.0))


def filter_length(rate: int) -> int:
    """Odd FIR length giving ~50 Hz transitions (Hann window) at any rate."""
    return int(rate // 16) | 1


@lru_cache(maxsize=8)
def filterbank(rate: int) -> np.ndarray:
    """``(bands, taps)`` linear-phase FIRs; ``sum(axis=0)`` is a unit impulse at ``taps // 2``.

    Band 0 is a low-pass, the last band is ``delta - lowpass`` and the middle bands are differences
    of low-passes (telescoping), so the split is perfectly flat whatever the filter quality.
    """
    taps = filter_length(rate)
    n = np.arange(taps) - taps // 2
    win = np.hanning(taps + 2)[1:-1]
    lowpasses = []
    for fc in band_edges(rate):
        w = 2.0 * fc / rate
        lowpasses.append(w * np.sinc(w * n) * win)
    delta = (n == 0).astype(np.float64)
    bank = []
    prev = np.zeros(taps)
    for lp in lowpasses:
        bank.append(lp - prev)
        prev = lp
    bank.append(delta - prev)
    out = np.array(bank)
    out.setflags(write=False)
    return out
