"""Receiver formats: first-order Ambisonics (ACN/SN3D), omnidirectional 4-mic arrays and simulated
A-format microphones (tetrahedral first-order capsules converted to ACN/SN3D, ``afmt.py``).

Angles: azimuth counter-clockwise from +x (towards +y), elevation up from the x-y plane, both
in degrees; a unit vector is ``(cos el cos az, cos el sin az, sin el)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import S5Error

FOA_CHANNELS = ("W", "Y", "Z", "X")


@dataclass(frozen=True)
class ArraySpec:
    """``kind`` is ``"foa"`` (ACN/SN3D B-format), ``"omni"`` (4 omni capsules at ``offsets``) or
    ``"afmt"`` (4 first-order capsules ``a + (1 - a) cos(theta)`` at ``offsets``, pointing outwards,
    converted to ACN/SN3D like a tetrahedral Ambisonics microphone: the output is B-format)."""

    kind: str
    name: str
    offsets: np.ndarray | None = None  # (4, 3) metres, relative to the array centre
    directivity: float | None = None   # afmt: a in a + (1 - a) cos(theta) (0.5 = cardioid)
    eq: bool = True                    # afmt: diffuse-field equalisation of the A->B conversion

    @property
    def output_format(self) -> str:
        """Channel format of the simulated IR: ``foa`` (ACN/SN3D) for foa and afmt, else ``other``."""
        return "foa" if self.kind in ("foa", "afmt") else "other"

    @property
    def max_radius(self) -> float:
        return 0.0 if self.offsets is None else float(np.linalg.norm(self.offsets, axis=1).max())


FOA = ArraySpec("foa", "foa")


def unit_vector(azimuth_deg, elevation_deg) -> np.ndarray:
    az, el = np.radians(azimuth_deg), np.radians(elevation_deg)
    return np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], -1)


def direction_of(vec) -> tuple[float, float]:
    """``(azimuth_deg, elevation_deg)`` of a vector."""
    x, y, z = (float(v) for v in vec)
    return float(np.degrees(np.arctan2(y, x))), float(np.degrees(np.arctan2(z, np.hypot(x, y))))


def foa_gains(unit: np.ndarray) -> np.ndarray:
    """ACN/SN3D first-order gains ``(K, 4)`` = [W, Y, Z, X] = [1, y, z, x] of unit vectors."""
    unit = np.atleast_2d(unit)
    return np.stack([np.ones(len(unit)), unit[:, 1], unit[:, 2], unit[:, 0]], 1)


def tetrahedral(radius: float = 0.042) -> ArraySpec:
    """Tetrahedral A-format layout FLU, FRD, BLD, BRU of omni capsules at ``radius``."""
    el = np.degrees(np.arctan(1 / np.sqrt(2)))
    dirs = unit_vector([45, -45, 135, -135], [el, -el, -el, el])
    return ArraySpec("omni", f"tetra:{radius:g}", radius * dirs)


def square(side: float) -> ArraySpec:
    """Planar square in the x-y plane, capsules counter-clockwise from front-left (+x, +y)."""
    h = side / 2.0
    offsets = np.array([[h, h, 0.0], [-h, h, 0.0], [-h, -h, 0.0], [h, -h, 0.0]])
    return ArraySpec("omni", f"square:{side:g}", offsets)


def tetra_afmt(radius: float = 0.015, directivity: float = 0.5, eq: bool = True) -> ArraySpec:
    """Simulated tetrahedral Ambisonics microphone: first-order capsules FLU, FRD, BLD, BRU at
    ``radius`` pointing outwards, converted to ACN/SN3D B-format (``afmt.py``)."""
    if not 0.0 < radius < 0.2 or not 0.0 < directivity <= 1.0:
        raise S5Error(f"afmt needs 0 < radius < 0.2 m and 0 < a <= 1, got {radius}, {directivity}")
    name = f"afmt:{radius:g}:{directivity:g}" + ("" if eq else ":flat")
    return ArraySpec("afmt", name, tetrahedral(radius).offsets, float(directivity), bool(eq))


def parse_array(text: str) -> ArraySpec:
    """``foa`` | ``tetra[:RADIUS]`` | ``square:SIDE`` | ``geom:x1,y1,z1,...,x4,y4,z4`` (metres) |
    ``afmt[:RADIUS[:A[:flat]]]`` (tetrahedral A-format microphone converted to FOA; default
    radius 0.015 m, cardioid a = 0.5, diffuse-field equalised unless ``flat``)."""
    kind, _, arg = text.partition(":")
    try:
        if kind == "foa" and not arg:
            return FOA
        if kind in ("afmt", "tetra-cardioid"):
            parts = [p for p in arg.split(":") if p] if arg else []
            eq = True
            if parts and parts[-1] in ("flat", "eq"):
                eq = parts.pop() == "eq"
            if len(parts) <= 2:
                radius = float(parts[0]) if parts else 0.015
                a = float(parts[1]) if len(parts) > 1 else (0.5 if kind == "afmt" else 0.5)
                return tetra_afmt(radius, a, eq)
        if kind == "tetra":
            return tetrahedral(float(arg) if arg else 0.042)
        if kind == "square" and arg:
            return square(float(arg))
        if kind == "geom":
            vals = np.array([float(v) for v in arg.split(",")])
            if vals.size == 12:
                # the name is a spec parse_array reads back (a bank stores it and re-parses it per room)
                return ArraySpec("omni", "geom:" + ",".join(f"{v:g}" for v in vals), vals.reshape(4, 3))
    except ValueError:
        pass
    raise S5Error(
        f"bad array spec {text!r}; accepted: foa, tetra[:RADIUS_M], square:SIDE_M, "
        "geom:x1,y1,z1,x2,y2,z2,x3,y3,z3,x4,y4,z4, afmt[:RADIUS_M[:A][:flat]]"
    )
