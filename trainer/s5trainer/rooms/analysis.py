"""Measurements on impulse responses: intensity-vector DOA, Schroeder T60, DRR, diffuseness."""
from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve

from . import bands as _bands
from .arrays import direction_of
from .materials import BAND_CENTERS_HZ, MID_BANDS


def intensity_doa(foa_ir: np.ndarray, center: int | None = None, half_window: int = 2) -> tuple[float, float]:
    """Direct-path ``(azimuth_deg, elevation_deg)`` from the active intensity of an ACN/SN3D IR.

    ``I = sum W * (X, Y, Z)`` over ``center ± half_window`` samples; ``center`` defaults to the
    largest ``|W|`` sample (the direct path).
    """
    w = foa_ir[0]
    if center is None:
        center = int(np.argmax(np.abs(w)))
    sl = slice(max(center - half_window, 0), center + half_window + 1)
    ix = float(np.sum(w[sl] * foa_ir[3, sl]))
    iy = float(np.sum(w[sl] * foa_ir[1, sl]))
    iz = float(np.sum(w[sl] * foa_ir[2, sl]))
    return direction_of((ix, iy, iz))


def direct_path_index(w: np.ndarray, rate: int, threshold: float = 0.5) -> int:
    """Onset of the direct sound: the first sample above ``threshold * max|w|``, refined to the
    largest ``|w|`` within the following 1 ms (coincident reflections can exceed the direct path,
    so the global maximum is not used)."""
    a = np.abs(w)
    first = int(np.argmax(a >= threshold * a.max()))
    stop = first + max(int(0.001 * rate), 1) + 1
    return first + int(np.argmax(a[first:stop]))


def angle_between_deg(az1, el1, az2, el2) -> float:
    from .arrays import unit_vector

    u, v = unit_vector(az1, el1), unit_vector(az2, el2)
    return float(np.degrees(np.arccos(np.clip(np.dot(u, v), -1.0, 1.0))))


def band_signal(x: np.ndarray, rate: int, band: int) -> np.ndarray:
    """``x`` filtered by one octave band of the simulator's filterbank (zero-phase alignment)."""
    fb = _bands.filterbank(rate)[band]
    taps = len(fb)
    return fftconvolve(x, fb)[taps // 2: taps // 2 + len(x)]


def schroeder_t60(x: np.ndarray, rate: int, db_range: tuple[float, float] = (-5.0, -25.0)) -> float:
    """T60 from a line fit to the Schroeder energy-decay curve between ``db_range`` (T20 default)."""
    edc = np.cumsum((x.astype(np.float64) ** 2)[::-1])[::-1]
    edc_db = 10 * np.log10(edc / edc[0] + 1e-300)
    hi, lo = db_range
    idx = np.nonzero((edc_db <= hi) & (edc_db >= lo))[0]
    if len(idx) < 3:
        return float("nan")
    slope, _ = np.polyfit(idx / rate, edc_db[idx], 1)
    return float(-60.0 / slope)


def t60_mid(ir_channel: np.ndarray, rate: int, db_range: tuple[float, float] = (-5.0, -35.0)) -> float:
    """Mean Schroeder T60 (T30 fit) of the 500 Hz and 1 kHz bands (the simulator's ``t60`` target)."""
    return float(np.mean([schroeder_t60(band_signal(ir_channel, rate, b), rate, db_range) for b in MID_BANDS]))


def t60_per_band(ir_channel: np.ndarray, rate: int) -> dict[int, float]:
    n = _bands.n_active_bands(rate)
    return {int(BAND_CENTERS_HZ[b]): schroeder_t60(band_signal(ir_channel, rate, b), rate) for b in range(n)}


def diffuse_energy_ratio(foa_ir: np.ndarray, start: int, stop: int | None = None) -> float:
    """``(Y² + Z² + X²) / W²`` summed over ``[start, stop)`` (1 for an SN3D diffuse field)."""
    seg = foa_ir[:, start:stop].astype(np.float64)
    return float(np.sum(seg[1:] ** 2) / np.sum(seg[0] ** 2))


def clarity_db(ir_channel: np.ndarray, rate: int, delay: float | None = None, early_ms: float = 50.0) -> float:
    """C50 (default) / C80: energy up to ``early_ms`` after the direct sound over the energy after it."""
    d0 = int(round(delay)) if delay is not None else direct_path_index(ir_channel, rate)
    split = d0 + int(round(early_ms * rate / 1000.0))
    e = ir_channel.astype(np.float64) ** 2
    return float(10 * np.log10(e[:split].sum() / max(float(e[split:].sum()), 1e-30)))


def drr_db(ir_channel: np.ndarray, rate: int, delay: float | None = None, half_window_s: float = 0.0025) -> float:
    d0 = int(round(delay)) if delay is not None else int(np.argmax(np.abs(ir_channel)))
    half = int(round(half_window_s * rate))
    e_dir = float(np.sum(ir_channel[max(d0 - half, 0): d0 + half + 1].astype(np.float64) ** 2))
    e_all = float(np.sum(ir_channel.astype(np.float64) ** 2))
    return float(10 * np.log10(e_dir / max(e_all - e_dir, 1e-30)))
