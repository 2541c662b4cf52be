"""Periodic validation on a fixed set: oracle-label CA-SDRi (separator), label accuracy and
per-class F1 (tagger), full-system CA-SDRi when a partner model of the other kind is given.

Queries follow the inference convention (spec §3.3, §5): labels in class-index order, silence
last; a 1-slot separator (ResUNet) is queried once per label. Each rank scores its share of the
mixtures; the partial results are gathered and reduced on every rank. Validation runs under
``no_grad``, in eval mode and inside ``fork_rng``, so it never perturbs the training stream.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import torch

from ..labels import CLASSES, SILENCE
from .. import losses
from .data import Batch, val_loader
from .metrics import LabelStats, decide_sigmoid, decide_slots, mixture_score, mixture_terms
from .objectives import label_vector, multihot


def _names(labels_row) -> list[str]:
    return [CLASSES[i] if i >= 0 else SILENCE for i in labels_row.tolist()]


def _indices(names: list[str]) -> torch.Tensor:
    """Class-index order, silence last, padded to 3 slots."""
    idx = sorted(CLASSES.index(n) for n in names if n != SILENCE)[:3]
    return torch.tensor(idx + [-1] * (3 - len(idx)), dtype=torch.long)


def separate(sep, mix: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """``labels [B, 3]`` -> ``[B, 3, L]`` estimates (ResUNet: one query per slot)."""
    x = mix[:, :int(sep.channels)]
    if int(sep.slots) == labels.shape[1]:
        return sep(x, label_vector(labels)).float()
    outs = [sep(x, label_vector(labels[:, s:s + 1])).float()[:, 0] for s in range(labels.shape[1])]
    return torch.stack(outs, 1) * (labels >= 0)[..., None]


def tag(tagger, mix: torch.Tensor, mode: str) -> tuple[torch.Tensor, list[list[str]]]:
    probs = tagger(mix[:, :int(tagger.channels)]).float()
    if probs.dim() == 3:
        return probs, [decide_slots(p) for p in probs.cpu().numpy()]
    min_events = 0 if mode == "2026" else 1
    return probs, [decide_sigmoid(p, 0.5, min_events, 3) for p in probs.cpu().numpy()]


class Partial:
    """One rank's sums; ``merge`` + ``result`` reduce them."""

    def __init__(self, mode: str):
        self.mode = mode
        self.scores: list[float] = []
        self.system: list[float] = []
        self.class_sdri: dict[str, list[float]] = defaultdict(list)
        self.labels = LabelStats(mode)
        self.loss_sum, self.loss_n = 0.0, 0

    def merge(self, other: "Partial") -> None:
        self.scores += other.scores
        self.system += other.system
        for c, v in other.class_sdri.items():
            self.class_sdri[c] += v
        self.labels.merge(other.labels)
        self.loss_sum += other.loss_sum
        self.loss_n += other.loss_n

    def add_mixtures(self, est_labels, est, ref_labels, ref, mix0, into: list, per_class: bool) -> None:
        for b in range(len(est_labels)):
            terms = mixture_terms(self.mode, est_labels[b], est[b], ref_labels[b], ref[b], mix0[b])
            score = mixture_score(terms)
            if score is not None:
                into.append(score)
            if per_class:
                for c, v, matched in terms:
                    if matched:
                        self.class_sdri[c].append(v)

    def result(self, kind: str, has_partner: bool) -> dict:
        per_class: dict[str, dict] = {c: {"sdri": float(np.mean(v)), "count": len(v)}
                                      for c, v in sorted(self.class_sdri.items(), key=lambda kv: CLASSES.index(kv[0]))}
        if self.labels.n:
            for c, stats in self.labels.per_class().items():
                per_class.setdefault(c, {}).update(stats)
        mean = (lambda v: float(np.mean(v)) if v else None)
        return {"ca_sdri": mean(self.scores) if kind == "separator" else None,
                "system_ca_sdri": mean(self.system) if has_partner else None,
                "label_accuracy": self.labels.accuracy if self.labels.n else None,
                "loss": self.loss_sum / self.loss_n if self.loss_n else None,
                "metric": "capi_sdri" if self.mode == "2026" else "ca_sdri",
                "per_class": per_class}


class Validator:
    def __init__(self, items, n: int, batch_size: int, mode: str, dist, pit: bool, partner=None, workers: int = 0):
        self.items, self.n, self.batch_size, self.mode = items, n, batch_size, mode
        self.dist, self.pit, self.partner, self.workers = dist, pit, partner, workers

    def _loss(self, core, out: torch.Tensor, batch: Batch) -> float:
        if core.kind == "tagger":
            if out.dim() == 2:
                return float(losses.multilabel_bce(out, multihot(batch.labels)))
            target = batch.labels.masked_fill(batch.labels < 0, out.shape[-1] - 1)
            return float(losses.pit_slot_cross_entropy(out, target[:, :out.shape[1]]))
        if self.pit:
            return float(losses.class_aware_pit_neg_snr(out, batch.dry, batch.labels)[0])
        return float(losses.multisrc_neg_snr(out, batch.dry, (batch.labels >= 0).float()))

    def _batch(self, core, batch: Batch, part: Partial) -> None:
        mix0 = batch.mixture[:, 0].cpu().numpy()
        ref_labels = [_names(row) for row in batch.labels]
        ref = batch.dry.cpu().numpy()
        if core.kind == "separator":
            out = separate(core, batch.mixture, batch.labels)
            part.add_mixtures(ref_labels, out.cpu().numpy(), ref_labels, ref, mix0, part.scores, True)
            tagger, sep = self.partner, core
        else:
            out, est_labels = tag(core, batch.mixture, self.mode)
            for e, r in zip(est_labels, ref_labels):
                part.labels.add(e, r)
            tagger, sep = core, self.partner
        part.loss_sum += self._loss(core, out, batch) * len(batch)
        part.loss_n += len(batch)
        if self.partner is None:
            return
        _, est_labels = tag(tagger, batch.mixture, self.mode)
        if core.kind == "separator":
            for e, r in zip(est_labels, ref_labels):
                part.labels.add(e, r)
        query = torch.stack([_indices(names) for names in est_labels]).to(batch.mixture.device)
        est = separate(sep, batch.mixture, query).cpu().numpy()
        part.add_mixtures([_names(q) for q in query], est, ref_labels, ref, mix0, part.system, False)

    def run(self, core, should_stop) -> dict | None:
        """Validate ``core``; None when ``should_stop()`` turned true on some rank meanwhile."""
        part = Partial(self.mode)
        was_training = core.training
        core.eval()
        loader = val_loader(self.items, self.n, self.batch_size, self.dist.rank, self.dist.world, self.workers)
        batches = iter(loader)
        try:
            with torch.no_grad(), torch.random.fork_rng(devices=[]):
                while True:
                    batch = next(batches, None)
                    if self.dist.any_true(should_stop()):
                        return None
                    if not self.dist.any_true(batch is not None):      # every rank is done
                        break
                    if batch is not None:
                        self._batch(core, batch.to(self.dist.device), part)
        finally:
            core.train(was_training)
        total = Partial(self.mode)
        for p in self.dist.gather(part):
            total.merge(p)
        result = total.result(core.kind, self.partner is not None)
        result["mixtures"] = self.n
        return result
