"""Synthesis parameters for the 2025 (SpatialScaper) and 2026 (SpAudSyn) recipes.

Defaults follow ``spec/s5-task.md`` §7 (2025) and ``spec/s5-2026.md`` §2 (2026). Every field can
be overridden (``SynthConfig.for_mode("2026", nevent_range=(1, 3))`` gives separator data).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

MODES = ("2025", "2026")


@dataclass(frozen=True)
class SynthConfig:
    mode: str = "2025"
    rate: int = 32000
    seconds: float = 10.0
    ref_db: float = -50.0                       # background mean power (dB); events at ref_db + snr
    nevent_range: tuple[int, int] = (1, 3)      # inclusive
    target_snr_db: tuple[float, float] = (5.0, 20.0)
    ninterf_range: tuple[int, int] = (1, 2)
    interf_snr_db: tuple[float, float] = (0.0, 15.0)
    max_event_seconds: float = 10.0
    dupse_rate: float = 0.0                     # P(same-class duplicates | n >= 2)
    max_n_dupse: int = 2
    dupse_min_angle_deg: float = 60.0
    dry_window_ms: tuple[float, float] = (6.0, 50.0)
    dry_peak: str = "signed"                    # "signed" (2025 argmax h0) | "abs" (2026 argmax |h0|)
    dry_window_inclusive: bool = False          # 2026 keeps sample p + 1600 too
    ir_norm: str = "mean_norm"                  # 2025: h / mean_c ||h_c||; 2026 "rms_norm": / sqrt(mean ||h_c||²)
    background_tile: bool = True                # short backgrounds are tiled (2025 repeated samples: a bug)
    procedural_background_prob: float = 0.5     # share of procedural diffuse noise vs. ambience clips
    # Added after v1; left out of to_json() at their defaults so existing metadata stays identical.
    foa_ambience: tuple[str, ...] = ()          # 4-ch ACN/SN3D ambience files used as backgrounds as they are
    foa_ambience_prob: float = 0.0              # share of scenes whose background is one of them (randomly rotated)
    background_tilt_db: float = 0.0             # +- dB/octave random spectral tilt of the background (around 1 kHz)

    _LATER_FIELDS = {"foa_ambience": (), "foa_ambience_prob": 0.0, "background_tilt_db": 0.0}

    @classmethod
    def for_mode(cls, mode: str = "2025", **overrides) -> "SynthConfig":
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; accepted: {', '.join(MODES)}")
        base = cls()
        if mode == "2026":
            base = replace(base, mode="2026", ref_db=-55.0, nevent_range=(0, 3), ninterf_range=(0, 2),
                           dupse_rate=0.5, dry_peak="abs", dry_window_inclusive=True, ir_norm="rms_norm")
        overrides = {k: v for k, v in overrides.items() if v is not None}
        cfg = replace(base, **overrides)
        if cfg.max_event_seconds > cfg.seconds:
            cfg = replace(cfg, max_event_seconds=cfg.seconds)
        return cfg

    @property
    def n_samples(self) -> int:
        return int(round(self.seconds * self.rate))

    @property
    def dry_window_samples(self) -> tuple[int, int]:
        """``[int(6 ms * rate), int(50 ms * rate)]`` = (192, 1600) at 32 kHz."""
        return (int(self.dry_window_ms[0] * self.rate / 1000), int(self.dry_window_ms[1] * self.rate / 1000))

    def to_json(self) -> dict:
        d = asdict(self)
        for k, default in self._LATER_FIELDS.items():
            if d[k] == default or (k == "foa_ambience" and not d[k]):
                del d[k]
            elif k == "foa_ambience":
                d[k] = list(d[k])
        return d
