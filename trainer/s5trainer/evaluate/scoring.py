"""Scores: per mixture (``train.metrics``), per corpus (as ``s5 evaluate`` aggregates), the tagger
alone, and the decomposition of the oracle-vs-system gap.

Per mixture the metric is the task's: 2025 CA-SDRi (labels as sets; SDRi per TP, 0 per FP and FN),
2026 CAPI-SDRi (labels as multisets; best same-class permutation; None when neither side has a
label). Corpus (``src/engine/metrics/evaluate.ts``): 2025 mean over mixtures and label accuracy
(% of mixtures with equal label sets); per class the mean SDRi of its TP pairs, TP/FP/FN counts and
F1 = 2TP / (2TP + FP + FN). 2026 mean over mixtures with a value, mixture accuracy (% equal
multisets) and source accuracy (100 * sum TP / sum(TP + FP + FN)).

Loss decomposition (documented in ``docs/models.md``): see :func:`decompose`.
"""
from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from ..labels import CLASSES, SILENCE
from ..train.metrics import ca_terms, capi_terms, mixture_score


def _mode(task: str) -> str:
    return "2026" if task == "dcase2026t4" else "2025"


def label_diff(task: str, est, ref) -> tuple[list[str], list[str], list[str]]:
    """(TP, FP, FN) label lists, sorted; sets in 2025, multisets in 2026; silence removed."""
    e = Counter(lab for lab in est if lab != SILENCE)
    r = Counter(lab for lab in ref if lab != SILENCE)
    if task != "dcase2026t4":
        e, r = Counter(set(e)), Counter(set(r))
    tp = e & r
    return sorted(tp.elements()), sorted((e - tp).elements()), sorted((r - tp).elements())


def score_mixture(task: str, est_labels, est_wavs, ref_labels, ref_wavs, mix0) -> dict:
    """One mixture: ``value`` (dB or None), matched ``pairs`` {label: [SDRi...]}, TP/FP/FN lists."""
    fn_ = capi_terms if task == "dcase2026t4" else ca_terms
    terms = fn_(list(est_labels), list(est_wavs), list(ref_labels), list(ref_wavs), mix0)
    tp, fp, fn = label_diff(task, est_labels, ref_labels)
    pairs: dict[str, list[float]] = defaultdict(list)
    for c, v, matched in terms:
        if matched:
            pairs[c].append(float(v))
    return {"value": mixture_score(terms), "pairs": dict(pairs), "tp": tp, "fp": fp, "fn": fn,
            "correct": not fp and not fn}


class Corpus:
    """Aggregates per-mixture scores like ``s5 evaluate`` (``Scorer2025`` / ``Scorer2026``)."""

    def __init__(self, task: str):
        self.task = task
        self.values: list = []
        self.correct = 0
        self.sdri: dict[str, list[float]] = defaultdict(list)
        self.counts = {k: Counter() for k in ("tp", "fp", "fn")}

    def add(self, s: dict) -> None:
        self.values.append(s["value"])
        self.correct += int(s["correct"])
        for c, v in s["pairs"].items():
            self.sdri[c] += v
        for k in ("tp", "fp", "fn"):
            self.counts[k].update(s[k])

    def per_class(self, with_labels: bool = True) -> dict:
        out = {}
        classes = set(self.sdri) | set(self.counts["tp"]) | set(self.counts["fp"]) | set(self.counts["fn"])
        for c in sorted(classes):
            v = self.sdri.get(c, [])
            row = {"sdri": float(np.mean(v)) if v else None, "count": len(v)}
            if with_labels:
                tp, fp, fn = (self.counts[k][c] for k in ("tp", "fp", "fn"))
                row.update(tp=tp, fp=fp, fn=fn, f1=2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else None)
            out[c] = row
        return out

    def summary(self, with_labels: bool = True) -> dict:
        n = len(self.values)
        scored = [v for v in self.values if v is not None]
        mean = float(np.mean(scored)) if scored else None
        if self.task == "dcase2026t4":
            tp = sum(self.counts["tp"].values())
            err = sum(self.counts["fp"].values()) + sum(self.counts["fn"].values())
            out = {"capi_sdri": mean, "scored_mixtures": len(scored), "mixtures": n}
            if with_labels:
                out.update(mixture_accuracy=100.0 * self.correct / n if n else None,
                           source_accuracy=100.0 * tp / (tp + err) if tp + err else 100.0)
        else:
            out = {"ca_sdri": mean, "mixtures": n}
            if with_labels:
                out["label_accuracy"] = 100.0 * self.correct / n if n else None
        out["per_class"] = self.per_class(with_labels)
        return out


# -- tagger alone ---------------------------------------------------------------------------------

THRESHOLD_GRID = tuple(round(0.01 * i, 2) for i in range(1, 100))


def average_precision(scores, truth) -> float | None:
    """Area under the precision-recall step curve (sklearn's definition); None without positives."""
    s, y = np.asarray(scores, np.float64), np.asarray(truth, bool)
    P = int(y.sum())
    if P == 0:
        return None
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]      # last index of each distinct score
    tp = np.cumsum(y)[last]
    fp = (last + 1) - tp
    precision = tp / (tp + fp)
    recall = tp / P
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def roc_auc(scores, truth) -> float | None:
    """Probability that a positive scores above a negative (ties count half); None if one side is empty."""
    s, y = np.asarray(scores, np.float64), np.asarray(truth, bool)
    P, N = int(y.sum()), int((~y).sum())
    if P == 0 or N == 0:
        return None
    from scipy.stats import rankdata

    ranks = rankdata(s)
    return float((ranks[y].sum() - P * (P + 1) / 2) / (P * N))


def _f1(tp: int, fp: int, fn: int) -> float | None:
    return 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else None


def tagger_metrics(task: str, class_probs: np.ndarray, truths: list, decided: list, rule: dict,
                   redecide) -> dict:
    """``class_probs [M, 18]`` (per clip, max over windows), ``truths``/``decided`` label lists per
    mixture, ``redecide(rule) -> [labels per mixture]`` applies another rule (for the accuracy at
    the best thresholds)."""
    from .decision import class_threshold

    M = len(truths)
    present = np.array([[c in set(t) for c in CLASSES] for t in truths], bool).reshape(M, len(CLASSES))
    chosen = np.array([[c in set(d) for c in CLASSES] for d in decided], bool).reshape(M, len(CLASSES))
    same = [not any(label_diff(task, d, t)[1:]) for d, t in zip(decided, truths)]
    per_class, best = {}, {}
    aps, aucs = [], []
    for j, c in enumerate(CLASSES):
        p, y, d = class_probs[:, j], present[:, j], chosen[:, j]
        thr = class_threshold(rule, c)
        tp_r, fp_r, fn_r = int((d & y).sum()), int((d & ~y).sum()), int((~d & y).sum())
        hit = p >= thr
        f1_thr = _f1(int((hit & y).sum()), int((hit & ~y).sum()), int((~hit & y).sum()))
        grid = []
        for t in THRESHOLD_GRID:
            h = p >= t
            grid.append((_f1(int((h & y).sum()), int((h & ~y).sum()), int((~h & y).sum())) or 0.0, t))
        f1_best = max(g[0] for g in grid)
        # among equal F1, the threshold nearest the shipped one (a class without evidence keeps it)
        t_best = min((g for g in grid if g[0] == f1_best), key=lambda g: (abs(g[1] - thr), g[1]))[1]
        ap, auc = average_precision(p, y), roc_auc(p, y)
        if ap is not None:
            aps.append(ap)
        if auc is not None:
            aucs.append(auc)
        if int(y.sum()) == 0:
            t_best = thr
        best[c] = t_best
        per_class[c] = {"support": int(y.sum()), "tp": tp_r, "fp": fp_r, "fn": fn_r, "f1": _f1(tp_r, fp_r, fn_r),
                        "threshold": thr, "f1_at_threshold": f1_thr, "best_threshold": t_best,
                        "f1_at_best_threshold": f1_best if int(y.sum()) else None, "ap": ap, "auc": auc}
    best_rule = {**rule, "thresholds": {c: best[c] for c in CLASSES}}
    redecided = redecide(best_rule)
    acc_best = 100.0 * np.mean([not any(label_diff(task, d, t)[1:]) for d, t in zip(redecided, truths)]) if M else None
    return {"accuracy": 100.0 * float(np.mean(same)) if M else None,
            "accuracy_best_thresholds": float(acc_best) if acc_best is not None else None,
            "accuracy_best_thresholds_note": "optimistic: each class's threshold is tuned on this same set "
                                             "(max F1 over 0.01..0.99); not a held-out estimate",
            "mAP": float(np.mean(aps)) if aps else None, "mean_auc": float(np.mean(aucs)) if aucs else None,
            "f1_note": "f1 = decided labels (rule with min/max events) vs truth; f1_at_threshold = p >= "
                       "threshold alone; f1_at_best_threshold = the best p >= t over t in 0.01..0.99",
            "best_thresholds": best_rule["thresholds"], "per_class": per_class}


# -- loss decomposition ---------------------------------------------------------------------------

DECOMPOSITION_DEFINITION = (
    "gap = oracle-label metric - full-system metric (corpus means). Every mixture is put in one "
    "category by the full system's label errors: 'correct' (no FN, no FP), 'missed' (FN only), "
    "'extra' (FP only), 'wrong' (FN and FP in the same mixture). Correcting the labels of one "
    "category (querying the separator with the true labels there) raises the full-system metric by "
    "exactly that category's share, sum over its mixtures of (oracle_m - full_m) / N (2026: N counts "
    "the mixtures with a reference; FP-only mixtures without any reference add to 'extra' the change "
    "of the corpus mean when they leave it), so missed + extra + wrong + correct = gap exactly "
    "('correct' is 0 for clips of one model window). by_label_type splits the same gap by error "
    "type: per mixture, fixing the FP labels alone (separator queried with the TP labels: tp_only) "
    "and the FN labels alone (decided labels plus the missed ones: with_fn_added) and averaging the "
    "two correction orders, extra_labels = ((tp_only - full) + (oracle - with_fn_added)) / 2 and "
    "missed_labels = ((oracle - tp_only) + (with_fn_added - full)) / 2, which add up to oracle - full; "
    "in 'missed' mixtures all goes to missed_labels, in 'extra' ones to extra_labels. per_class "
    "spreads each mixture's FN part equally over its FN labels and its FP part over its FP labels.")


def decompose(task: str, records: list) -> dict | None:
    """``records``: dicts with ``full``, ``oracle``, ``tp_only``, ``with_fn_added`` (per-mixture
    metric values or None) and ``fp``/``fn`` label lists. Returns the shares (dB and % of the gap)."""
    so = [r for r in records if r["oracle"] is not None]
    sf = [r for r in records if r["full"] is not None]
    if not so:
        return None
    n_o, n_f = len(so), len(sf)
    oracle = float(np.mean([r["oracle"] for r in so]))
    full = float(np.mean([r["full"] for r in sf])) if sf else 0.0
    cats = {k: {"db": 0.0, "mixtures": 0, "fn_labels": 0, "fp_labels": 0} for k in ("missed", "extra", "wrong", "correct")}
    by_type = {"extra_labels": 0.0, "missed_labels": 0.0}
    per_class: dict[str, dict] = {c: {"missed_db": 0.0, "extra_db": 0.0, "fn": 0, "fp": 0} for c in CLASSES}

    def category(r):
        return {(False, False): "correct", (True, False): "missed", (False, True): "extra",
                (True, True): "wrong"}[(bool(r["fn"]), bool(r["fp"]))]

    for r in so:
        o = r["oracle"]
        f = r["full"] if r["full"] is not None else 0.0
        a = r["tp_only"] if r["tp_only"] is not None else 0.0
        u = r["with_fn_added"] if r["with_fn_added"] is not None else 0.0
        # both correction orders averaged (FP first: a - f then o - a; FN first: u - f then o - u)
        fp_part = 0.5 * ((a - f) + (o - u)) / n_o
        fn_part = 0.5 * ((o - a) + (u - f)) / n_o
        cat = cats[category(r)]
        cat["db"] += fn_part + fp_part
        cat["mixtures"] += 1
        cat["fn_labels"] += len(r["fn"])
        cat["fp_labels"] += len(r["fp"])
        by_type["missed_labels"] += fn_part
        by_type["extra_labels"] += fp_part
        for c in r["fn"]:
            per_class[c]["missed_db"] += fn_part / len(r["fn"])
            per_class[c]["fn"] += 1
        for c in r["fp"]:
            per_class[c]["extra_db"] += fp_part / len(r["fp"])
            per_class[c]["fp"] += 1
    empty = [r for r in sf if r["oracle"] is None]          # 2026: FP-only scenes without a reference
    if empty:
        term = (1.0 / n_o - 1.0 / n_f) * sum(r["full"] for r in sf if r["oracle"] is not None)
        cats["extra"]["db"] += term
        cats["extra"]["mixtures"] += len(empty)
        by_type["extra_labels"] += term
        for r in empty:
            cats["extra"]["fp_labels"] += len(r["fp"])
            for c in r["fp"]:
                per_class[c]["extra_db"] += term / len(empty) / len(r["fp"])
                per_class[c]["fp"] += 1
    gap = oracle - full
    pct = (lambda v: 100.0 * v / gap if abs(gap) > 1e-12 else None)
    for k, v in cats.items():
        v["share_pct"] = pct(v["db"])
    return {"definition": DECOMPOSITION_DEFINITION, "oracle": oracle, "full_system": full, "gap_db": gap,
            "categories": cats,
            "by_label_type": {k: {"db": v, "share_pct": pct(v)} for k, v in by_type.items()},
            "per_class": {c: v for c, v in per_class.items() if v["fn"] or v["fp"]},
            "check_sum_db": sum(v["db"] for v in cats.values())}
