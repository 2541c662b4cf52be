"""Validation metrics: CA-SDRi (2025), CAPI-SDRi (2026), label decisions, accuracy, per-class F1.

Pure numpy, one mixture at a time (spec §2, spec-2026 §1). Labels are class names; 'silence' is
never a class. ``ca_terms`` matches one estimate per label string (a repeated estimated label keeps
the last waveform); ``capi_terms`` matches inside each class by the permutation with the highest
mean SDR and reports its SDRi values. ``mixture_score`` averages the terms and returns None when
both sides are empty (2026: such mixtures leave the corpus mean).
"""
from __future__ import annotations

import itertools
from collections import Counter

import numpy as np

from ..labels import CLASSES, SILENCE

EPS = 1.1920929e-07


def snr_db(est: np.ndarray, ref: np.ndarray) -> float:
    est = np.asarray(est, np.float64)
    ref = np.asarray(ref, np.float64)
    return float(10.0 * np.log10((np.sum(ref ** 2) + EPS) / (np.sum((ref - est) ** 2) + EPS)))


def _real(labels) -> list[str]:
    return [lab for lab in labels if lab != SILENCE]


def ca_terms(est_labels, est_wavs, ref_labels, ref_wavs, mix0) -> list[tuple[str, float, bool]]:
    """2025 CA-SDRi terms ``(label, value, matched)``: SDRi per TP label, 0 per FP and per FN."""
    est = {lab: w for lab, w in zip(est_labels, est_wavs) if lab != SILENCE}
    ref = {lab: w for lab, w in zip(ref_labels, ref_wavs) if lab != SILENCE}
    tp = set(est) & set(ref)
    terms = [(c, snr_db(est[c], ref[c]) - snr_db(mix0, ref[c]), True) for c in sorted(tp)]
    terms += [(c, 0.0, False) for c in sorted((set(est) | set(ref)) - tp)]
    return terms


def capi_terms(est_labels, est_wavs, ref_labels, ref_wavs, mix0) -> list[tuple[str, float, bool]]:
    """2026 CAPI-SDRi terms: inside each class, the pairing with the highest mean SDR is scored by
    its SDRi; every surplus estimate or reference adds a 0."""
    terms: list[tuple[str, float, bool]] = []
    for c in sorted(set(_real(est_labels)) | set(_real(ref_labels))):
        E = [w for lab, w in zip(est_labels, est_wavs) if lab == c]
        R = [w for lab, w in zip(ref_labels, ref_wavs) if lab == c]
        k = min(len(E), len(R))
        if k:
            sdr = [[snr_db(e, r) for r in R] for e in E]
            best, pairs = -np.inf, []
            for rsub in itertools.combinations(range(len(R)), k):          # first maximum wins
                for eperm in itertools.permutations(range(len(E)), k):
                    score = np.mean([sdr[e][r] for e, r in zip(eperm, rsub)])
                    if score > best:
                        best, pairs = score, list(zip(eperm, rsub))
            terms += [(c, sdr[e][r] - snr_db(mix0, R[r]), True) for e, r in pairs]
        terms += [(c, 0.0, False)] * abs(len(E) - len(R))
    return terms


def mixture_terms(mode: str, *args) -> list[tuple[str, float, bool]]:
    return capi_terms(*args) if mode == "2026" else ca_terms(*args)


def mixture_score(terms) -> float | None:
    """Per-mixture CA-SDRi / CAPI-SDRi; None when no label on either side (2026: excluded)."""
    return float(np.mean([v for _c, v, _m in terms])) if terms else None


def decide_sigmoid(probs: np.ndarray, threshold: float = 0.5, min_events: int = 1, max_events: int = 3) -> list[str]:
    """2025 rule (spec §3.3): classes >= threshold, at most ``max_events`` by probability, at
    least ``min_events`` (argmax), listed in class-index order."""
    probs = np.asarray(probs, np.float64)
    order = np.argsort(-probs, kind="stable")
    chosen = [int(i) for i in order if probs[i] >= threshold][:max_events]
    if len(chosen) < min_events:
        chosen = [int(i) for i in order[:min_events]]
    return [CLASSES[i] for i in sorted(chosen)]


def decide_slots(probs: np.ndarray) -> list[str]:
    """2026 per-slot softmax ``[S, 19]``: argmax per slot, index 18 = silence; class-index order."""
    idx = np.asarray(probs).argmax(-1)
    return [CLASSES[i] for i in sorted(int(i) for i in idx if i < len(CLASSES))]


class LabelStats:
    """Accumulates exact-match accuracy and per-class TP/FP/FN (multisets in 2026, sets in 2025)."""

    def __init__(self, mode: str):
        self.mode = mode
        self.n = self.correct = 0
        self.tp, self.fp, self.fn = Counter(), Counter(), Counter()

    def add(self, est_labels, ref_labels) -> None:
        est, ref = Counter(_real(est_labels)), Counter(_real(ref_labels))
        if self.mode != "2026":
            est, ref = Counter(set(est)), Counter(set(ref))
        self.n += 1
        self.correct += int(est == ref)
        inter = est & ref
        self.tp.update(inter)
        self.fp.update(est - inter)
        self.fn.update(ref - inter)

    def merge(self, other: "LabelStats") -> None:
        self.n += other.n
        self.correct += other.correct
        self.tp.update(other.tp)
        self.fp.update(other.fp)
        self.fn.update(other.fn)

    @property
    def accuracy(self) -> float:
        return 100.0 * self.correct / self.n if self.n else float("nan")

    def per_class(self) -> dict[str, dict]:
        out = {}
        for c in CLASSES:
            tp, fp, fn = self.tp[c], self.fp[c], self.fn[c]
            if tp + fp + fn == 0:
                continue
            p = tp / (tp + fp) if tp + fp else 0.0
            r = tp / (tp + fn) if tp + fn else 0.0
            out[c] = {"f1": 2 * p * r / (p + r) if p + r else 0.0, "precision": p, "recall": r,
                      "support": tp + fn}
        return out
