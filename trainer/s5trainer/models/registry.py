"""Architecture registry: ids -> builders with default settings, case-insensitive lookup.

Official baselines (parameter names/shapes follow the official state dicts):
``resunet`` (ResUNet30, 1 slot, 18-d query), ``resunetk`` (ResUNet30, 3 slots, 54-d query),
``m2dat`` (M2D-AT 2025, 1-channel, sigmoid over 18), ``m2dat-2026`` (2026 1-channel M2D-AT, slot
head), ``m2dat4c`` (2026 4-channel M2D-AT, 3 slots x 19-way softmax). Fast defaults: ``sep-small-16k`` / ``sep-small-32k`` (ResUNetK-style, scaled),
``tag-small`` / ``tag-small-32k`` (compact CNN, 2025 sigmoid head), ``tag-small-2026`` (compact
CNN, 2026 slot head).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import S5Error


class UnknownArchError(S5Error):
    code = "unknown_arch"


@dataclass(frozen=True)
class ArchSpec:
    """One registered architecture: ``builder(**defaults | overrides)`` returns the module."""

    id: str
    kind: str                      # 'tagger' | 'separator'
    family: str                    # 'resunet' | 'm2dat' | 'cnn-tagger'
    task: str                      # default task id
    official: bool                 # True: official baseline layout and parameter count
    description: str
    defaults: dict = field(default_factory=dict)
    expected_trainable: int | None = None   # official counts (spec) to test against

    def builder(self) -> Callable[..., Any]:
        if self.family == "resunet":
            from .resunet import ResUNet30
            return ResUNet30
        if self.family == "m2dat":
            from .m2dat import M2dAt
            return M2dAt
        if self.family == "m2dat4c":
            from .m2dat import M2dAtSpatial
            return M2dAtSpatial
        if self.family == "cnn-tagger":
            from .small_tagger import SmallTagger
            return SmallTagger
        raise UnknownArchError(f"no builder for family {self.family!r}")


_SEP_SMALL = dict(
    input_channels=4, target_sources_num=3, label_len=54, mask_channels=1,
    widths=(16, 32, 64, 96, 128), pools=((2, 2), (2, 2), (2, 2), (2, 2), (1, 2)),
    center_blocks=1, cond_dim=128, window_seconds=10.0,
)

ARCHS: dict[str, ArchSpec] = {s.id: s for s in (
    ArchSpec("resunet", "separator", "resunet", "dcase2025t4", True,
             "Official ResUNet30 (single query, 18-d one-hot, 32 kHz, STFT 1024/160)",
             dict(input_channels=4, target_sources_num=1, label_len=18, sample_rate=32000),
             expected_trainable=26_721_747),
    ArchSpec("resunetk", "separator", "resunet", "dcase2025t4", True,
             "Official ResUNetK (3 slots, 54-d concatenated one-hots, 32 kHz, STFT 1024/160)",
             dict(input_channels=4, target_sources_num=3, label_len=54, sample_rate=32000),
             expected_trainable=26_740_971),
    ArchSpec("m2dat", "tagger", "m2dat", "dcase2025t4", True,
             "Official M2D-AT (ViT-B/16 on 80-mel log-mel of channel W, sigmoid over 18 classes)",
             dict(), expected_trainable=85_562_130),
    ArchSpec("m2dat4c", "tagger", "m2dat4c", "dcase2026t4", True,
             "Official 2026 4-channel M2D-AT (shared ViT per channel, concat, 3 slots x 19 softmax)",
             dict(), expected_trainable=85_492_992 + 48_801_849),
    ArchSpec("m2dat-2026", "tagger", "m2dat", "dcase2026t4", True,
             "Official 2026 1-channel M2D-AT (ViT on channel W, slot head, 3 slots x 19 softmax)",
             dict(head="tracks"), expected_trainable=85_492_992 + 13_412_409),
    ArchSpec("sep-small-16k", "separator", "resunet", "dcase2025t4", False,
             "Fast ResUNetK-style separator, 16 kHz, STFT 512/160, widths 16..128, 3 slots",
             dict(_SEP_SMALL, sample_rate=16000, n_fft=512, hop=160)),
    ArchSpec("sep-small-32k", "separator", "resunet", "dcase2025t4", False,
             "Fast ResUNetK-style separator, 32 kHz, STFT 1024/320, widths 16..128, 3 slots",
             dict(_SEP_SMALL, sample_rate=32000, n_fft=1024, hop=320,
                  pools=((2, 4), (2, 2), (2, 2), (2, 2), (1, 2)))),
    ArchSpec("tag-small", "tagger", "cnn-tagger", "dcase2025t4", False,
             "Compact CNN tagger on 4-channel log-mels, 16 kHz, sigmoid over 18 classes",
             dict(sample_rate=16000, head="sigmoid")),
    ArchSpec("tag-small-32k", "tagger", "cnn-tagger", "dcase2025t4", False,
             "Compact CNN tagger on 4-channel log-mels, 32 kHz input, sigmoid over 18 classes",
             dict(sample_rate=32000, head="sigmoid")),
    ArchSpec("tag-small-2026", "tagger", "cnn-tagger", "dcase2026t4", False,
             "Compact CNN tagger, 16 kHz, 2026 head: 3 slots x 19-way softmax (silence last)",
             dict(sample_rate=16000, head="slots")),
)}


def get_spec(arch: str) -> ArchSpec:
    key = str(arch).strip().lower()
    if key not in ARCHS:
        raise UnknownArchError(
            f"unknown architecture {arch!r}; valid ids: {', '.join(sorted(ARCHS))}")
    return ARCHS[key]


def build_model(arch: str, **overrides):
    """Build ``arch`` with its registered defaults updated by ``overrides`` (unknown keys raise)."""
    spec = get_spec(arch)
    kwargs = dict(spec.defaults)
    kwargs.update(overrides)
    cls = spec.builder()
    try:
        model = cls(**kwargs)
    except TypeError as exc:
        raise UnknownArchError(f"bad overrides for {spec.id}: {exc}") from exc
    model.arch = spec.id
    model.overrides = dict(overrides)
    model.build_kwargs = kwargs
    return model


def count_params(model) -> tuple[int, int]:
    """(trainable, total) parameter counts; buffers (BN statistics, DFT kernels) not included."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, total
