"""Model architectures of S5 Studio: registry, builder and parameter counting.

Interface (stable; the training loop codes against it):

* ``ARCHS``: ``dict[str, ArchSpec]`` of every architecture id (official: ``resunet``, ``resunetk``,
  ``m2dat``, ``m2dat4c``; fast defaults: ``sep-small-16k``, ``sep-small-32k``, ``tag-small``,
  ``tag-small-32k``).
* ``build_model(arch, **overrides) -> torch.nn.Module``; lookup is case-insensitive, an unknown id
  raises :class:`UnknownArchError` listing the valid ids.
* Every model carries ``kind`` ('tagger'|'separator'), ``arch``, ``sample_rate``,
  ``window_seconds``, ``channels`` (input channels), ``slots``, ``labels`` (18, index order),
  ``task`` (default task id).
* Separator: ``forward(mixture [B, C, L], label_vector [B, slots*18]) -> waveform [B, slots, L]``;
  a slot whose 18-d block is all zero outputs exact zeros.
* Tagger: ``forward(mixture [B, C, L]) -> probs [B, 18]`` (sigmoid, 2025 style); ``m2dat4c``:
  ``[B, 3, 19]`` softmax per slot (2026, last column = silence).
* ``count_params(model) -> (trainable, total)``.
* Taggers also have ``forward_logits`` (pre-sigmoid / pre-softmax scores for stable losses);
  M2D models have ``set_finetuning('head'|'<k>_blocks'|'backbone_out'|'all')``.
* Checkpoints: ``save_checkpoint(model, path, meta)`` / ``load_checkpoint(path)`` (s5trainer
  format, read by ``export``), ``load_official(ckpt)`` (baseline Lightning layout).
"""
from __future__ import annotations

from .checkpoint import (CheckpointError, load_checkpoint, load_official, save_checkpoint,
                         save_official_layout)
from .common import label_vector, slot_mask
from .registry import ARCHS, ArchSpec, UnknownArchError, build_model, count_params, get_spec

__all__ = ["ARCHS", "ArchSpec", "UnknownArchError", "build_model", "count_params", "get_spec",
           "save_checkpoint", "load_checkpoint", "load_official", "save_official_layout",
           "CheckpointError", "label_vector", "slot_mask"]
