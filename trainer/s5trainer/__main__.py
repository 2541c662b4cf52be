"""Entry point: ``PYTHONPATH=trainer python3 -m s5trainer <command> ...``."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
