"""``rooms`` sub-commands: simulate one IR, build a simulated bank, import user IRs."""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from ..audio import write_audio
from ..errors import S5Error
from ..paths import default_rooms_dir


def _triple(text: str, what: str, sep: str = ",") -> np.ndarray:
    try:
        vals = [float(v) for v in text.replace("x", sep).split(sep)] if what == "room" else \
            [float(v) for v in text.split(sep)]
    except ValueError:
        vals = []
    if len(vals) != 3:
        raise S5Error(f"--{what} expects three numbers ({'LxWxH' if what == 'room' else 'x,y,z'}), got {text!r}")
    return np.array(vals)


def cmd_simulate(args) -> int:
    from .analysis import t60_mid
    from .arrays import parse_array
    from .simulate import design_room, simulate_ir

    rng = np.random.default_rng(args.seed)
    dims = _triple(args.room, "room")
    room = design_room(dims, args.t60, rng)
    array = parse_array(args.array)
    res = simulate_ir(room, _triple(args.src, "src"), _triple(args.mic, "mic"), args.rate, rng,
                      array=array, max_seconds=args.max_seconds)
    write_audio(args.out, res.ir, args.rate)
    line = {"direct_azimuth_deg": round(res.azimuth_deg, 4), "direct_elevation_deg": round(res.elevation_deg, 4),
            "t60_s": round(t60_mid(res.ir[0], args.rate), 4), "delay_samples": round(res.delay_samples, 4),
            "t60_design_s": round(room.t60_mid, 4), "drr_db": round(res.drr_db, 2), "array": array.name,
            "materials": list(room.materials)}
    print(json.dumps(line))
    return 0


def cmd_bank(args) -> int:
    from .bank import build_bank

    t0 = time.perf_counter()

    def progress(k, n):
        print(f"\rroom {k}/{n}", end="", file=sys.stderr, flush=True)

    index = build_bank(args.out, args.n, args.seed, rate=args.rate, n_positions=args.positions,
                       array=args.array, t60_range=(args.t60_min, args.t60_max), max_seconds=args.max_seconds,
                       jobs=args.jobs, progress=progress)
    print(file=sys.stderr)
    counts = {s: sum(r["split"] == s for r in index["rooms"]) for s in ("train", "val", "test")}
    print(json.dumps({"out": str(args.out), "rooms": len(index["rooms"]), "splits": counts,
                      "seconds": round(time.perf_counter() - t0, 2)}))
    return 0


def cmd_import(args) -> int:
    from .userir import add_rooms_to_bank, import_sofa, import_wav_folder

    metas = []
    for folder in args.wav or []:
        metas.append(import_wav_folder(folder, args.out, fmt=args.format or "acn-sn3d", rate=args.rate,
                                       split=args.split))
    for sofa in args.sofa or []:
        metas.append(import_sofa(sofa, args.out, rate=args.rate, split=args.split, fmt=args.format))
    if not metas:
        raise S5Error("nothing to import: give --wav FOLDER and/or --sofa FILE")
    add_rooms_to_bank(args.out, metas, args.rate)
    print(json.dumps({"out": str(args.out), "imported": [m["id"] for m in metas],
                      "positions": sum(len(m["positions"]) for m in metas)}))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rooms", help="FOA room impulse responses (simulate, bank, import)")
    rs = p.add_subparsers(dest="rooms_command", metavar="ACTION")
    rs.required = True

    s = rs.add_parser("simulate", help="simulate one impulse response and print its direct path as JSON")
    s.add_argument("--room", required=True, help="LxWxH in metres, e.g. 6x4.5x3")
    s.add_argument("--src", required=True, help="source x,y,z (m)")
    s.add_argument("--mic", required=True, help="receiver centre x,y,z (m)")
    s.add_argument("--t60", type=float, required=True, help="mid-band (500 Hz/1 kHz) T60 in seconds")
    s.add_argument("--rate", type=int, default=32000)
    s.add_argument("--out", required=True, help="output 4-channel float WAV")
    s.add_argument("--array", default="foa", help="foa | tetra[:R] | square:SIDE | geom:12 numbers")
    s.add_argument("--seed", type=int, default=0, help="seed for materials and the diffuse tail")
    s.add_argument("--max-seconds", type=float, default=2.0)
    s.set_defaults(func=cmd_simulate)

    b = rs.add_parser("bank", help="precompute a bank of simulated rooms (parallel over cores)")
    b.add_argument("--n", type=int, required=True, help="number of rooms")
    b.add_argument("--out", default=str(default_rooms_dir()))
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--rate", type=int, default=32000)
    b.add_argument("--positions", type=int, default=16, help="source positions per room")
    b.add_argument("--array", default="foa")
    b.add_argument("--t60-min", type=float, default=0.2)
    b.add_argument("--t60-max", type=float, default=1.0)
    b.add_argument("--max-seconds", type=float, default=2.0)
    b.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    b.set_defaults(func=cmd_bank)

    i = rs.add_parser("import", help="convert user IRs (4-ch WAV folders, SOFA) into a bank")
    i.add_argument("--wav", action="append", help="folder of 4-ch WAV IRs (one room); repeatable")
    i.add_argument("--sofa", action="append", help="SOFA file (one room); repeatable")
    i.add_argument("--format", choices=("acn-sn3d", "acn-n3d", "fuma"), default=None,
                   help="channel format of the input (WAV default acn-sn3d; SOFA: from its attributes)")
    i.add_argument("--rate", type=int, default=32000)
    i.add_argument("--split", choices=("train", "val", "test"), default="train")
    i.add_argument("--out", required=True, help="bank folder to create or extend")
    i.set_defaults(func=cmd_import)
