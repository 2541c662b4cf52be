"""Training losses of the S5 baselines (spec §4.7, §3.4, spec-2026 §2.2), as pure tensor functions.

Names carry the shape contract (asteroid style): ``singlesrc_*`` score one estimate per item,
``multisrc_*`` score slot-aligned estimates, ``pairwise_*`` return all estimate x reference pairs.

* ``snr``: plain SNR in dB, torchmetrics ``signal_noise_ratio(zero_mean=False)`` with eps =
  float32 machine epsilon (spec §2.1).
* ResUNetK: ``multisrc_neg_snr``, ``-(1/(B*S)) sum_{b,s} mask_bs * snr_bs`` (silence slots count in
  the denominator, spec §4.7).
* 2026 class-aware PIT: ``class_aware_pit_neg_snr``, estimate slot i may take reference slot p(i)
  only when both carry the same label; silence slots stay fixed and score 0.
* ResUNet: ``query_neg_snr``, one query per item; with same-class duplicates the best-matching
  reference of the queried class is the target.
* Taggers: ``multilabel_bce`` on sigmoid probabilities ``[B, 18]``; ``pit_slot_cross_entropy`` on
  per-slot softmax probabilities ``[B, S, 19]`` (M2DAT_4c), minimised over slot permutations.
"""
from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F

EPS = 1.1920929e-07          # torch.finfo(torch.float32).eps


def snr(est: torch.Tensor, ref: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """SNR in dB over the last axis: ``10 log10((sum r^2 + eps) / (sum (r - e)^2 + eps))``."""
    num = ref.pow(2).sum(-1) + eps
    den = (ref - est).pow(2).sum(-1) + eps
    return 10.0 * torch.log10(num / den)


def multisrc_neg_snr(est: torch.Tensor, ref: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``est, ref [B, S, L]``, ``mask [B, S]`` (1 = real slot) -> scalar."""
    return -(snr(est, ref) * mask).mean()


def pairwise_snr(est: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """``est [B, S, L]``, ``ref [B, R, L]`` -> ``[B, S, R]``: SNR of estimate i against reference j."""
    return snr(est[:, :, None, :], ref[:, None, :, :])


def _permutations(n: int, device) -> torch.Tensor:
    return torch.tensor(list(itertools.permutations(range(n))), dtype=torch.long, device=device)


def class_aware_pit_neg_snr(est: torch.Tensor, ref: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``est, ref [B, S, L]``, ``labels [B, S]`` class index per slot (-1 = silence).

    Returns ``(loss, perm [B, S])`` where estimate slot ``i`` was scored against reference slot
    ``perm[b, i]``; the normalisation is that of ``multisrc_neg_snr`` (divide by B*S).
    """
    B, S, _ = est.shape
    pw = pairwise_snr(est, ref)                                       # [B, S, S]
    perms = _permutations(S, est.device)                              # [P, S]
    mask = (labels >= 0).to(est.dtype)                                # [B, S]
    # allowed: every slot i keeps a reference of its own label (silence stays on silence)
    lab_perm = labels[:, perms]                                       # [B, P, S] label of ref p(i)
    allowed = (lab_perm == labels[:, None, :]).all(-1)                # [B, P]
    idx = perms[None].expand(B, -1, -1)                               # [B, P, S]
    scores = torch.gather(pw[:, None].expand(-1, len(perms), -1, -1), 3, idx[..., None]).squeeze(-1)
    total = (scores * mask[:, None, :]).sum(-1)                       # [B, P]
    total = total.masked_fill(~allowed, float("-inf"))
    best = total.argmax(-1)                                           # identity is always allowed
    loss = -total.gather(1, best[:, None]).sum() / (B * S)
    return loss, perms[best]


def query_neg_snr(est: torch.Tensor, refs: torch.Tensor, match: torch.Tensor) -> torch.Tensor:
    """``est [B, L]``, ``refs [B, R, L]``, ``match [B, R]`` bool (references of the queried class).

    Each item scores its best-matching reference; items with no match are left out of the mean.
    """
    scores = snr(est[:, None, :], refs).masked_fill(~match, float("-inf")).max(-1).values   # [B]
    valid = match.any(-1)
    if not bool(valid.any()):
        return est.sum() * 0.0
    return -scores[valid].mean()


def multilabel_bce(probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy on probabilities ``[B, C]`` (mean over B x C), spec §3.4."""
    return F.binary_cross_entropy(probs.float().clamp(EPS, 1.0 - EPS), target.float())


def pit_slot_cross_entropy(probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``probs [B, S, K]`` per-slot softmax, ``target [B, S]`` class index (K-1 = silence).

    Cross-entropy ``-log p`` averaged over slots, minimised over the S! slot permutations per item
    (speaker-wise PIT, spec-2026 §2.2), then averaged over the batch.
    """
    B, S, _ = probs.shape
    logp = probs.float().clamp_min(EPS).log()                          # [B, S, K]
    perms = _permutations(S, probs.device)                             # [P, S]
    tgt = target[:, perms]                                             # [B, P, S]
    ce = -torch.gather(logp[:, None].expand(-1, len(perms), -1, -1), 3, tgt[..., None]).squeeze(-1)
    return ce.mean(-1).min(-1).values.mean()
