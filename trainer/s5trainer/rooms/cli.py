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

    from .profiles import PROFILE_DEFAULTS

    d = PROFILE_DEFAULTS[args.profile]
    pick = lambda v, k: d[k] if v is None else v   # noqa: E731
    index = build_bank(args.out, args.n, args.seed, rate=args.rate, n_positions=args.positions,
                       array=args.array, t60_range=(pick(args.t60_min, "t60_min"), pick(args.t60_max, "t60_max")),
                       max_seconds=pick(args.max_seconds, "max_seconds"), jobs=args.jobs, progress=progress,
                       profile=args.profile, afmt_share=pick(args.afmt_share, "afmt_share"))
    print(file=sys.stderr)
    counts = {s: sum(r["split"] == s for r in index["rooms"]) for s in ("train", "val", "test")}
    line = {"out": str(args.out), "rooms": len(index["rooms"]), "splits": counts,
            "seconds": round(time.perf_counter() - t0, 2)}
    if args.stats:
        from .bank import RoomBank
        from .stats import bank_stats

        line["stats"] = bank_stats(RoomBank(args.out))
    print(json.dumps(line))
    return 0


def cmd_stats(args) -> int:
    from .stats import bank_stats, ir_measures

    out = {}
    if args.bank:
        from .bank import RoomBank

        out["bank"] = bank_stats(RoomBank(args.bank), measure_t60=args.measure_t60, max_rooms=args.max_rooms)
    for path in args.ir or []:
        from ..audio import read_audio
        from .userir import to_acn_sn3d

        x, sr = read_audio(path)
        out.setdefault("ir", {})[str(path)] = {k: round(float(v), 3) for k, v in
                                               ir_measures(to_acn_sn3d(x, args.format), sr).items()}
    if not out:
        raise S5Error("nothing to describe: give --bank DIR and/or --ir FILE")
    print(json.dumps(out, indent=1 if args.pretty else None))
    return 0


def cmd_import(args) -> int:
    from pathlib import Path

    from .userir import add_rooms_to_bank, import_rotated, import_sofa, import_wav_folder

    metas = []
    for folder in args.wav or []:
        if args.rotations:
            files = [Path(folder)] if Path(folder).is_file() else sorted(
                p for p in Path(folder).iterdir() if p.suffix.lower() in (".wav", ".flac"))
            for f in files:
                metas.append(import_rotated(f, args.out, fmt=args.format or "acn-sn3d", rate=args.rate,
                                            rotations=args.rotations, seed=args.seed, split=args.split))
            continue
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


def cmd_preset_bank(args) -> int:
    from ..synth.presets import PRESETS, ROOM_BANKS, ensure_bank
    from .bank import RoomBank

    t0 = time.perf_counter()
    bank = PRESETS[args.name]["rooms"] if args.name in PRESETS else args.name
    if bank not in ROOM_BANKS:
        raise S5Error(f"unknown preset or preset bank {args.name!r}; accepted: {', '.join([*PRESETS, *ROOM_BANKS])}")

    def progress(k, n):
        print(f"\rroom {k}/{n}", end="", file=sys.stderr, flush=True)

    out = ensure_bank(bank, ir=args.ir, jobs=args.jobs, progress=progress)
    b = RoomBank(out)
    print(json.dumps({"bank": bank, "out": str(out), "rooms": len(b.rooms), "rate": b.rate,
                      "fingerprint": b.fingerprint(), "seconds": round(time.perf_counter() - t0, 2)}))
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
    b.add_argument("--array", default="foa",
                   help="foa | afmt[:RADIUS[:A][:flat]] (simulated A-format mic, FOA out) | tetra[:R] | square:SIDE | geom:...")
    b.add_argument("--profile", choices=("default", "real"), default="default",
                   help="room distribution: default (shoebox 3-10 m, T60 0.2-1 s, 0.8-3.5 m) or real "
                        "(20-15,000 m3, T60 0.2-3 s by volume, 0.5-10 m, anisotropic plane-wave tail, A-format share)")
    b.add_argument("--afmt-share", type=float, default=None,
                   help="real profile: share of rooms recorded by a simulated tetrahedral A-format mic (default 0.5)")
    b.add_argument("--t60-min", type=float, default=None, help="default profile 0.2; real: lower clip 0.2")
    b.add_argument("--t60-max", type=float, default=None, help="default profile 1.0; real: upper clip 3.0")
    b.add_argument("--max-seconds", type=float, default=None, help="IR length cap (default 2.0; real 3.0)")
    b.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    b.add_argument("--stats", action="store_true", help="print the bank's T60/DRR/C50 distribution")
    b.set_defaults(func=cmd_bank)

    st = rs.add_parser("stats", help="T60/DRR/C50/distance distribution of a bank and/or measured IRs")
    st.add_argument("--bank", help="room bank folder")
    st.add_argument("--ir", action="append", help="4-channel FOA impulse response file; repeatable")
    st.add_argument("--format", choices=("acn-sn3d", "acn-n3d", "fuma"), default="acn-sn3d")
    st.add_argument("--measure-t60", action="store_true", help="Schroeder T30 of every IR instead of the design T60")
    st.add_argument("--max-rooms", type=int, default=None)
    st.add_argument("--pretty", action="store_true")
    st.set_defaults(func=cmd_stats)

    pb = rs.add_parser("preset-bank", help="build (or check) the room bank a synth preset names")
    pb.add_argument("name", help="preset (val, test, real-ir, real-ir-test) or bank (sim100, real-ir)")
    pb.add_argument("--ir", default=None, help="real-ir: the FOA IR file (default: see synth --ir)")
    pb.add_argument("--jobs", type=int, default=1)
    pb.set_defaults(func=cmd_preset_bank)

    i = rs.add_parser("import", help="convert user IRs (4-ch WAV folders, SOFA) into a bank")
    i.add_argument("--wav", action="append",
                   help="folder of 4-ch WAV IRs (one room; with --rotations also a single file); repeatable")
    i.add_argument("--sofa", action="append", help="SOFA file (one room); repeatable")
    i.add_argument("--format", choices=("acn-sn3d", "acn-n3d", "fuma"), default=None,
                   help="channel format of the input (WAV default acn-sn3d; SOFA: from its attributes)")
    i.add_argument("--rate", type=int, default=32000)
    i.add_argument("--split", choices=("train", "val", "test"), default="train")
    i.add_argument("--rotations", type=int, default=0,
                   help="each IR (a --wav file, or every file of a --wav folder) becomes one room of N "
                        "rotated copies (exact for FOA): direct sound at N azimuths/elevations")
    i.add_argument("--seed", type=int, default=0, help="seed of the rotation directions")
    i.add_argument("--out", required=True, help="bank folder to create or extend")
    i.set_defaults(func=cmd_import)
