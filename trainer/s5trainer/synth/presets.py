"""Fixed validation/test sets, fully determined by their name (regenerated identically, never committed).

A preset names its scene content (clip split, number of mixtures, seed) **and its room bank**. The
bank is built (or reused) in ``<data>/rooms/preset-<bank>-<hash>/``, where ``hash`` covers the
bank's whole definition, and its fingerprint is checked against the one recorded here, so two
people running ``synth --preset test`` get the same mixtures (before, the preset used whatever bank
was in ``rooms/default``: the model cards' 4.31 dB vs 4.20 dB with another bank).

Banks:

* ``sim100``: ``rooms bank --n 100 --seed 0 --rate 32000`` (16 positions, 2 s, T60 0.2-1.0 s,
  default profile). Fingerprint ``5542c6db636a81c6``, the bank of the bundled demo scenes
  (``resources/demo/metadata.json``), built in the session that made the v1 model cards; their val
  calibration and test-preset numbers (4.31 dB, 40 %) come from this machine's default bank, which
  this is: rebuilding ``--n 100 --seed 0`` reproduces that fingerprint, ``--n 200`` does not.
* ``real-ir``: the FOA room response ``jsambisonics_room_1_bf_wxyz_44k.wav`` (FuMa W,X,Y,Z;
  BSD-3-Clause, referenced by path, not copied) converted to ACN/SN3D at 32 kHz and rotated to 24
  directions per room (``rooms.userir.import_rotated``): room ``real_ir_val`` (seed 0) for the
  validation split and ``real_ir_test`` (seed 1, other directions) for the test split. The file is
  looked up as ``--ir`` / ``$S5_REAL_IR``, else ``$S5_REALDATA_DIR/<file>``, else
  ``<repo>/../shared/realdata/<file>``; its SHA-256 is part of the bank hash.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..errors import DataError

REAL_IR_FILE = "jsambisonics_room_1_bf_wxyz_44k.wav"
REAL_IR_SHA256 = "92a4e18e9893a8effdc67ee33a7cc23918100d09b3a85bc46ec375574e979ee4"

ROOM_BANKS = {
    "sim100": {"kind": "simulated", "n": 100, "seed": 0, "rate": 32000, "positions": 16, "max_seconds": 2.0,
               "t60": [0.2, 1.0], "profile": "default", "array": "foa",
               "fingerprint": "5542c6db636a81c6"},
    "real-ir": {"kind": "rotated-ir", "file": REAL_IR_FILE, "format": "fuma", "rate": 32000, "rotations": 24,
                "rooms": {"real_ir_val": {"split": "val", "seed": 0}, "real_ir_test": {"split": "test", "seed": 1}},
                "file_sha256": REAL_IR_SHA256, "fingerprint": "1ffab96e27542020"},
}

PRESETS = {
    # name: clip split, number of mixtures, seed (per mode: seed + 1000 for 2026), room bank, room split
    "val": {"split": "val", "n": 200, "seed": 250_401, "rooms": "sim100"},
    "test": {"split": "test", "n": 200, "seed": 250_402, "rooms": "sim100"},
    "real-ir": {"split": "val", "n": 200, "seed": 250_403, "rooms": "real-ir"},
    "real-ir-test": {"split": "test", "n": 200, "seed": 250_404, "rooms": "real-ir"},
}


def preset(name: str, mode: str) -> dict:
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; accepted: {', '.join(PRESETS)}")
    p = dict(PRESETS[name])
    if mode == "2026":
        p["seed"] += 1000
    p["prefix"] = f"{name}{mode}"
    p.setdefault("room_split", p["split"])
    return p


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[3]


def real_ir_path(explicit: str | None = None) -> Path:
    """The real FOA IR: ``explicit`` / ``$S5_REAL_IR`` / ``$S5_REALDATA_DIR/<file>`` /
    ``<repo>/../shared/realdata/<file>``."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get("S5_REAL_IR"):
        return Path(os.environ["S5_REAL_IR"]).expanduser()
    folder = os.environ.get("S5_REALDATA_DIR")
    base = Path(folder).expanduser() if folder else _repo_root().parent / "shared" / "realdata"
    return base / REAL_IR_FILE


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def bank_definition(bank: str, ir: str | None = None) -> dict:
    """The full definition of a preset bank (what its folder hash covers)."""
    if bank not in ROOM_BANKS:
        raise KeyError(f"unknown preset room bank {bank!r}; accepted: {', '.join(ROOM_BANKS)}")
    d = {k: v for k, v in ROOM_BANKS[bank].items() if k not in ("fingerprint", "file_sha256")}
    if d["kind"] == "rotated-ir":
        path = real_ir_path(ir)
        if not path.exists():
            raise DataError(f"the real impulse response {path} does not exist; give --ir FILE or set "
                            f"S5_REAL_IR / S5_REALDATA_DIR (expected {REAL_IR_FILE})")
        d["file_sha256"] = _sha256(path)
        d["path"] = str(path)
    return d


def bank_dir(bank: str, ir: str | None = None, data: Path | None = None) -> Path:
    from ..paths import data_dir

    d = bank_definition(bank, ir)
    key = json.dumps({k: v for k, v in d.items() if k != "path"}, sort_keys=True)
    digest = hashlib.sha1(key.encode()).hexdigest()[:10]
    return (data or data_dir()) / "rooms" / f"preset-{bank}-{digest}"


def expected_fingerprint(bank: str, ir: str | None = None) -> str | None:
    spec = ROOM_BANKS[bank]
    if spec["kind"] == "rotated-ir" and bank_definition(bank, ir)["file_sha256"] != spec.get("file_sha256"):
        return None   # another IR file than the recorded one: nothing to compare with
    return spec.get("fingerprint")


def preset_bank_ready(bank: str, ir: str | None = None) -> bool:
    """Whether the preset bank's folder holds a complete index (no building, no fingerprint check)."""
    try:
        out = bank_dir(bank, ir)
    except DataError:
        return False
    return (out / "rooms.json").exists()


def ensure_bank(bank: str, ir: str | None = None, data: Path | None = None, jobs: int = 1, progress=None) -> Path:
    """Build the preset bank if missing or incomplete (reusing stored rooms), check its fingerprint,
    return its folder."""
    from ..rooms.bank import RoomBank, build_bank

    d = bank_definition(bank, ir)
    out = bank_dir(bank, ir, data)
    index = out / "rooms.json"
    ok = False
    if index.exists():
        try:
            got = RoomBank(out)
            ok = len(got.rooms) == (d["n"] if d["kind"] == "simulated" else len(d["rooms"]))
        except (DataError, ValueError, KeyError):
            ok = False
    if not ok:
        if d["kind"] == "simulated":
            build_bank(out, d["n"], d["seed"], rate=d["rate"], n_positions=d["positions"], array=d["array"],
                       t60_range=tuple(d["t60"]), max_seconds=d["max_seconds"], jobs=jobs, progress=progress,
                       profile=d["profile"])
        else:
            from ..rooms.userir import add_rooms_to_bank, import_rotated

            metas = [import_rotated(d["path"], out, fmt=d["format"], rate=d["rate"], rotations=d["rotations"],
                                    seed=r["seed"], split=r["split"], room_id=rid)
                     for rid, r in d["rooms"].items()]
            add_rooms_to_bank(out, metas, d["rate"])
    want = expected_fingerprint(bank, ir)
    fp = RoomBank(out).fingerprint()
    if want and fp != want:
        raise DataError(f"preset room bank {out} has fingerprint {fp}, expected {want}; delete the folder to "
                        "rebuild it (a different simulator or numerics gives different rooms)")
    return out
