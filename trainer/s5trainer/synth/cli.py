"""``synth`` command: write N mixtures in the official layout (or a fixed ``--preset val|test``)."""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from functools import partial
from pathlib import Path

from ..errors import S5Error
from ..paths import data_dir, default_library_dir, default_rooms_dir
from .config import MODES, SynthConfig
from .dataset import SceneDataset, map_scenes
from .layout import write_metadata, write_scene
from .presets import PRESETS, ensure_bank, preset


def _write_one(out: str, dataset: SceneDataset, index: int) -> dict:
    return write_scene(Path(out), dataset.render(index), dataset.cfg.rate)


def _prepare_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        meta = out / "metadata.json"
        if not meta.exists() or json.loads(meta.read_text()).get("format") != "s5-synth":
            raise S5Error(f"{out} exists and is not an s5 synth output folder; choose an empty or new folder")
        for sub in ("soundscape", "oracle_target"):
            shutil.rmtree(out / sub, ignore_errors=True)
        meta.unlink()
    out.mkdir(parents=True, exist_ok=True)


def synthesize(library: str, rooms: str, out: str, n: int, seed: int, split: str, cfg: SynthConfig,
               jobs: int = 1, prefix: str | None = None, room_split: str | None = None,
               preset_name: str | None = None, progress=None) -> dict:
    """Write ``n`` scenes; returns the metadata header (also used by tests and the trainer)."""
    out_path = Path(out)
    _prepare_out(out_path)
    dataset = SceneDataset(library, rooms, cfg, split, seed, length=n, room_split=room_split, name_prefix=prefix)
    _, lib, bank, _pools, _ = dataset._open()
    entries = []
    for k, entry in enumerate(map_scenes(dataset, range(n), partial(_write_one, str(out_path)), jobs)):
        entries.append(entry)
        if progress:
            progress(k + 1, n)
    header = {"format": "s5-synth", "version": 1, "preset": preset_name, "split": split, "seed": seed, "n": n,
              "config": cfg.to_json(),
              "library": {"path": str(lib.path), "fingerprint": lib.fingerprint(), "rate": lib.rate},
              "rooms": {"path": str(bank.path), "fingerprint": bank.fingerprint(), "rate": bank.rate}}
    write_metadata(out_path, entries, header)
    return header


def _pair(text: str | None):
    if text is None:
        return None
    a, b = text.split(",")
    return (int(a), int(b))


def cmd_synth(args) -> int:
    rooms, room_split = args.rooms, args.room_split
    if args.preset:
        p = preset(args.preset, args.mode)
        n = args.n or p["n"]
        seed, split, prefix = p["seed"], p["split"], p["prefix"]
        out = args.out or str(data_dir() / "synth" / f"{args.preset}-{args.mode}")
        room_split = room_split or p["room_split"]
        if rooms is None:   # the preset's own bank, built on first use and fingerprint-checked
            rooms = str(ensure_bank(p["rooms"], ir=args.ir, jobs=args.jobs))
        else:
            print(f"note: --rooms {rooms} replaces the preset's room bank {p['rooms']!r}; "
                  "the result is not the named preset", file=sys.stderr)
    else:
        missing = [k for k in ("out", "n", "split") if getattr(args, k) is None]
        if missing:
            raise S5Error(f"missing --{', --'.join(missing)} (or use --preset {'|'.join(PRESETS)})")
        n, seed, split, prefix, out = args.n, args.seed, args.split, args.prefix, args.out
        rooms = rooms or str(default_rooms_dir())
    cfg = SynthConfig.for_mode(args.mode, rate=args.rate, seconds=args.seconds,
                               nevent_range=_pair(args.nevent_range), ninterf_range=_pair(args.ninterf_range),
                               foa_ambience=tuple(args.foa_ambience or ()) or None,
                               foa_ambience_prob=(args.foa_ambience_prob if args.foa_ambience_prob is not None
                                                  else (0.3 if args.foa_ambience else None)),
                               background_tilt_db=args.background_tilt_db)
    t0 = time.perf_counter()

    def progress(k, total):
        if sys.stderr.isatty():
            print(f"\rmixture {k}/{total}", end="", file=sys.stderr, flush=True)

    header = synthesize(args.library, rooms, out, n, seed, split, cfg, jobs=args.jobs, prefix=prefix,
                        room_split=room_split, preset_name=args.preset, progress=progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(json.dumps({"out": out, "n": n, "split": split, "seed": seed, "mode": args.mode,
                      "library": header["library"]["fingerprint"], "rooms": header["rooms"]["fingerprint"],
                      "seconds": round(time.perf_counter() - t0, 2)}))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synth", help="synthesize scenes in the official layout")
    p.add_argument("--library", default=str(default_library_dir()))
    p.add_argument("--rooms", default=None,
                   help="room bank (default: <data>/rooms/default; with --preset: the preset's own bank)")
    p.add_argument("--out", help="output folder (soundscape/, oracle_target/, metadata.json)")
    p.add_argument("--n", type=int, help="number of mixtures")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--split", choices=("train", "val", "test"))
    p.add_argument("--room-split", choices=("train", "val", "test", "any"), default=None,
                   help="split of the rooms (default: same as --split)")
    p.add_argument("--mode", choices=MODES, default="2025")
    p.add_argument("--rate", type=int, default=32000)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--nevent-range", help="override target count range, e.g. 1,3")
    p.add_argument("--ninterf-range", help="override interferer count range, e.g. 1,2")
    p.add_argument("--preset", choices=tuple(PRESETS),
                   help="fixed set, rooms included: val | test (simulated bank sim100) | real-ir | real-ir-test "
                        "(a real FOA room response rotated to 24 directions)")
    p.add_argument("--ir", default=None, help="real-ir presets: the FOA IR file (default $S5_REAL_IR, "
                   "$S5_REALDATA_DIR or <repo>/../shared/realdata/" + "jsambisonics_room_1_bf_wxyz_44k.wav)")
    p.add_argument("--foa-ambience", action="append",
                   help="4-ch ACN/SN3D ambience recording used as a background as it is (randomly rotated); repeatable")
    p.add_argument("--foa-ambience-prob", type=float, default=None,
                   help="share of scenes with an FOA ambience background (default 0.3 when --foa-ambience is given)")
    p.add_argument("--background-tilt-db", type=float, default=0.0,
                   help="random background colour: +-dB/octave spectral tilt around 1 kHz")
    p.add_argument("--prefix", default=None, help="mixture name prefix (default: the split)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes")
    p.set_defaults(func=cmd_synth)
