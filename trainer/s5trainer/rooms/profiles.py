"""Room-bank profiles: how rooms, receivers and source positions are drawn.

``default`` is the original bank (shoebox 3-10 x 3-8 x 2.4-4 m, T60 U(0.2, 1.0) s, sources
0.8-3.5 m away, ideal FOA receiver) and must stay bit-identical: existing banks and their
fingerprints depend on it (``bank.sample_room`` / ``bank.sample_position``).

``real`` covers the rooms real recordings come from:

* volume from a mixture of room classes, log-uniform within each: 55 % small (20-150 m³: offices,
  bedrooms, kitchens), 25 % medium (150-1,000 m³: classrooms, shops, restaurants), 12 % large
  (1,000-5,000 m³: gyms, lecture halls), 8 % halls (5,000-15,000 m³; 40 x 25 x 12 m = 12,000 m³);
  height by class, floor aspect ratio U(1, 2);
* mid-band T60 log-uniform in ``[0.2 (V/20)^0.2, min(3, (V/20)^0.17)]`` s: 0.2-1.0 s at 20 m³,
  0.3-1.4 s at 150 m³, 0.44-1.9 s at 1,000 m³, 0.75-3.0 s at 15,000 m³ (reachable with the
  material table; small rooms still dominate, so most rooms stay below 1 s);
* receiver 1.0-2.0 m high, >= 1 m (small rooms: 20 % of the side) from the walls; sources in 16
  azimuth sectors, elevation U(-20, 40)°, distance uniform in [0.5, min(10, room)] m along
  that direction (>= 0.3 m from any wall), so DRR reaches -10 dB and below in large/live rooms;
* the tail is a plane-wave field with the room's late anisotropy (``simulate.py``, ``tail="directional"``);
* receiver: ideal FOA, or with probability ``afmt_share`` a simulated tetrahedral A-format
  microphone (``afmt.py``): radius U(1, 2) cm, capsule directivity a U(0.45, 0.6), per-capsule gain
  mismatch N(0, 0.5 dB) clipped to ±1 dB, diffuse-field EQ in 75 % of the rooms, and a self-noise
  level U(-30, -10) dB relative to the scene background (added by the renderer, ``synth/render.py``).
"""
from __future__ import annotations

import numpy as np

from .arrays import unit_vector

PROFILES = ("default", "real")

#: (share, volume range m³, height range m)
REAL_ROOM_CLASSES = (
    (0.55, (20.0, 150.0), (2.4, 3.2)),
    (0.25, (150.0, 1000.0), (2.8, 5.0)),
    (0.12, (1000.0, 5000.0), (5.0, 10.0)),
    (0.08, (5000.0, 15000.0), (10.0, 18.0)),
)
REAL_DISTANCE_M = (0.5, 10.0)
WALL_MARGIN_M = 0.3

#: profile defaults for ``rooms bank`` options left unset
PROFILE_DEFAULTS = {
    "default": {"max_seconds": 2.0, "t60_min": 0.2, "t60_max": 1.0, "afmt_share": 0.0},
    "real": {"max_seconds": 3.0, "t60_min": 0.2, "t60_max": 3.0, "afmt_share": 0.5},
}


def t60_range_for_volume(volume: float) -> tuple[float, float]:
    v = max(volume, 20.0) / 20.0
    return 0.2 * v ** 0.2, min(3.0, v ** 0.17)


def sample_room_real(rng: np.random.Generator, t60_clip=(0.2, 3.0)):
    """``(dims, t60_mid, mic)`` of a ``real``-profile room (module docstring)."""
    shares = np.array([c[0] for c in REAL_ROOM_CLASSES])
    k = int(rng.choice(len(shares), p=shares / shares.sum()))
    _, (v_lo, v_hi), (h_lo, h_hi) = REAL_ROOM_CLASSES[k]
    volume = float(np.exp(rng.uniform(np.log(v_lo), np.log(v_hi))))
    lz = float(rng.uniform(h_lo, h_hi))
    aspect = float(rng.uniform(1.0, 2.0))
    area = volume / lz
    ly = float(np.sqrt(area / aspect))
    lx = area / ly
    dims = np.array([lx, ly, lz])
    lo, hi = t60_range_for_volume(volume)
    lo, hi = max(lo, t60_clip[0]), min(hi, t60_clip[1])
    t60 = float(np.exp(rng.uniform(np.log(lo), np.log(max(hi, lo)))))
    margin = np.minimum(1.0, 0.2 * dims[:2])
    mic = np.empty(3)
    mic[:2] = rng.uniform(margin, dims[:2] - margin)
    mic[2] = rng.uniform(1.0, min(2.0, lz - 0.5))
    return dims, t60, mic


def max_distance(dims, mic, u, margin: float = WALL_MARGIN_M) -> float:
    """Distance from ``mic`` along unit ``u`` to the box shrunk by ``margin`` on every side."""
    dims, mic = np.asarray(dims, float), np.asarray(mic, float)
    t = np.inf
    for i in range(3):
        if u[i] > 1e-12:
            t = min(t, (dims[i] - margin - mic[i]) / u[i])
        elif u[i] < -1e-12:
            t = min(t, (margin - mic[i]) / u[i])
    return float(t)


def sample_position_real(rng: np.random.Generator, dims, mic, sector: int, n_sectors: int, offset_deg: float):
    """A source in azimuth sector ``sector``, elevation U(-20, 40)°, distance uniform in
    [0.5, min(10, reach)] m where ``reach`` keeps it 0.3 m inside the walls."""
    d_lo, d_hi = REAL_DISTANCE_M
    best = None
    for _ in range(100):
        az = offset_deg + (sector + rng.uniform(0.1, 0.9)) * 360.0 / n_sectors
        el = rng.uniform(-20.0, 40.0)
        u = unit_vector(az, el)
        reach = max_distance(dims, mic, u)
        if reach >= d_lo:
            dist = float(rng.uniform(d_lo, min(d_hi, reach)))
            return mic + dist * u
        if best is None or reach > best[0]:
            best = (reach, u)
    reach, u = best
    return mic + max(0.9 * reach, 0.1) * u


def sample_receiver(rng: np.random.Generator, afmt_share: float, array: str = "foa") -> dict:
    """Receiver of one ``real`` room: ``{"kind": "foa"}``, an A-format microphone description
    (drawn with probability ``afmt_share``, or always when ``array`` is an ``afmt:...`` spec, whose
    radius and directivity are then kept), or ``{"kind": "array"}`` for other 4-mic arrays."""
    fixed = None
    if array != "foa":
        from .arrays import parse_array

        spec = parse_array(array)
        if spec.kind != "afmt":
            return {"kind": "array", "array": spec.name}
        fixed = spec
    elif afmt_share <= 0 or rng.random() >= afmt_share:
        return {"kind": "foa"}
    radius = round(float(rng.uniform(0.01, 0.02)), 4)
    a = round(float(rng.uniform(0.45, 0.6)), 3)
    gains_db = np.clip(rng.normal(0.0, 0.5, 4), -1.0, 1.0)
    eq = bool(rng.random() < 0.75)
    if fixed is not None:
        radius, a, eq = round(float(np.linalg.norm(fixed.offsets[0])), 6), float(fixed.directivity), fixed.eq
    spec = f"afmt:{radius:g}:{a:g}" + ("" if eq else ":flat")
    return {"kind": "afmt", "array": spec, "radius_m": radius, "directivity": a, "eq": eq,
            "capsule_gain_db": [round(float(g), 3) for g in gains_db],
            "self_noise_db": round(float(rng.uniform(-30.0, -10.0)), 2)}
