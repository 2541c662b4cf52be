"""Room banks on disk: ``rooms.json`` + one ``<room_id>.npy`` array ``(positions, 4, samples)``.

A bank is the unit the synthesizer draws rooms from (like a folder of SOFA files): every room has
one receiver, several source positions, a ``split`` (train/val/test) and per-position metadata
(direction of the direct path, distance, DRR). Simulated banks are built in parallel; each room
depends only on ``(seed, index)``, so the result is identical for any number of workers and an
interrupted build resumes where it stopped.
"""
from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import write_json
from ..errors import DataError
from .arrays import parse_array, unit_vector
from .materials import BAND_CENTERS_HZ, MID_BANDS
from .simulate import TailField, design_room, simulate_ir

BANK_FORMAT = "s5-rooms"
BANK_VERSION = 1
SPLITS = ("train", "val", "test")


def split_of_index(index: int) -> str:
    """Deterministic room split: every 10th room (index % 10 == 8) is val, (== 9) is test."""
    return {8: "val", 9: "test"}.get(index % 10, "train")


def sample_room(rng: np.random.Generator, t60_range=(0.2, 1.0)):
    """Random shoebox dimensions, mid-band T60 and receiver position (>= 1 m from the walls)."""
    lx = rng.uniform(3.0, 10.0)
    ly = rng.uniform(3.0, min(lx, 8.0))
    lz = rng.uniform(2.4, 4.0)
    dims = np.array([lx, ly, lz])
    t60 = float(rng.uniform(*t60_range))
    mic = rng.uniform([1.0, 1.0, 0.5], dims - np.array([1.0, 1.0, 0.5]))
    mic[2] = rng.uniform(1.0, min(1.8, lz - 0.5))
    return dims, t60, mic


def sample_position(rng: np.random.Generator, dims, mic, sector: int, n_sectors: int, offset_deg: float):
    """A source 0.8-3.5 m from the receiver in azimuth sector ``sector``, >= 0.3 m from walls."""
    for _ in range(200):
        az = offset_deg + (sector + rng.uniform(0.1, 0.9)) * 360.0 / n_sectors
        el = rng.uniform(-20.0, 40.0)
        dist = rng.uniform(0.8, 3.5)
        p = mic + dist * unit_vector(az, el)
        if np.all(p > 0.3) and np.all(p < dims - 0.3):
            return p
    return np.clip(mic + 0.8 * unit_vector(az, el), 0.3, np.asarray(dims) - 0.3)


SIMULATOR_VERSION = 2   # bump when simulate_ir changes its output: stored rooms are recomputed


@dataclass(frozen=True)
class BankParams:
    seed: int
    rate: int
    n_positions: int
    array: str
    t60_min: float
    t60_max: float
    max_seconds: float
    simulator: int = SIMULATOR_VERSION
    profile: str = "default"         # profiles.py; "default" keeps the original rooms bit for bit
    afmt_share: float = 0.0          # real profile: share of rooms received by a simulated A-format mic

    def as_dict(self) -> dict:
        """Stored in every room's metadata (a stored room is reused only if it matches). Fields
        added after version 1 are left out at their defaults, so existing banks stay valid."""
        d = dict(self.__dict__)
        if d["profile"] == "default" and d["afmt_share"] == 0.0:
            del d["profile"], d["afmt_share"]
        return d


def _room_id(seed: int, index: int, profile: str = "default") -> str:
    return f"sim{seed}_{index:05d}" if profile == "default" else f"{profile}{seed}_{index:05d}"


def simulate_room(params: BankParams, index: int, out_dir: str) -> dict:
    """Simulate room ``index`` of the bank and write ``<id>.npy`` + ``<id>.json``; returns metadata."""
    rid = _room_id(params.seed, index, params.profile)
    meta_path = Path(out_dir) / f"{rid}.json"
    if meta_path.exists() and (Path(out_dir) / f"{rid}.npy").exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("params") == params.as_dict():
            return meta
    rng = np.random.default_rng([params.seed, index])
    real = params.profile == "real"
    receiver = None
    if real:
        from .profiles import sample_position_real, sample_receiver, sample_room_real

        dims, t60, mic = sample_room_real(rng, (params.t60_min, params.t60_max))
        room = design_room(dims, t60, rng)
        # own stream: the receiver draw must not depend on how many numbers the room took
        receiver = sample_receiver(np.random.default_rng([params.seed, index, 0xAF]), params.afmt_share, params.array)
        array = parse_array(receiver.get("array", params.array))
        cap_gain = (10 ** (np.array(receiver["capsule_gain_db"]) / 20) if receiver["kind"] == "afmt" else None)
        # one tail field per room, long enough for the longest IR the room can produce
        n_field = int(np.ceil(min(params.max_seconds, 0.05 + float(room.t60_bands.max()) + 0.2) * params.rate))
        sim_kw = {"tail": "directional", "capsule_gain": cap_gain, "tail_field": TailField(n_field)}
        draw_position = sample_position_real
    elif params.profile == "default":
        dims, t60, mic = sample_room(rng, (params.t60_min, params.t60_max))
        room = design_room(dims, t60, rng)
        array = parse_array(params.array)
        if array.kind == "afmt":
            receiver = {"kind": "afmt", "array": array.name}
        sim_kw = {}
        draw_position = sample_position
    else:
        raise DataError(f"unknown room profile {params.profile!r}; accepted: default, real")
    offset = rng.uniform(0.0, 360.0)
    positions, results, attempts = [], [], []
    for k in range(params.n_positions):
        for attempt in range(20):
            p = draw_position(rng, dims, mic, k, params.n_positions, offset)
            res = simulate_ir(room, p, mic, params.rate, rng, array=array, max_seconds=params.max_seconds, **sim_kw)
            # as in measured RIRs, the direct path must be the largest (signed) sample of channel 0,
            # otherwise the official dry-reference window would centre on a reflection cluster
            if abs(int(np.argmax(res.ir[0])) - res.delay_samples) <= 2:
                break
        positions.append(p)
        results.append(res)
        attempts.append(attempt + 1)
    n = max(r.ir.shape[1] for r in results)
    irs = np.zeros((len(results), 4, n), np.float32)
    for i, r in enumerate(results):
        irs[i, :, : r.ir.shape[1]] = r.ir
    tmp = Path(out_dir) / f".{rid}.tmp.npy"
    np.save(tmp, irs)
    os.replace(tmp, Path(out_dir) / f"{rid}.npy")
    t60_bands = room.t60_bands
    meta = {
        "id": rid, "split": split_of_index(index), "source": "simulated", "params": params.as_dict(),
        "rate": params.rate, "array": array.name if array.kind != "afmt" else "foa", "file": f"{rid}.npy",
        "n_samples": int(n),
        "dims_m": [round(float(v), 4) for v in dims], "materials": list(room.materials),
        "t60_target_s": round(t60, 4), "t60_mid_s": round(room.t60_mid, 4),
        "t60_bands_s": {str(int(f)): round(float(t), 4) for f, t in zip(BAND_CENTERS_HZ, t60_bands)},
        "mic_m": [round(float(v), 4) for v in mic],
        "positions": [
            {"index": i, "xyz_m": [round(float(v), 4) for v in p],
             "azimuth_deg": round(r.azimuth_deg, 3), "elevation_deg": round(r.elevation_deg, 3),
             "distance_m": round(r.distance_m, 4), "delay_samples": round(r.delay_samples, 3),
             "drr_db": round(r.drr_db, 2), "mixing_samples": r.mixing_samples}
            for i, (p, r) in enumerate(zip(positions, results))
        ],
    }
    if receiver is not None and receiver["kind"] != "foa":
        meta["receiver"] = receiver
    if real:
        from .analysis import clarity_db

        meta["profile"] = "real"
        meta["volume_m3"] = round(float(np.prod(dims)), 1)
        meta["receiver"] = receiver
        for pm, r, a in zip(meta["positions"], results, attempts):
            pm["c50_db"] = round(clarity_db(r.ir[0], r.rate, r.delay_samples), 2)
            pm["attempts"] = a
    write_json(meta_path, meta)
    return meta


def _simulate_room_star(args):
    return simulate_room(*args)


def build_bank(out_dir, n_rooms: int, seed: int, *, rate: int = 32000, n_positions: int = 16,
               array: str = "foa", t60_range=(0.2, 1.0), max_seconds: float = 2.0,
               jobs: int | None = None, progress=None, profile: str = "default",
               afmt_share: float = 0.0) -> dict:
    """Simulate ``n_rooms`` rooms into ``out_dir`` (incremental) and write ``rooms.json``.

    ``profile`` (``profiles.py``): ``default`` or ``real``; ``afmt_share`` (real profile, FOA banks):
    share of rooms received by a simulated tetrahedral A-format microphone (still ACN/SN3D)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if profile not in ("default", "real"):
        raise DataError(f"unknown room profile {profile!r}; accepted: default, real")
    if afmt_share and profile != "real":
        raise DataError("afmt_share needs the real profile")
    params = BankParams(seed, rate, n_positions, parse_array(array).name, float(t60_range[0]),
                        float(t60_range[1]), float(max_seconds), profile=profile, afmt_share=float(afmt_share))
    jobs = jobs or os.cpu_count() or 1
    tasks = [(params, i, str(out)) for i in range(n_rooms)]
    metas = []
    if jobs == 1:
        for k, t in enumerate(tasks):
            metas.append(simulate_room(*t))
            if progress:
                progress(k + 1, n_rooms)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for k, m in enumerate(pool.map(_simulate_room_star, tasks, chunksize=1)):
                metas.append(m)
                if progress:
                    progress(k + 1, n_rooms)
    index = {"format": BANK_FORMAT, "version": BANK_VERSION, "rate": rate,
             "array": params.array if not params.array.startswith("afmt") else "foa",
             "seed": seed, "rooms": metas}
    if profile != "default":
        index["profile"] = profile
        index["afmt_share"] = float(afmt_share)
    write_json(out / "rooms.json", index)
    return index


class RoomBank:
    """Read access to a bank folder; IR arrays are memory-mapped on first use."""

    def __init__(self, path):
        self.path = Path(path)
        index_path = self.path / "rooms.json"
        if not index_path.exists():
            raise DataError(f"no room bank at {self.path} (missing rooms.json); build one with "
                            "`python3 -m s5trainer rooms bank --n N --out DIR` or import IRs with `rooms import`")
        self.index = json.loads(index_path.read_text())
        if self.index.get("format") != BANK_FORMAT:
            raise DataError(f"{index_path} is not an s5 room bank (format={self.index.get('format')!r})")
        self.rate = int(self.index["rate"])
        self.rooms = self.index["rooms"]
        self._by_id = {r["id"]: r for r in self.rooms}
        self._cache: dict[str, np.ndarray] = {}

    def ids(self, split: str | None = None) -> list[str]:
        return [r["id"] for r in self.rooms if split in (None, "any") or r["split"] == split]

    def meta(self, room_id: str) -> dict:
        return self._by_id[room_id]

    def irs(self, room_id: str) -> np.ndarray:
        if room_id not in self._cache:
            self._cache[room_id] = np.load(self.path / self._by_id[room_id]["file"], mmap_mode="r")
        return self._cache[room_id]

    def ir(self, room_id: str, position: int) -> np.ndarray:
        return np.asarray(self.irs(room_id)[position], dtype=np.float32)

    def fingerprint(self) -> str:
        import hashlib

        h = hashlib.sha1()
        for r in self.rooms:
            h.update(json.dumps({k: r[k] for k in ("id", "split", "n_samples", "positions")}, sort_keys=True).encode())
        return h.hexdigest()[:16]


def mid_band_t60(meta: dict) -> float:
    bands = meta.get("t60_bands_s", {})
    vals = [bands.get(str(int(BAND_CENTERS_HZ[b]))) for b in MID_BANDS]
    return float(np.mean([v for v in vals if v is not None])) if bands else float("nan")
