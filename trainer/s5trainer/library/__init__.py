"""Sound library: clip records (``library.json``), the Debian-package builder, dedupe, splits."""
from .records import Clip, Library

__all__ = ["Clip", "Library"]
