"""The tagger's decision rule, as the app applies it (``src/engine/pipeline/decision.ts``).

A rule is ``{"threshold": t, "thresholds": {Label: t_c, ...}, "min_events": m, "max_events": M}``;
each class is held to ``thresholds[label]`` when present, else ``threshold``.

* multilabel ``[18]`` (2025 sigmoid): classes with p >= their threshold, the ``max_events`` most
  probable of them; fewer than ``min_events`` -> the most probable others are added ("forced");
  listed in class-index order.
* slots ``[S, 19]`` (2026 softmax, silence last): argmax per slot; silence or a probability below
  the class threshold leaves the slot empty; more than ``max_events`` filled -> the most confident;
  fewer than ``min_events`` -> the best class of the most confident empty slots is forced.

A clip longer than one model window is decided window by window and tallied: a label is kept (with
the largest multiplicity any window selected) when some window selected it with p >= threshold;
forced picks count only when nothing passed anywhere, and then only as many as ``min_events``
needs, most confident first. For one window this is the rule above unchanged.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import S5Error
from ..labels import CLASS_INDEX, CLASSES, check_class


class DecisionError(S5Error):
    code = "bad_decision_rule"


@dataclass(frozen=True)
class Pick:
    label: str
    confidence: float
    passed: bool


def default_rule(task: str, slots: int = 3) -> dict:
    """What ``export`` writes for a tagger without one (``export/manifest.default_decision``)."""
    return {"threshold": 0.5, "min_events": 0 if task == "dcase2026t4" else 1, "max_events": int(slots)}


def normalise_rule(rule: dict, where: str) -> dict:
    """Checked copy of ``rule`` (threshold in [0, 1], known class names, 0 <= min <= max)."""
    try:
        out = {"threshold": float(rule["threshold"]), "min_events": int(rule["min_events"]),
               "max_events": int(rule["max_events"])}
    except (KeyError, TypeError, ValueError) as exc:
        raise DecisionError(f"{where}: a decision rule needs threshold, min_events, max_events ({exc})") from exc
    thresholds = {}
    for label, t in (rule.get("thresholds") or {}).items():
        check_class(label, where)
        thresholds[label] = float(t)
    if thresholds:
        out["thresholds"] = dict(sorted(thresholds.items(), key=lambda kv: CLASS_INDEX[kv[0]]))
    bad = [t for t in [out["threshold"], *thresholds.values()] if not 0.0 <= t <= 1.0]
    if bad or not 0 <= out["min_events"] <= out["max_events"] or out["max_events"] < 1:
        raise DecisionError(f"{where}: bad decision rule {out} (thresholds in [0, 1], 0 <= min_events <= max_events, "
                            "max_events >= 1)")
    return out


def read_rule_file(path, base: dict) -> dict:
    """``--thresholds FILE.json``: a manifest (its ``decision``), a decision rule (missing keys from
    ``base``) or a flat ``{Label: threshold}`` map (replaces ``base``'s per-class thresholds)."""
    path = Path(path)
    try:
        obj = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DecisionError(f"{path}: cannot read the thresholds file ({exc})") from exc
    if not isinstance(obj, dict):
        raise DecisionError(f"{path}: expected a JSON object (a manifest, a decision rule or {{Label: threshold}})")
    if isinstance(obj.get("decision"), dict):
        obj = obj["decision"]
    if any(k in obj for k in ("threshold", "thresholds", "min_events", "max_events")):
        rule = {**base, **obj}
        if "thresholds" not in obj:
            rule.pop("thresholds", None)
    else:
        rule = {**base, "thresholds": obj}
    return normalise_rule(rule, str(path))


def class_threshold(rule: dict, label: str) -> float:
    return float((rule.get("thresholds") or {}).get(label, rule["threshold"]))


def decode_multilabel(probs, rule: dict) -> list[Pick]:
    p = np.asarray(probs, np.float64).reshape(-1)
    n = len(CLASSES)
    order = sorted(range(n), key=lambda c: (-p[c], c))
    thr = [class_threshold(rule, CLASSES[c]) for c in range(n)]
    chosen = [c for c in order if p[c] >= thr[c]][:rule["max_events"]]
    for c in order:
        if len(chosen) >= rule["min_events"]:
            break
        if c not in chosen:
            chosen.append(c)
    return [Pick(CLASSES[c], float(p[c]), bool(p[c] >= thr[c])) for c in sorted(chosen)]


def decode_slots(probs, rule: dict) -> list[Pick]:
    p = np.asarray(probs, np.float64)
    n = len(CLASSES)
    filled, empty = [], []
    for s, row in enumerate(p):
        arg = int(np.argmax(row))                       # first maximum, as the app's strict '>' scan
        best = int(np.argmax(row[:n]))
        if arg < n and row[arg] >= class_threshold(rule, CLASSES[arg]):
            filled.append((s, Pick(CLASSES[arg], float(row[arg]), True)))
        else:
            empty.append((s, best, float(row[best])))
    if len(filled) > rule["max_events"]:
        filled = sorted(sorted(filled, key=lambda f: (-f[1].confidence, f[0]))[:rule["max_events"]], key=lambda f: f[0])
    picks = [f[1] for f in filled]
    for _s, best, pb in sorted(empty, key=lambda e: (-e[2], e[0])):
        if len(picks) >= rule["min_events"]:
            break
        picks.append(Pick(CLASSES[best], pb, False))
    return picks


def decode(probs, rule: dict) -> list[Pick]:
    """One window's picks; ``probs`` is ``[18]`` (multilabel) or ``[S, 19]`` (slots)."""
    return decode_slots(probs, rule) if np.ndim(probs) == 2 else decode_multilabel(probs, rule)


def class_probabilities(probs) -> np.ndarray:
    """``[18]`` per-class score of one window (slots: the highest slot probability of the class)."""
    p = np.asarray(probs, np.float64)
    return p[:, :len(CLASSES)].max(0) if p.ndim == 2 else p.reshape(-1)


def tally(window_picks: list[list[Pick]], min_events: int) -> list[str]:
    """Recording-level labels (with multiplicity) in class-index order (``LabelTally``)."""
    order: list[str] = []
    passed_count: dict[str, int] = {}
    forced_conf: dict[str, float] = {}
    for picks in window_picks:
        counts: dict[str, int] = {}
        for p in picks:
            if p.label not in order:
                order.append(p.label)
            if p.passed:
                counts[p.label] = counts.get(p.label, 0) + 1
            else:
                forced_conf[p.label] = max(forced_conf.get(p.label, 0.0), p.confidence)
        for label, n in counts.items():
            passed_count[label] = max(passed_count.get(label, 0), n)
    out = [(lab, passed_count[lab]) for lab in order if lab in passed_count]
    total = sum(n for _l, n in out)
    if total < min_events:
        forced = sorted(((lab, c) for lab, c in forced_conf.items() if lab not in passed_count), key=lambda kv: -kv[1])
        out += [(lab, 1) for lab, _c in forced[:min_events - total]]
    out.sort(key=lambda kv: CLASS_INDEX[kv[0]])
    return [lab for lab, n in out for _ in range(n)]
