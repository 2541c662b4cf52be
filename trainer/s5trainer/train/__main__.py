"""``python3 -m s5trainer.train [options]``: the ``train`` command on its own (same options as
``python3 -m s5trainer train``; also ``torchrun ... -m s5trainer.train``)."""
import argparse
import sys

from .cli import register


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m s5trainer.train")
    sub = parser.add_subparsers(dest="command")
    register(sub)
    args = parser.parse_args(["train", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
