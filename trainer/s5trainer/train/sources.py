"""Map the ``data`` and ``validation`` config sections to item sets (``data.py``).

Defaults follow the baselines: separators train on 1-3 targets in both editions; taggers on 1-3
(2025) or 0-3 (2026). Clip length and rate come from the model unless ``data.seconds`` narrows the
clip. The validation preset is the synthesizer's fixed, seeded ``val`` set rendered on the fly,
identical to ``python3 -m s5trainer synth --preset val`` at the same rate and length.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError
from ..paths import default_library_dir, default_rooms_dir
from .config import ConfigError, TrainConfig
from .data import SCENE_SLOTS, FolderItems, RandomItems, SynthItems


@dataclass(frozen=True)
class Clip:
    """What the data must look like for one model."""
    rate: int
    seconds: float
    kind: str                  # tagger | separator

    @property
    def samples(self) -> int:
        return int(round(self.rate * self.seconds))


def clip_for(cfg: TrainConfig, model) -> Clip:
    seconds = cfg.data.seconds if cfg.data.seconds is not None else float(model.window_seconds)
    return Clip(int(model.sample_rate), float(seconds), str(model.kind))


def nevent_range(cfg: TrainConfig, kind: str) -> tuple[int, int]:
    if cfg.data.nevent_range is not None:
        lo, hi = (int(v) for v in cfg.data.nevent_range)
    else:
        lo, hi = (0 if cfg.mode == "2026" and kind == "tagger" else 1), SCENE_SLOTS
    if not 0 <= lo <= hi <= SCENE_SLOTS:
        raise ConfigError(f"data.nevent_range {[lo, hi]} must satisfy 0 <= lo <= hi <= {SCENE_SLOTS}")
    return lo, hi


def _dirs(cfg: TrainConfig) -> tuple[Path, Path]:
    lib = Path(cfg.data.library) if cfg.data.library else default_library_dir()
    rooms = Path(cfg.data.rooms) if cfg.data.rooms else default_rooms_dir()
    for what, p, hint in (("library", lib, "python3 -m s5trainer library build"),
                          ("room bank", rooms, "python3 -m s5trainer rooms bank --out DIR")):
        if not p.exists():
            raise DataError(f"{what} {p} does not exist; create it with `{hint}` or set data.{what.split()[-1]}")
    return lib, rooms


def _synth_cfg(cfg: TrainConfig, clip: Clip, rng_range=None, extra: dict | None = None):
    from ..synth import SynthConfig

    extra = dict(extra or {})
    if "foa_ambience" in extra:
        extra["foa_ambience"] = tuple(str(p) for p in extra["foa_ambience"])
    try:
        return SynthConfig.for_mode(cfg.mode, rate=clip.rate, seconds=clip.seconds,
                                    nevent_range=tuple(rng_range) if rng_range is not None else None, **extra)
    except TypeError as exc:
        raise ConfigError(f"data.synth: {exc}; accepted keys are the SynthConfig fields "
                          "(e.g. foa_ambience, foa_ambience_prob, background_tilt_db, target_snr_db)") from None


def train_items(cfg: TrainConfig, clip: Clip):
    src = cfg.data
    if src.source == "random":
        return RandomItems(clip.rate, clip.samples, nevent_range(cfg, clip.kind), src.seed)
    if src.source == "folder":
        return FolderItems(src.folder, clip.rate, clip.samples, src.seed)
    from ..synth import SceneDataset

    lib, rooms = _dirs(cfg)
    stages = [(stage["until_step"], stage["nevent_range"]) for stage in src.curriculum]
    stages.append((None, nevent_range(cfg, clip.kind)))
    datasets = [SceneDataset(lib, rooms, _synth_cfg(cfg, clip, r, src.synth), "train", src.seed, length=2**62)
                for _until, r in stages]
    augment = src.augment if src.augment.enabled() else None
    return SynthItems(datasets, [until for until, _r in stages], augment, _view(cfg), src.render)


def _view(cfg: TrainConfig) -> dict | None:
    if cfg.data.view == "single_source":
        return {"leak_db": tuple(float(v) for v in cfg.data.leak_db), "seed": cfg.data.seed}
    return None


def val_items(cfg: TrainConfig, clip: Clip) -> tuple[object | None, int]:
    """``(item set, number of mixtures)``; ``(None, 0)`` when validation is off."""
    v = cfg.validation
    if v.source == "none":
        return None, 0
    if v.source == "random":
        return RandomItems(clip.rate, clip.samples, nevent_range(cfg, clip.kind), cfg.data.seed + 1), v.n or 8
    if v.source == "folder":
        items = FolderItems(v.folder, clip.rate, clip.samples)
        return items, min(v.n or len(items), len(items))
    from ..synth import SceneDataset
    from ..synth.presets import ensure_bank, preset, preset_bank_ready

    try:
        p = preset(v.preset, cfg.mode)
    except KeyError as exc:
        raise ConfigError(str(exc.args[0])) from None
    lib, rooms = _dirs(cfg)
    # The preset names its room bank (<data>/rooms/preset-*): used when built, and built here when the
    # run trains on the default bank; a run with an explicit data.rooms and no preset bank on disk
    # keeps validating on that bank's val rooms (build it with `rooms preset-bank val`).
    if cfg.data.rooms is None or preset_bank_ready(p["rooms"]):
        rooms = ensure_bank(p["rooms"])
    n = v.n or p["n"]
    ds = SceneDataset(lib, rooms, _synth_cfg(cfg, clip), p["split"], p["seed"], length=n, name_prefix=p["prefix"],
                      room_split=p["room_split"])
    return SynthItems([ds], [None], view=_view(cfg)), n
