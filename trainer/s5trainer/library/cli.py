"""``library`` sub-commands: build, stats, sources (README table), check."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..labels import CLASSES
from ..paths import default_cache_dir, default_library_dir

MIN_TRAIN_CLIPS = 30


def _user_arg(text: str) -> tuple[str, str]:
    folder, _, role = text.partition(":") if text.count(":") == 1 and not Path(text).exists() else (text, "", "")
    return folder, role or "target"


def cmd_build(args) -> int:
    from .build import build_library

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    summary = build_library(args.out, rate=args.rate, manifest=args.manifest, classes=args.classes,
                            cache_dir=args.cache, jobs=args.jobs, user_folders=[_user_arg(u) for u in args.user or []],
                            derived_scale=args.derived_scale, log=log)
    print(json.dumps({"out": str(args.out), **summary}))
    return 0


def cmd_stats(args) -> int:
    from .records import Library
    from .stats import format_stats

    print(format_stats(Library(args.library)))
    return 0


def cmd_check(args) -> int:
    from .build import min_train_counts
    from .records import Library

    counts = min_train_counts(Library(args.library))
    short = {c: n for c, n in counts.items() if n < args.min_train}
    print(json.dumps({"train_clips": counts, "below_minimum": short}))
    return 1 if short else 0


def cmd_sources(args) -> int:
    from .manifest import load_manifest
    from .stats import sources_markdown, update_readme

    m = load_manifest(args.manifest)
    if args.update_readme:
        changed = update_readme(args.update_readme, m)
        print(f"{args.update_readme}: {'updated' if changed else 'already up to date'}", file=sys.stderr)
    else:
        print(sources_markdown(m))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("library", help="build and inspect the sound library")
    ls = p.add_subparsers(dest="library_command", metavar="ACTION")
    ls.required = True

    b = ls.add_parser("build", help="build/update the library from Debian packages, generators and user folders")
    b.add_argument("--out", default=str(default_library_dir()))
    b.add_argument("--rate", type=int, default=32000)
    b.add_argument("--classes", nargs="+", metavar="CLASS", help=f"subset of: {' '.join(CLASSES)}")
    b.add_argument("--manifest", default=None, help="source manifest (default: trainer/resources/library_manifest.json)")
    b.add_argument("--cache", default=str(default_cache_dir()), help="downloaded .debs and extracted files")
    b.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    b.add_argument("--user", action="append", metavar="FOLDER[:ROLE]",
                   help="a folder ClassName/*.wav used as ROLE (target, interference, background); repeatable")
    b.add_argument("--derived-scale", type=float, default=1.0,
                   help="scale the number of procedural/sequenced/fluidsynth clips")
    b.set_defaults(func=cmd_build)

    s = ls.add_parser("stats", help="per class/split counts and total durations")
    s.add_argument("--library", default=str(default_library_dir()))
    s.set_defaults(func=cmd_stats)

    c = ls.add_parser("check", help=f"fail if a class has fewer than {MIN_TRAIN_CLIPS} train clips")
    c.add_argument("--library", default=str(default_library_dir()))
    c.add_argument("--min-train", type=int, default=MIN_TRAIN_CLIPS)
    c.set_defaults(func=cmd_check)

    r = ls.add_parser("sources", help="print the sources/licences table (markdown) or update a README")
    r.add_argument("--manifest", default=None)
    r.add_argument("--update-readme", metavar="README", help="rewrite the generated section of this file")
    r.set_defaults(func=cmd_sources)
    k = ls.add_parser("pack", help="a compact FLAC copy of a library (capped per class) to carry to another machine")
    k.add_argument("--library", default=str(default_library_dir()))
    k.add_argument("--out", required=True)
    k.add_argument("--rate", type=int, default=16000)
    k.add_argument("--budget", default="train=110,val=20",
                   help="splits to keep and seconds of target audio per class in each (default %(default)s)")
    k.add_argument("--max-clip-seconds", type=float, default=8.0)
    k.add_argument("--codec", choices=("flac", "vorbis", "mulaw"), default="flac")
    k.set_defaults(func=lambda a: __import__("s5trainer.library.pack", fromlist=["main_pack"]).main_pack(a))
