"""One training objective per model kind: batch -> model inputs -> scalar loss (spec Appendix A).

* separator with 3 slots (ResUNetK): query = the 3 slot one-hots concatenated ([B, 54]), loss =
  masked -SNR, or its class-aware PIT form in 2026 mode (same-class slots may swap);
* separator with 1 slot (ResUNet): one random non-silence slot per item is queried ([B, 18]); the
  draw comes from a generator seeded by (seed, step, rank), so a resumed run draws the same slots;
* tagger with ``[B, 18]`` sigmoid output: BCE against the multi-hot; with ``[B, S, 19]`` per-slot
  softmax (M2DAT_4c): PIT cross-entropy, silence = class 18.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .. import losses
from ..labels import CLASSES
from .data import Batch

N_CLASSES = len(CLASSES)


def label_vector(labels: torch.Tensor) -> torch.Tensor:
    """``[B, S]`` class indices (-1 silence) -> ``[B, S*18]`` concatenated one-hots (silence: zeros)."""
    onehot = F.one_hot(labels.clamp_min(0), N_CLASSES).to(torch.float32)
    onehot = onehot * (labels >= 0)[..., None]
    return onehot.reshape(labels.shape[0], -1)


def multihot(labels: torch.Tensor) -> torch.Tensor:
    """``[B, S]`` -> ``[B, 18]`` (duplicates collapse to 1)."""
    return label_vector(labels).reshape(labels.shape[0], labels.shape[1], N_CLASSES).amax(1)


def step_generator(seed: int, step: int, rank: int) -> torch.Generator:
    state = np.random.SeedSequence([seed, step, rank, 0x5EED]).generate_state(1, np.uint64)[0]
    return torch.Generator().manual_seed(int(state) & 0x7FFF_FFFF_FFFF_FFFF)


class Objective:
    """Computes the loss of one batch; ``core`` is the unwrapped model (attributes), ``model`` the
    callable (possibly DDP-wrapped)."""

    def __init__(self, core, mode: str, pit: bool, seed: int, rank: int, autocast=None):
        self.kind, self.slots, self.channels = core.kind, int(core.slots), int(core.channels)
        self.pit, self.seed, self.rank = pit, seed, rank
        self.autocast = autocast
        if self.kind == "separator" and self.slots not in (1, 3):
            raise ValueError(f"separators with {self.slots} slots are not supported (1: ResUNet, 3: ResUNetK)")

    def _forward(self, model, *args):
        if self.autocast is None:
            return model(*args).float()
        with self.autocast():
            return model(*args).float()

    def __call__(self, model, batch: Batch, step: int) -> torch.Tensor:
        mix = batch.mixture[:, :self.channels]
        if self.kind == "tagger":
            probs = self._forward(model, mix)
            if probs.dim() == 2:
                return losses.multilabel_bce(probs, multihot(batch.labels))
            target = batch.labels.masked_fill(batch.labels < 0, probs.shape[-1] - 1)
            return losses.pit_slot_cross_entropy(probs, target[:, :probs.shape[1]])
        if self.slots == 1:
            return self._single_query(model, mix, batch, step)
        out = self._forward(model, mix, label_vector(batch.labels))
        if self.pit:
            return losses.class_aware_pit_neg_snr(out, batch.dry, batch.labels)[0]
        return losses.multisrc_neg_snr(out, batch.dry, (batch.labels >= 0).to(out.dtype))

    def _single_query(self, model, mix, batch: Batch, step: int) -> torch.Tensor:
        valid = batch.labels >= 0
        draw = torch.rand(batch.labels.shape, generator=step_generator(self.seed, step, self.rank))
        slot = draw.to(valid.device).masked_fill(~valid, -1.0).argmax(1)            # [B]
        query = batch.labels.gather(1, slot[:, None])                                # [B, 1]
        out = self._forward(model, mix, label_vector(query))[:, 0]                   # [B, L]
        match = (batch.labels == query) & valid
        return losses.query_neg_snr(out, batch.dry, match)
