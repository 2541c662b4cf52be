"""Tetrahedral A-format microphones converted to first-order Ambisonics, as real FOA mics do it.

Real FOA recordings come from four first-order capsules (gain ``a + (1 - a) cos(theta)``,
``a = 0.5`` cardioid) on a tetrahedron of radius ``r`` = 1-2 cm, capsule order FLU, FRD, BLD, BRU
pointing outwards along ``d_i = (±1, ±1, ±1) / sqrt(3)``. The converter forms

    W = sum_i s_i / (4a),    X|Y|Z = sqrt(3) / (4 (1 - a)) * sum_i sign_i s_i

(the tetrahedral difference matrix), which is exact ACN/SN3D (``[1, y, z, x]``) for a coincident
array. Because the capsules are spaced, each plane wave reaches capsule ``i`` ``r d_i·u / c``
earlier than the centre, and above a few kHz the sums no longer describe a first-order field
(spatial aliasing). ``diffuse_eq`` is the usual converter equalisation: each B-format channel is
flattened to its ideal diffuse-field level (bounded boost), which fixes the low/mid-frequency
colouration but cannot undo the direction-dependent errors above the aliasing frequency.

Aliasing frequency (the definition the tests check). For a cardioid array (``a = 0.5``) and a
plane wave from a capsule direction ``u = d_1`` (``d_1·d_1 = 1``, ``d_1·d_j = -1/3``)::

    W(f) = 1/2 [e^{jkr} + e^{-jkr/3}] = e^{jkr/3} cos(2kr/3),     k = 2 pi f / c

while from the opposite direction ``u = -d_1`` (a face of the tetrahedron; the back capsule's
gain is ``a - (1 - a) = 0``) ``W(f) = e^{jkr/3}``: magnitude 1 at every frequency. The ratio of the
two W responses, ``|cos(2kr/3)|``, does not depend on any equalisation applied to W, and it
reaches -3 dB at ``2kr/3 = pi/4``::

    f_alias = 3 c / (16 r)      (4.29 kHz at r = 1.5 cm, 6.43 kHz at 1 cm, 3.22 kHz at 2 cm)

with its first null at ``3 c / (8 r)``. (For comparison, the common rule of thumb ``c / (2 x
capsule spacing)`` with spacing ``r sqrt(8/3)`` gives 7.0 kHz at 1.5 cm.)
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .materials import SPEED_OF_SOUND

#: Capsule direction signs (FLU, FRD, BLD, BRU), rows x, y, z.
_SIGNS = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float)
CAPSULE_DIRS = _SIGNS / np.sqrt(3.0)


def a2b_matrix(a: float = 0.5) -> np.ndarray:
    """``(4, 4)`` A-format (FLU, FRD, BLD, BRU) -> ACN/SN3D (W, Y, Z, X) for capsule directivity ``a``."""
    w = np.full(4, 1.0 / (4.0 * a))
    k = np.sqrt(3.0) / (4.0 * (1.0 - a)) if a < 1.0 else 0.0
    return np.stack([w, k * _SIGNS[:, 1], k * _SIGNS[:, 2], k * _SIGNS[:, 0]])


def capsule_gains(a: float, directions: np.ndarray) -> np.ndarray:
    """``(K, 4)`` capsule directivity gains for unit arrival directions ``(K, 3)``."""
    return a + (1.0 - a) * np.atleast_2d(directions) @ CAPSULE_DIRS.T


def plane_wave_response(u, freqs, radius: float, a: float = 0.5, c: float = SPEED_OF_SOUND) -> np.ndarray:
    """``(4, F)`` complex B-format (W, Y, Z, X) response of the unequalised conversion to a plane
    wave from unit vector ``u`` (phase relative to the array centre)."""
    u = np.asarray(u, float) / np.linalg.norm(u)
    proj = CAPSULE_DIRS @ u                                   # d_i · u
    caps = (a + (1.0 - a) * proj)[:, None] * np.exp(2j * np.pi * np.asarray(freqs)[None, :] * radius * proj[:, None] / c)
    return a2b_matrix(a) @ caps


def alias_frequency(radius: float, c: float = SPEED_OF_SOUND) -> float:
    """``3 c / (16 r)``: where a cardioid array's W response for a plane wave from a capsule
    direction falls 3 dB below the one from the opposite direction (module docstring)."""
    return 3.0 * c / (16.0 * radius)


def _fibonacci_sphere(n: int) -> np.ndarray:
    i = np.arange(n) + 0.5
    z = 1 - 2 * i / n
    phi = np.pi * (1 + 5 ** 0.5) * i
    rho = np.sqrt(1 - z * z)
    return np.stack([rho * np.cos(phi), rho * np.sin(phi), z], 1)


@lru_cache(maxsize=32)
def _diffuse_eq_grid(radius: float, a: float, rate: int, max_boost_db: float, n_grid: int = 1025):
    freqs = np.linspace(0.0, rate / 2.0, n_grid)
    dirs = _fibonacci_sphere(256)
    proj = dirs @ CAPSULE_DIRS.T                                       # (D, 4)
    ph = np.exp(2j * np.pi * freqs[None, None, :] * radius * proj[:, :, None] / SPEED_OF_SOUND)
    caps = (a + (1.0 - a) * proj)[:, :, None] * ph                    # (D, 4, F)
    power = np.mean(np.abs(np.einsum("cm,dmf->dcf", a2b_matrix(a), caps)) ** 2, axis=0)
    ideal = np.array([1.0, 1 / 3, 1 / 3, 1 / 3])[:, None]             # SN3D diffuse power of W, Y, Z, X
    gain_db = np.clip(10 * np.log10(ideal / np.maximum(power, 1e-12)), -max_boost_db, max_boost_db)
    return freqs, 10 ** (gain_db / 20)


def diffuse_eq(radius: float, a: float, rate: int, nfft: int, max_boost_db: float = 6.0) -> np.ndarray:
    """``(4, nfft // 2 + 1)`` zero-phase gains that bring each B-format channel of the conversion to
    its ideal diffuse-field power (W: 1, Y/Z/X: 1/3), bounded to ``± max_boost_db`` (computed on a
    fixed grid over 256 directions and interpolated: the response is smooth in frequency)."""
    grid, gains = _diffuse_eq_grid(float(radius), float(a), int(rate), float(max_boost_db))
    freqs = np.fft.rfftfreq(int(nfft), 1.0 / rate)
    return np.stack([np.interp(freqs, grid, g) for g in gains])


def a_to_b(caps_spec: np.ndarray, radius: float, a: float, rate: int, nfft: int, eq: bool = True,
           gains=None) -> np.ndarray:
    """Convert capsule spectra ``(4, F)`` (rfft of length ``nfft``) to B-format spectra (W, Y, Z, X),
    with optional per-capsule linear ``gains`` (mismatch) and the diffuse-field equalisation."""
    if gains is not None:
        caps_spec = caps_spec * np.asarray(gains, float)[:, None]
    b = a2b_matrix(a) @ caps_spec
    if eq:
        b = b * diffuse_eq(radius, a, rate, nfft)
    return b


def self_noise(n: int, rate: int, rng: np.random.Generator, radius: float, a: float, eq: bool = True,
               gains=None) -> np.ndarray:
    """``(4, n)`` B-format self-noise of the microphone: independent white noise per capsule
    (unit variance) through the same conversion as the signal. Without EQ its W variance is
    ``1 / (4 a²)`` and each dipole's ``3 / (4 (1 - a)²)`` times the capsule variance (for
    a = 0.5: 1 and 3: noisy dipoles, as in real tetrahedral microphones)."""
    from scipy import fft as sfft

    nfft = sfft.next_fast_len(n, real=True)
    caps = rng.standard_normal((4, n))
    spec = a_to_b(sfft.rfft(caps, nfft, axis=-1), radius, a, rate, nfft, eq, gains)
    return sfft.irfft(spec, nfft, axis=-1)[:, :n]
