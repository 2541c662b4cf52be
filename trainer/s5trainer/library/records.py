"""Clip records and read access to a built library (``library.json`` + ``clips/**.wav``).

One record per clip: ``id``, ``role`` (target | interference | background), ``label`` (one of the
18 classes for targets, a category name otherwise), ``split``, provenance (``package``,
``version``, ``path``, ``licence``, ``origin``), ``sha1`` of the stored PCM, ``duration_s``,
``rate``, ``file`` (relative to the library folder) and ``group`` (clips of one group, e.g. one
speaker or one instrument, never straddle splits and are not used as 2026 same-class duplicates).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..audio import read_audio, resample, write_json
from ..errors import DataError
from ..labels import CLASSES, ROLES

LIBRARY_FORMAT = "s5-library"
LIBRARY_VERSION = 1
SPLITS = ("train", "val", "test")


@dataclass
class Clip:
    id: str
    role: str
    label: str
    split: str
    file: str
    duration_s: float
    rate: int
    sha1: str
    package: str = ""
    version: str = ""
    path: str = ""
    licence: str = ""
    origin: str = "real"          # real | procedural | sequenced | fluidsynth | user
    group: str = ""
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        d = asdict(self)
        d["class"] = d.pop("label")
        if not d["extra"]:
            d.pop("extra")
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Clip":
        d = dict(d)
        d["label"] = d.pop("class")
        return cls(**d)


class Library:
    """A built library folder. ``clips(role, split)`` lists records; ``load(clip)`` reads audio."""

    def __init__(self, path):
        self.path = Path(path)
        index = self.path / "library.json"
        if not index.exists():
            raise DataError(f"no sound library at {self.path} (missing library.json); build one with "
                            "`python3 -m s5trainer library build --out DIR`")
        data = json.loads(index.read_text())
        if data.get("format") != LIBRARY_FORMAT:
            raise DataError(f"{index} is not an s5 sound library (format={data.get('format')!r})")
        self.meta = {k: v for k, v in data.items() if k != "clips"}
        self.rate = int(data["rate"])
        self.records = [Clip.from_json(c) for c in data["clips"]]
        self.by_id = {c.id: c for c in self.records}

    def clips(self, role: str | None = None, split: str | None = None, label: str | None = None) -> list[Clip]:
        return [c for c in self.records
                if (role is None or c.role == role) and (split in (None, "any") or c.split == split)
                and (label is None or c.label == label)]

    def by_label(self, role: str, split: str | None) -> dict[str, list[Clip]]:
        out: dict[str, list[Clip]] = {}
        for c in self.clips(role, split):
            out.setdefault(c.label, []).append(c)
        return dict(sorted(out.items()))

    def load(self, clip: Clip | str, rate: int | None = None) -> np.ndarray:
        """Mono float32 samples of ``clip`` at ``rate`` (the library rate by default)."""
        clip = self.by_id[clip] if isinstance(clip, str) else clip
        x, sr = read_audio(self.path / clip.file)
        x = x[0]
        return resample(x, sr, rate) if rate and rate != sr else x

    def fingerprint(self) -> str:
        import hashlib

        h = hashlib.sha1()
        for c in sorted(self.records, key=lambda c: c.id):
            h.update(f"{c.id}:{c.split}:{c.sha1}".encode())
        return h.hexdigest()[:16]


def write_library(path, clips: list[Clip], rate: int, **meta) -> None:
    """Write ``library.json`` (sorted by role, class, id)."""
    for c in clips:
        if c.role not in ROLES + ("oneshot",):
            raise DataError(f"clip {c.id}: role {c.role!r} not in {ROLES + ('oneshot',)}")
        if c.role == "target" and c.label not in CLASSES:
            raise DataError(f"clip {c.id}: {c.label!r} is not a target class")
    order = ROLES + ("oneshot",)
    clips = sorted(clips, key=lambda c: (order.index(c.role), c.label, c.id))
    write_json(Path(path) / "library.json", {"format": LIBRARY_FORMAT, "version": LIBRARY_VERSION,
                                              "rate": rate, **meta, "clips": [c.to_json() for c in clips]})
