"""Octave-band wall materials, air absorption and reverberation-time formulas (Eyring)."""
from __future__ import annotations

import numpy as np

#: Octave-band centre frequencies used by the simulator (Hz).
BAND_CENTERS_HZ = np.array([125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0])
#: Indices of the bands whose mean defines the "mid-frequency" T60 (500 Hz and 1 kHz).
MID_BANDS = (2, 3)
SPEED_OF_SOUND = 343.0

# Random-incidence absorption coefficients per octave band (125 Hz ... 8 kHz). Typical values
# of common finishes, rounded; they set the spectral *shape* of a room's decay, and the room
# designer scales them to reach the requested mid-frequency T60.
MATERIALS: dict[str, tuple[float, ...]] = {
    "concrete": (0.01, 0.01, 0.02, 0.02, 0.02, 0.03, 0.04),
    "brick_painted": (0.01, 0.01, 0.02, 0.02, 0.02, 0.03, 0.03),
    "plaster": (0.013, 0.015, 0.02, 0.03, 0.04, 0.05, 0.05),
    "gypsum_board": (0.29, 0.10, 0.05, 0.04, 0.07, 0.09, 0.09),
    "wood_panel": (0.28, 0.22, 0.17, 0.09, 0.10, 0.11, 0.11),
    "wood_floor": (0.15, 0.11, 0.10, 0.07, 0.06, 0.07, 0.07),
    "linoleum": (0.02, 0.03, 0.03, 0.03, 0.03, 0.02, 0.02),
    "ceramic_tile": (0.01, 0.01, 0.01, 0.02, 0.02, 0.02, 0.02),
    "carpet_thin": (0.02, 0.04, 0.08, 0.20, 0.35, 0.40, 0.45),
    "carpet_thick": (0.08, 0.24, 0.57, 0.69, 0.71, 0.73, 0.75),
    "glass_window": (0.35, 0.25, 0.18, 0.12, 0.07, 0.04, 0.03),
    "curtains": (0.07, 0.31, 0.49, 0.75, 0.70, 0.60, 0.60),
    "acoustic_tile": (0.50, 0.70, 0.60, 0.70, 0.70, 0.50, 0.50),
    "bookshelf": (0.30, 0.40, 0.40, 0.30, 0.30, 0.20, 0.20),
}

#: Candidate materials per surface kind.
SURFACE_CHOICES = {
    "wall": ("plaster", "brick_painted", "concrete", "gypsum_board", "wood_panel", "glass_window",
             "curtains", "bookshelf"),
    "floor": ("concrete", "wood_floor", "linoleum", "ceramic_tile", "carpet_thin", "carpet_thick"),
    "ceiling": ("plaster", "gypsum_board", "acoustic_tile", "concrete"),
}
#: Surface order used everywhere: x=0, x=Lx, y=0, y=Ly, z=0 (floor), z=Lz (ceiling).
SURFACES = ("wall_x0", "wall_x1", "wall_y0", "wall_y1", "floor", "ceiling")

# Air attenuation (energy, 1/m) at 20 degC / 50 % RH per band, after standard tables (rounded).
AIR_ABSORPTION_PER_M = np.array([0.0001, 0.0003, 0.0006, 0.0010, 0.0024, 0.0066, 0.021])


def surface_areas(dims) -> np.ndarray:
    """Areas (m^2) of the six surfaces in ``SURFACES`` order."""
    lx, ly, lz = (float(v) for v in dims)
    return np.array([ly * lz, ly * lz, lx * lz, lx * lz, lx * ly, lx * ly])


def eyring_t60(dims, absorption: np.ndarray, air: np.ndarray = AIR_ABSORPTION_PER_M) -> np.ndarray:
    """Eyring reverberation time per band for ``absorption`` of shape ``(6, bands)``."""
    lx, ly, lz = (float(v) for v in dims)
    volume = lx * ly * lz
    areas = surface_areas(dims)
    alpha_mean = (areas[:, None] * absorption).sum(0) / areas.sum()
    alpha_mean = np.clip(alpha_mean, 1e-6, 0.999)
    return 0.161 * volume / (-areas.sum() * np.log1p(-alpha_mean) + 4.0 * air[: absorption.shape[1]] * volume)


def random_materials(rng: np.random.Generator) -> tuple[str, ...]:
    """One material name per surface, in ``SURFACES`` order."""
    kinds = ("wall", "wall", "wall", "wall", "floor", "ceiling")
    return tuple(str(rng.choice(SURFACE_CHOICES[k])) for k in kinds)


def absorption_for_t60(dims, materials, t60_mid: float) -> tuple[np.ndarray, float]:
    """Scale the materials' absorption so the Eyring mid-band T60 equals ``t60_mid``.

    Returns the ``(6, 7)`` absorption matrix and the scale factor. The scale is clipped so every
    coefficient stays in [0.005, 0.95]; if the target is out of reach the closest room is returned
    (its achieved T60 is what ``eyring_t60`` reports).
    """
    base = np.array([MATERIALS[m] for m in materials], dtype=np.float64)

    def mid(scale: float) -> float:
        t = eyring_t60(dims, np.clip(base * scale, 0.005, 0.95))
        return float(np.mean(t[list(MID_BANDS)]))

    lo, hi = 1e-3, 1e3
    for _ in range(80):  # T60 decreases monotonically with the scale: bisection in log space
        m = np.sqrt(lo * hi)
        if mid(m) > t60_mid:
            lo = m
        else:
            hi = m
    scale = float(np.sqrt(lo * hi))
    return np.clip(base * scale, 0.005, 0.95), scale
