"""Scene recipes: draw one mixture's JSON spec (events, interferers, background, room) from pools.

Follows spec §7.1-7.2: class first (uniform, without replacement), then file (uniform); event
duration = file duration capped at ``max_event_seconds`` (random source offset if longer);
onset uniform in [0, seconds - duration]; position uniform over the room's positions; target SNR
U(5, 20) dB, 1-2 interferers with replacement at U(0, 15) dB. 2026 mode adds zero-target scenes
and same-class duplicates (spec-2026 §2): a duplicate uses a file from another group and a position
more than 60° from every event of its class. A spec is plain JSON, rendered by ``render.py``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from ..labels import CLASS_INDEX
from ..library.records import Clip, Library
from ..rooms.arrays import unit_vector
from ..rooms.bank import RoomBank
from ..generators.noise import NOISE_KINDS
from .config import SynthConfig

SPLIT_CODE = {"train": 0, "val": 1, "test": 2, "any": 3}


@dataclass
class Pools:
    """Clips and rooms a recipe may draw from (one split)."""

    targets: dict[str, list[Clip]]
    interference: dict[str, list[Clip]]
    background: list[Clip]
    rooms: list[str]

    @classmethod
    def from_library(cls, library: Library, bank: RoomBank, split: str, room_split: str | None = None,
                     classes: list[str] | None = None) -> "Pools":
        targets = library.by_label("target", split)
        if classes is not None:
            targets = {k: v for k, v in targets.items() if k in classes}
        rooms = bank.ids(room_split or split)
        if not targets:
            raise DataError(f"library {library.path} has no target clips in split {split!r}")
        if not rooms:
            raise DataError(f"room bank {bank.path} has no rooms in split {room_split or split!r}; "
                            "simulated banks put every 10th room (index % 10 == 8/9) in val/test")
        return cls(targets, library.by_label("interference", split),
                   library.clips("background", split), rooms)


def scene_rng(seed: int, index: int, split: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), SPLIT_CODE.get(split, 9), int(index)])


def _timing(rng, clip: Clip, cfg: SynthConfig) -> dict:
    dur = float(clip.duration_s)
    if dur > cfg.max_event_seconds:
        source_time, dur = float(rng.uniform(0.0, dur - cfg.max_event_seconds)), cfg.max_event_seconds
    else:
        source_time = 0.0
    onset = float(rng.uniform(0.0, cfg.seconds - dur))
    return {"source_time_s": source_time, "duration_s": dur, "onset_s": onset,
            "onset_sample": int(onset * cfg.rate)}


def _position(meta: dict, k: int) -> dict:
    p = meta["positions"][k]
    return {"position": int(k), "azimuth_deg": p["azimuth_deg"], "elevation_deg": p["elevation_deg"]}


def _event(rng, role: str, label: str, clip: Clip, cfg: SynthConfig, snr_range, room_meta, pos: int) -> dict:
    ev = {"role": role, "label": label, "clip": clip.id, "group": clip.group}
    ev.update(_timing(rng, clip, cfg))
    ev["snr_db"] = float(rng.uniform(*snr_range))
    ev.update(_position(room_meta, pos))
    return ev


def _far_positions(room_meta: dict, existing: list[dict], min_angle_deg: float) -> list[int]:
    pos = room_meta["positions"]
    dirs = unit_vector(np.array([p["azimuth_deg"] for p in pos]), np.array([p["elevation_deg"] for p in pos]))
    ok = np.ones(len(pos), bool)
    cos_min = np.cos(np.radians(min_angle_deg))
    for ev in existing:
        ok &= dirs @ dirs[ev["position"]] < cos_min
    return [int(i) for i in np.nonzero(ok)[0]]


def _target_labels(rng, cfg: SynthConfig, classes: list[str]) -> tuple[list[str], int]:
    """Labels of the target events (distinct first, duplicates after) and the duplicate count."""
    lo, hi = cfg.nevent_range
    n = int(rng.integers(lo, hi + 1))
    n_dup = 0
    if n >= 2 and cfg.dupse_rate > 0 and rng.random() < cfg.dupse_rate:
        n_dup = int(rng.integers(1, min(n - 1, cfg.max_n_dupse) + 1))
    n_distinct = min(n - n_dup, len(classes))
    distinct = [str(c) for c in rng.choice(classes, n_distinct, replace=False)]
    dups = [str(rng.choice(distinct)) for _ in range(n_dup)]
    return distinct + dups, n_dup


def sample_scene(cfg: SynthConfig, pools: Pools, bank: RoomBank, seed: int, index: int, split: str,
                 name: str) -> dict:
    """Draw the JSON spec of mixture ``index`` (a pure function of its arguments)."""
    rng = scene_rng(seed, index, split)
    room = str(rng.choice(pools.rooms))
    room_meta = bank.meta(room)
    n_pos = len(room_meta["positions"])
    classes = sorted(pools.targets, key=CLASS_INDEX.get)
    labels, n_dup = _target_labels(rng, cfg, classes)
    events: list[dict] = []
    for i, label in enumerate(labels):
        clips = pools.targets[label]
        if i < len(labels) - n_dup:
            clip = clips[int(rng.integers(len(clips)))]
            pos = int(rng.integers(n_pos))
        else:  # 2026 duplicate: another group of the class, far from the class's existing events
            same = [e for e in events if e["label"] == label]
            used_groups = {e["group"] for e in same} | {e["clip"] for e in same}
            cand = [c for c in clips if c.group not in used_groups and c.id not in used_groups]
            far = _far_positions(room_meta, same, cfg.dupse_min_angle_deg)
            if not cand or not far:
                continue  # impossible with this pool/room: the scene keeps its distinct events
            clip = cand[int(rng.integers(len(cand)))]
            pos = far[int(rng.integers(len(far)))]
        events.append(_event(rng, "target", label, clip, cfg, cfg.target_snr_db, room_meta, pos))

    interferers = []
    if pools.interference:
        lo, hi = cfg.ninterf_range
        cats = sorted(pools.interference)
        for _ in range(int(rng.integers(lo, hi + 1))):
            cat = str(rng.choice(cats))
            clip = pools.interference[cat][int(rng.integers(len(pools.interference[cat])))]
            interferers.append(_event(rng, "interference", cat, clip, cfg, cfg.interf_snr_db, room_meta,
                                      int(rng.integers(n_pos))))

    if cfg.foa_ambience and rng.random() < cfg.foa_ambience_prob:   # no draw at all when off
        k = int(rng.integers(len(cfg.foa_ambience)))
        background = {"kind": "foa_file", "file": str(cfg.foa_ambience[k]), "offset_frac": float(rng.random()),
                      "yaw_deg": float(rng.uniform(-180.0, 180.0)), "seed": int(rng.integers(2**31))}
    elif pools.background and rng.random() >= cfg.procedural_background_prob:
        clip = pools.background[int(rng.integers(len(pools.background)))]
        extra = max(clip.duration_s - cfg.seconds, 0.0)
        background = {"kind": "clip", "clip": clip.id, "label": clip.label,
                      "offset_s": float(np.floor(rng.uniform(0.0, extra))) if extra > 0 else 0.0,
                      "seed": int(rng.integers(2**31))}
    else:
        background = {"kind": "procedural", "noise": str(rng.choice(NOISE_KINDS)), "seed": int(rng.integers(2**31))}
    background["level_db"] = cfg.ref_db
    if cfg.background_tilt_db > 0:
        background["tilt_db_per_octave"] = float(rng.uniform(-cfg.background_tilt_db, cfg.background_tilt_db))

    events.sort(key=lambda e: e["onset_s"])
    return {"name": name, "index": int(index), "seed": int(seed), "split": split, "mode": cfg.mode,
            "rate": cfg.rate, "seconds": cfg.seconds, "ref_db": cfg.ref_db, "room": room,
            "n_duplicates": sum(1 for _ in events) - len({e["label"] for e in events}),
            "events": events, "interferers": interferers, "background": background}
