"""User impulse responses (4-ch WAV folders, SOFA files) converted into a room bank (ACN/SN3D).

Format conversions (first order): FuMa (W, X, Y, Z with W at -3 dB) -> [sqrt(2) W, Y, Z, X];
ACN/N3D -> [W, Y, Z, X] / [1, sqrt(3), sqrt(3), sqrt(3)]; ACN/SN3D unchanged. Positions come
from the SOFA ``SourcePosition`` (relative to ``ListenerPosition``); WAV folders carry none, so
each IR's direction is estimated from its direct-path intensity vector.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..audio import read_audio, resample, write_json
from ..errors import DataError, ToolMissingError
from .analysis import direct_path_index, drr_db, intensity_doa
from .arrays import direction_of, unit_vector
from .bank import BANK_FORMAT, BANK_VERSION

FORMATS = ("acn-sn3d", "acn-n3d", "fuma")


def to_acn_sn3d(ir: np.ndarray, fmt: str) -> np.ndarray:
    """Convert a ``(..., 4, N)`` first-order IR from ``fmt`` to ACN/SN3D."""
    fmt = fmt.lower()
    if fmt == "acn-sn3d":
        return ir
    if fmt == "acn-n3d":
        return ir * np.array([1.0, 1 / np.sqrt(3), 1 / np.sqrt(3), 1 / np.sqrt(3)])[:, None]
    if fmt == "fuma":
        w, x, y, z = (ir[..., i, :] for i in range(4))
        return np.stack([np.sqrt(2.0) * w, y, z, x], axis=-2)
    raise DataError(f"unknown Ambisonics format {fmt!r}; accepted: {', '.join(FORMATS)}")


def _position_meta(i: int, ir: np.ndarray, rate: int, rel_xyz=None) -> dict:
    w = ir[0]
    peak = direct_path_index(w, rate)
    if rel_xyz is None:
        az, el = intensity_doa(ir, peak)
        xyz, dist, estimated = unit_vector(az, el), None, True
    else:
        az, el = direction_of(rel_xyz)
        xyz, dist, estimated = np.asarray(rel_xyz, float), float(np.linalg.norm(rel_xyz)), False
    return {"index": i, "xyz_m": [round(float(v), 4) for v in xyz], "azimuth_deg": round(az, 3),
            "elevation_deg": round(el, 3), "distance_m": dist, "delay_samples": float(peak),
            "drr_db": round(drr_db(w, rate, peak), 2), "direction_estimated": estimated}


def _write_room(out: Path, room_id: str, irs: np.ndarray, rate: int, positions: list, split: str,
                source: str, origin: str) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{room_id}.tmp.npy"
    np.save(tmp, irs.astype(np.float32))
    os.replace(tmp, out / f"{room_id}.npy")
    return {"id": room_id, "split": split, "source": source, "origin": origin, "rate": rate,
            "array": "foa", "file": f"{room_id}.npy", "n_samples": int(irs.shape[-1]),
            "positions": positions}


def import_wav_folder(folder, out_dir, *, fmt: str = "acn-sn3d", rate: int = 32000,
                      split: str = "train") -> dict:
    """All 4-channel WAV files in ``folder`` become the positions of one room."""
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".wav", ".flac"))
    if not files:
        raise DataError(f"no .wav/.flac impulse responses in {folder}")
    irs = []
    for f in files:
        x, sr = read_audio(f)
        if x.shape[0] != 4:
            raise DataError(f"{f}: {x.shape[0]} channels; an FOA impulse response needs exactly 4")
        irs.append(resample(to_acn_sn3d(x, fmt), sr, rate))
    n = max(x.shape[1] for x in irs)
    arr = np.zeros((len(irs), 4, n), np.float32)
    for i, x in enumerate(irs):
        arr[i, :, : x.shape[1]] = x
    positions = [dict(_position_meta(i, arr[i], rate), file=files[i].name) for i in range(len(files))]
    return _write_room(Path(out_dir), f"wav_{folder.name}", arr, rate, positions, split, "wav", str(folder))


def rotation_targets(n: int, seed: int, el_range=(-20.0, 40.0)) -> list[tuple[float, float, float]]:
    """``n`` (azimuth, elevation, roll) in degrees: azimuths on a golden-angle spiral with a seeded
    offset (evenly spread for any ``n``), elevations stratified over ``el_range`` in shuffled
    order, rolls uniform (they turn the reflection pattern about the direct sound)."""
    rng = np.random.default_rng([int(seed), 0x207])
    offset = rng.uniform(0.0, 360.0)
    golden = 180.0 * (3.0 - np.sqrt(5.0))
    az = (offset + golden * np.arange(n)) % 360.0
    az = np.where(az > 180.0, az - 360.0, az)
    lo, hi = el_range
    el = lo + (hi - lo) * (rng.permutation(n) + rng.uniform(0.0, 1.0, n)) / n
    roll = rng.uniform(-180.0, 180.0, n)
    return [(float(a), float(e), float(r)) for a, e, r in zip(az, el, roll)]


def rotate_ir_to(ir: np.ndarray, direct: tuple[float, float], target: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Rotate an ACN/SN3D IR whose direct sound comes from ``direct`` = (az, el) so that it comes
    from ``target`` = (az, el, roll): roll about the direct sound, then the direct sound moved to
    the target. Exact for first order. Returns the rotated IR and the 3x3 rotation."""
    from .rotation import foa_rotation, rotate_foa

    az0, el0 = direct
    az, el, roll = target
    r = foa_rotation(az, el, roll) @ foa_rotation(0.0, -el0, 0.0) @ foa_rotation(-az0, 0.0, 0.0)
    return rotate_foa(ir, r), r


def import_rotated(path, out_dir, *, fmt: str = "acn-sn3d", rate: int = 32000, rotations: int = 24,
                   seed: int = 0, split: str = "train", room_id: str | None = None,
                   el_range=(-20.0, 40.0)) -> dict:
    """One measured FOA IR rotated to ``rotations`` directions: the positions of one room.

    Rotation of a first-order response is exact (a 3x3 matrix on X, Y, Z), so each rotation is a
    real response with its direct sound (and every reflection) from another direction. The
    direct-path direction of the original is measured from its intensity vector; each position
    stores the rotated direction (``rotation_targets``) and the 3x3 matrix used."""
    path = Path(path)
    x, sr = read_audio(path)
    if x.shape[0] != 4:
        raise DataError(f"{path}: {x.shape[0]} channels; an FOA impulse response needs exactly 4")
    ir = resample(to_acn_sn3d(np.asarray(x, np.float64), fmt), sr, rate) if sr != rate else \
        to_acn_sn3d(np.asarray(x, np.float64), fmt)
    peak = direct_path_index(ir[0], rate)
    direct = intensity_doa(ir, peak)
    arr = np.zeros((rotations, 4, ir.shape[1]), np.float32)
    positions = []
    for i, target in enumerate(rotation_targets(rotations, seed, el_range)):
        rot, r = rotate_ir_to(ir, direct, target)
        arr[i] = rot
        u = r @ unit_vector(*direct)
        az, el = direction_of(u)
        positions.append({"index": i, "xyz_m": [round(float(v), 4) for v in u], "azimuth_deg": round(az, 3),
                          "elevation_deg": round(el, 3), "distance_m": None, "delay_samples": float(peak),
                          "drr_db": round(drr_db(ir[0], rate, peak), 2), "direction_estimated": True,
                          "rotation": [[round(float(v), 6) for v in row] for row in r],
                          "roll_deg": round(target[2], 3)})
    rid = room_id or f"rot_{path.stem}"
    meta = _write_room(Path(out_dir), rid, arr, rate, positions, split, "rotated-ir", str(path))
    meta["source_direction_deg"] = [round(direct[0], 3), round(direct[1], 3)]
    meta["rotation_seed"] = int(seed)
    return meta


def _sofa_attr(f, name: str, default: str) -> str:
    for obj in (f.attrs, f["Data.IR"].attrs if "Data.IR" in f else {}):
        for key in obj:
            if key.lower() == name.lower():
                v = obj[key]
                return v.decode() if isinstance(v, bytes) else str(v)
    return default


def _sofa_positions(f, key: str, m: int) -> np.ndarray:
    """Cartesian ``(m, 3)`` positions of a SOFA variable (spherical degrees converted)."""
    if key not in f:
        return np.zeros((m, 3))
    ds = f[key]
    pos = np.broadcast_to(np.asarray(ds[()], float).reshape(-1, 3), (m, 3)).copy()
    ptype = ds.attrs.get("Type", b"cartesian")
    ptype = ptype.decode() if isinstance(ptype, bytes) else str(ptype)
    if ptype.lower().startswith("spherical"):
        r = pos[:, 2]
        pos = r[:, None] * unit_vector(pos[:, 0], pos[:, 1])
    return pos


def import_sofa(path, out_dir, *, rate: int = 32000, split: str = "train", fmt: str | None = None) -> dict:
    """Import ``Data.IR`` (M, R=4, N) of a SOFA file; ordering/normalisation from its attributes."""
    try:
        import h5py
    except ImportError as exc:
        raise ToolMissingError("reading SOFA files needs h5py (Debian package python3-h5py)") from exc
    path = Path(path)
    with h5py.File(path, "r") as f:
        if "Data.IR" not in f:
            raise DataError(f"{path}: no Data.IR variable; not a SOFA impulse-response file")
        ir = np.asarray(f["Data.IR"][()], np.float64)
        if ir.ndim != 3 or ir.shape[1] != 4:
            raise DataError(f"{path}: Data.IR has shape {ir.shape}; expected (positions, 4, samples)")
        sr = int(np.asarray(f["Data.SamplingRate"][()]).ravel()[0])
        if fmt is None:
            order = _sofa_attr(f, "ChannelOrdering", "acn").lower()
            norm = _sofa_attr(f, "Normalization", "sn3d").lower()
            fmt = "fuma" if "fuma" in (order + norm) else f"acn-{norm}"
        src = _sofa_positions(f, "SourcePosition", ir.shape[0])
        lis = _sofa_positions(f, "ListenerPosition", ir.shape[0])
    irs = resample(to_acn_sn3d(ir, fmt), sr, rate)
    rel = src - lis
    positions = [_position_meta(i, irs[i], rate, rel[i] if np.any(rel[i]) else None) for i in range(len(irs))]
    return _write_room(Path(out_dir), f"sofa_{path.stem}", irs, rate, positions, split, "sofa", str(path))


def add_rooms_to_bank(out_dir, metas: list[dict], rate: int) -> dict:
    """Merge imported rooms into ``out_dir/rooms.json`` (replacing rooms with the same id)."""
    import json

    out = Path(out_dir)
    index_path = out / "rooms.json"
    if index_path.exists():
        index = json.loads(index_path.read_text())
        if int(index["rate"]) != rate:
            raise DataError(f"bank {out} is at {index['rate']} Hz; cannot add rooms at {rate} Hz")
    else:
        index = {"format": BANK_FORMAT, "version": BANK_VERSION, "rate": rate, "array": "foa", "rooms": []}
    ids = {m["id"] for m in metas}
    index["rooms"] = [r for r in index["rooms"] if r["id"] not in ids] + metas
    write_json(index_path, index)
    return index
