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
