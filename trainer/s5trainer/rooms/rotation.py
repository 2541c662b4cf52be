"""Rotation of first-order Ambisonics (ACN order W, Y, Z, X; SN3D or N3D alike).

A rotation ``R`` of the sound field maps a plane wave from unit vector ``u`` to ``R u``. The
first-order components transform like the vector itself: ``[X', Y', Z'] = R [X, Y, Z]``, W is
unchanged. Exact for any FOA signal (recordings, impulse responses, whole scenes).
"""
from __future__ import annotations

import numpy as np


def foa_rotation(yaw_deg: float, pitch_deg: float = 0.0, roll_deg: float = 0.0) -> np.ndarray:
    """3x3 rotation (x, y, z): roll about x, then pitch about y, then yaw about z.

    Yaw is counter-clockwise seen from above (azimuth increases by ``yaw_deg``); pitch
    positive raises the front (+x) direction.
    """
    a, b, c = np.radians([yaw_deg, pitch_deg, roll_deg])
    rz = np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0], [0.0, 0.0, 1.0]])
    ry = np.array([[np.cos(b), 0.0, -np.sin(b)], [0.0, 1.0, 0.0], [np.sin(b), 0.0, np.cos(b)]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(c), -np.sin(c)], [0.0, np.sin(c), np.cos(c)]])
    return rz @ ry @ rx


def rotate_foa(foa: np.ndarray, rotation: np.ndarray) -> np.ndarray:
    """Rotate ``foa [4, ...]`` (ACN W, Y, Z, X) by the 3x3 ``rotation`` acting on (x, y, z)."""
    foa = np.asarray(foa)
    xyz = np.stack([foa[3], foa[1], foa[2]])                      # (x, y, z) = ACN (3, 1, 2)
    out = np.tensordot(rotation.astype(np.float64), xyz.astype(np.float64), axes=1)
    res = np.empty_like(foa)
    res[0] = foa[0]
    res[3], res[1], res[2] = out[0], out[1], out[2]
    return res
