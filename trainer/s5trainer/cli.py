"""Top-level argparse shell: one sub-command per subpackage; each registers its own parser.

Later work adds ``train``, ``export``, ``info``, ``doctor`` by appending to ``_COMMANDS``.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .errors import S5Error

# (command name, module providing ``register(subparsers)``)
_COMMANDS = (
    ("library", "s5trainer.library.cli"),
    ("rooms", "s5trainer.rooms.cli"),
    ("synth", "s5trainer.synth.cli"),
    ("bench", "s5trainer.bench"),
    ("train", "s5trainer.train.cli"),
    ("doctor", "s5trainer.doctor"),
    ("info", "s5trainer.info"),
    ("export", "s5trainer.export.cli"),
    ("weights-from-onnx", "s5trainer.export.from_onnx"),
    ("eval", "s5trainer.evaluate.cli"),
    ("eval-tune", "s5trainer.evaluate.tune"),
    ("curve", "s5trainer.train.curve"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python3 -m s5trainer",
        description="S5 Studio trainer: sound library, FOA rooms, scene synthesis, models, training, export.",
    )
    parser.add_argument("--version", action="version", version=f"s5trainer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for _name, module in _COMMANDS:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except S5Error as exc:
        print(f"error [{exc.code}]: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
