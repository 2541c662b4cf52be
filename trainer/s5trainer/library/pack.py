"""A compact copy of a built library, for moving it to another machine (e.g. a GPU box).

Keeps every interference, background and one-shot clip, and for each target class and split up to
``max_seconds`` of clips (a deterministic, group-spread choice: sorted by id, shortest groups
first); stores them as 16-bit FLAC (or Ogg Vorbis) at ``rate``. The result is itself a library (``library.json`` +
``clips/``) that the synthesizer reads unchanged, with a ``packed_from`` note in its metadata.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf

from ..audio import resample, write_json
from .records import Clip, Library


# mulaw: 8-bit G.711 WAV, readable by the numpy fallback where libsndfile is missing (GPU boxes)
CODECS = {"flac": (".flac", "FLAC", "PCM_16"), "vorbis": (".ogg", "OGG", "VORBIS"), "mulaw": (".wav", "WAV", "ULAW")}


def choose_clips(library: Library, max_seconds: dict[str, float]) -> list[Clip]:
    """``max_seconds`` maps each split to keep to its per-class budget of target audio."""
    chosen: list[Clip] = [c for c in library.records if c.role != "target" and c.split in max_seconds]
    for split, budget in max_seconds.items():
        for label, clips in library.by_label("target", split).items():
            # round-robin over groups so a capped class keeps as many sources as possible
            by_group: dict[str, list[Clip]] = {}
            for c in sorted(clips, key=lambda c: c.id):
                by_group.setdefault(c.group or c.id, []).append(c)
            queues = [by_group[g] for g in sorted(by_group)]
            total, k = 0.0, 0
            while total < budget and any(queues):
                q = queues[k % len(queues)]
                k += 1
                if q:
                    c = q.pop(0)
                    chosen.append(c)
                    total += c.duration_s
    return chosen


def parse_budgets(text: str) -> dict[str, float]:
    """``"train=110,val=20"`` → ``{"train": 110.0, "val": 20.0}``."""
    out = {}
    for part in text.split(","):
        split, _, seconds = part.partition("=")
        out[split.strip()] = float(seconds)
    return out


def pack_library(src, out, rate: int = 16000, max_seconds: dict[str, float] | None = None,
                 max_clip_seconds: float = 8.0, codec: str = "flac") -> dict:
    """``codec``: "flac" (lossless 16-bit), "vorbis" (Ogg, about 4× smaller; fine for training) or
    "mulaw" (8-bit G.711 WAV: half of 16-bit PCM, ~38 dB SNR, readable without libsndfile)."""
    if codec not in CODECS:
        raise ValueError(f"codec {codec!r}: accepted {sorted(CODECS)}")
    suffix, fmt, subtype = CODECS[codec]
    library = Library(src)
    out = Path(out)
    max_seconds = max_seconds or {"train": 110.0, "val": 20.0}
    clips = choose_clips(library, max_seconds)
    packed: list[dict] = []
    for c in clips:
        x = library.load(c)[: int(max_clip_seconds * library.rate)]
        y = resample(x, library.rate, rate)
        rel = str(Path(c.file).with_suffix(suffix))
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(out / rel), np.clip(y, -1.0, 1.0), rate, subtype=subtype, format=fmt)
        record = c.to_json()
        record.update(file=rel, rate=rate, duration_s=round(len(y) / rate, 4))
        packed.append(record)
    meta = dict(library.meta)
    meta.update(rate=rate, packed_from={"path": str(library.path), "fingerprint": library.fingerprint(),
                                         "max_seconds_per_class": max_seconds})
    write_json(out / "library.json", {**meta, "clips": packed})
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {"out": str(out), "clips": len(packed), "bytes": size,
            "seconds": round(sum(r["duration_s"] for r in packed), 1)}


def main_pack(args) -> int:
    print(json.dumps(pack_library(args.library, args.out, args.rate, parse_budgets(args.budget),
                                  args.max_clip_seconds, args.codec)))
    return 0
