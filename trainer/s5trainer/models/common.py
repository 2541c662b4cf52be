"""Shared model plumbing: the attribute contract every model carries, slot masks, label vectors."""
from __future__ import annotations

import torch

from ..labels import CLASSES

N_CLASSES = len(CLASSES)  # 18


class S5Model(torch.nn.Module):
    """Mixin base: sets the attributes the trainer, exporter and app rely on.

    ``kind`` 'tagger'|'separator'; ``arch`` registry id (set by ``build_model``); ``sample_rate``;
    ``window_seconds`` (clip length the model was designed for; shorter/longer inputs work where
    the architecture allows); ``channels`` (input channels); ``slots`` (separator outputs or tagger
    max events); ``labels`` (the 18 classes in index order); ``task``; ``input_names`` /
    ``output_names`` (ONNX I/O names).
    """

    kind = "separator"
    arch = ""
    task = "dcase2025t4"

    def _set_contract(self, kind: str, sample_rate: int, window_seconds: float, channels: int,
                      slots: int, task: str) -> None:
        self.kind = kind
        self.sample_rate = int(sample_rate)
        self.window_seconds = float(window_seconds)
        self.channels = int(channels)
        self.slots = int(slots)
        self.labels = list(CLASSES)
        self.task = task

    # I/O description used by ``info`` and the manifest (symbolic dims as strings)
    def io_spec(self) -> tuple[list[dict], list[dict]]:
        raise NotImplementedError


def slot_mask(label_vector: torch.Tensor, slots: int) -> torch.Tensor:
    """[B, slots*K] -> [B, slots] float: 1 where the slot's block is non-zero (silence -> 0)."""
    b = label_vector.shape[0]
    blocks = label_vector.reshape(b, slots, -1)
    return (blocks.abs().sum(dim=2) != 0).to(label_vector.dtype)


def label_vector(slot_labels, slots: int | None = None) -> torch.Tensor:
    """Concatenated one-hots for a list of class names ('silence'/None -> zeros), shape [S*18]."""
    from ..labels import CLASS_INDEX, SILENCE
    slots = slots or len(slot_labels)
    v = torch.zeros(slots, N_CLASSES)
    for i, name in enumerate(slot_labels):
        if name is None or name == SILENCE:
            continue
        v[i, CLASS_INDEX[name]] = 1.0
    return v.reshape(-1)


# Input level normalisation (level invariance). Real microphones come with any gain; a model that
# sees log-mels or unnormalised spectra answers differently to the same scene 20 dB louder. With
# ``input_level_db`` set, a model scales each input window so that its channel 0 (W) has that RMS
# (dBFS) before anything else, and a separator divides its output by the same gain: the graph is
# then level-invariant by construction (tagger: identical probabilities; separator: stems scale
# with the input), in training and in the exported ONNX alike. Windows quieter than
# ``LEVEL_FLOOR_DBFS`` are raised as if they were at the floor (digital silence stays silence and
# a microphone's self-noise is not blown up to speech level).
LEVEL_FLOOR_DBFS = -100.0


class InputLevel(torch.nn.Module):
    """``x [B, C, L] -> (x * g, g [B, 1, 1])`` with ``g = target / max(rms(x[:, 0]), floor)``."""

    def __init__(self, target_dbfs: float, floor_dbfs: float = LEVEL_FLOOR_DBFS):
        super().__init__()
        self.target_dbfs, self.floor_dbfs = float(target_dbfs), float(floor_dbfs)
        self.target = 10.0 ** (self.target_dbfs / 20.0)
        self.floor = 10.0 ** (self.floor_dbfs / 20.0)

    def forward(self, x: torch.Tensor):
        rms = torch.sqrt(torch.mean(x[:, :1] * x[:, :1], dim=(1, 2), keepdim=True))
        g = self.target / torch.clamp(rms, min=self.floor)
        return x * g, g

    def extra_repr(self) -> str:
        return f"target_dbfs={self.target_dbfs}, floor_dbfs={self.floor_dbfs}"
