"""``eval-tune``: per-class decision thresholds chosen on an ``eval`` report, for CA-SDRi or accuracy.

An ``eval`` report keeps, per mixture, the tagger's probabilities, the true labels and the SDRi of
every true class with the separator queried by the true labels (``oracle_sdri``). For one
10-s-window clip that is enough to score any decision rule without running a model again: a true
positive scores its oracle SDRi (the separator's slots interact a little, so this is an estimate;
``eval`` with the new rule gives the exact figure), a missed or extra label scores 0, and the
mixture's value is the mean over the union (spec §2). Coordinate ascent over one class's threshold
at a time (grid 0.02..0.98), from the given rule, until no class improves the objective by more
than ``tol``. ``objective``: ``ca_sdri`` (ties broken by accuracy), ``accuracy`` (exact set), or
``mixed`` (CA-SDRi in dB + accuracy in % / 10). Tune on ``val``, report on ``test``.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ..errors import S5Error
from ..labels import CLASSES
from .decision import decode_multilabel

GRID = np.round(np.arange(0.02, 0.99, 0.02), 2)


def _mixtures(report: dict) -> list[dict]:
    per = report.get("per_mixture") or {}
    out = []
    for name, m in per.items():
        if "probs" not in m or "oracle_sdri" not in m:
            raise S5Error(f"report mixture {name} has no probs/oracle_sdri (a report from `s5trainer eval`, 2025 task)")
        if np.ndim(m["probs"]) != 1:
            raise S5Error("eval-tune handles 18-class sigmoid taggers (one window per clip)")
        out.append({"probs": np.asarray(m["probs"], np.float64), "ref": set(m["ref_labels"]),
                    "sdri": {k: float(np.mean(v)) for k, v in m["oracle_sdri"].items()}})
    if not out:
        raise S5Error("the report has no per-mixture results")
    return out


def score(mixtures: list[dict], rule: dict) -> dict:
    """Estimated CA-SDRi (dB) and exact-set accuracy (%) of ``rule`` on the report's mixtures."""
    vals, exact = [], 0
    for m in mixtures:
        est = {p.label for p in decode_multilabel(m["probs"], rule)}
        union = est | m["ref"]
        vals.append(sum(m["sdri"].get(c, 0.0) for c in est & m["ref"]) / max(len(union), 1))
        exact += est == m["ref"]
    return {"ca_sdri": float(np.mean(vals)), "accuracy": 100.0 * exact / len(mixtures)}


def _objective(s: dict, kind: str) -> float:
    if kind == "ca_sdri":
        return s["ca_sdri"] + 1e-4 * s["accuracy"]
    if kind == "accuracy":
        return s["accuracy"] + 1e-3 * s["ca_sdri"]
    return s["ca_sdri"] + s["accuracy"] / 10.0


def tune(mixtures: list[dict], rule: dict, objective: str = "ca_sdri", tol: float = 1e-6, rounds: int = 6) -> dict:
    rule = {**rule, "thresholds": dict(rule.get("thresholds") or {})}
    best = _objective(score(mixtures, rule), objective)
    for _ in range(rounds):
        improved = False
        for label in CLASSES:
            current = rule["thresholds"].get(label, rule["threshold"])
            for t in GRID:
                trial = {**rule, "thresholds": {**rule["thresholds"], label: float(t)}}
                v = _objective(score(mixtures, trial), objective)
                if v > best + tol:
                    best, current, improved = v, float(t), True
            rule["thresholds"][label] = current
        if not improved:
            break
    rule["thresholds"] = {k: v for k, v in sorted(rule["thresholds"].items()) if abs(v - rule["threshold"]) > 1e-9}
    return rule


def cmd_tune(args) -> int:
    report = json.loads(Path(args.report).read_text())
    mixtures = _mixtures(report)
    start = report.get("models", {}).get("tagger", {}).get("decision") or {"threshold": 0.5, "min_events": 1, "max_events": 3}
    if args.start:
        start = json.loads(Path(args.start).read_text())
        start = start.get("decision", start)
    start = {k: start[k] for k in ("threshold", "thresholds", "min_events", "max_events") if k in start}
    before = score(mixtures, start)
    rule = tune(mixtures, start, args.objective)
    after = score(mixtures, rule)
    out = {"rule": rule, "objective": args.objective, "report": str(args.report), "mixtures": len(mixtures),
           "before": before, "after": after,
           "note": "estimated from the report's oracle-label SDRi per class; confirm with `s5trainer eval --thresholds`"}
    text = json.dumps(out, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval-tune", help="choose per-class decision thresholds on an eval report (CA-SDRi or accuracy)")
    p.add_argument("--report", required=True, help="report.json from `s5trainer eval` (tune on the val preset)")
    p.add_argument("--objective", choices=("ca_sdri", "accuracy", "mixed"), default="ca_sdri")
    p.add_argument("--start", help="rule or manifest to start from (default: the rule in the report)")
    p.add_argument("--out", help="write {rule, before, after} here (the rule is usable as eval --thresholds)")
    p.set_defaults(func=cmd_tune)
