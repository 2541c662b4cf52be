"""``curve``: the learning curve of one or more runs — a validation metric against mixtures seen.

Reads each run folder's ``events.jsonl`` (``validation`` events) and ``config.json`` (batch size,
processes from ``started``), adds ``--base-mixtures`` for runs that continued from a model that had
already seen that many mixtures, and fits ``metric = a + b * log10(mixtures)`` by least squares over
the points (the usual shape of such curves over one or two decades). The fit predicts the metric at
10x and 100x the mixtures of the last point — an extrapolation, reported as such, with the fit's
residual. Extra points (e.g. from model cards) come in as ``--point MIXTURES:VALUE``.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from ..errors import S5Error


def run_points(run_dir: Path, metric: str, base_mixtures: int = 0) -> list[tuple[int, float]]:
    events = run_dir / "events.jsonl"
    if not events.exists():
        raise S5Error(f"{run_dir}: no events.jsonl (not a run folder)")
    batch, world = None, 1
    config = run_dir / "config.json"
    if config.exists():
        batch = int(json.loads(config.read_text())["train"]["batch_size"])
    points = []
    for line in events.read_text().splitlines():
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if ev.get("event") == "started":
            batch = int(ev.get("config", {}).get("train", {}).get("batch_size", batch or 1))
            world = int(ev.get("world_size", world) or 1)
        if ev.get("event") == "validation" and ev.get(metric) is not None:
            points.append((base_mixtures + int(ev["step"]) * int(batch or 1) * world, float(ev[metric])))
    return points


def fit(points: list[tuple[int, float]]) -> dict:
    """Least-squares ``a + b log10(n)``; needs two distinct mixture counts."""
    xs = [math.log10(max(n, 1)) for n, _ in points]
    ys = [v for _, v in points]
    if len(set(xs)) < 2:
        raise S5Error("a curve needs validations at two or more different mixture counts")
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    a = my - b * mx
    resid = math.sqrt(sum((y - (a + b * x)) ** 2 for x, y in zip(xs, ys)) / len(xs))
    last = max(n for n, _ in points)
    return {"a": a, "b_per_decade": b, "rms_residual": resid, "last_mixtures": last,
            "at_last": a + b * math.log10(last),
            "predicted_10x": a + b * math.log10(10 * last), "predicted_100x": a + b * math.log10(100 * last)}


def cmd_curve(args) -> int:
    points = []
    for spec in args.run:
        path, _, base = spec.partition(":")
        points += [(n, v, Path(path).name) for n, v in run_points(Path(path), args.metric, int(base or 0))]
    for spec in args.point:
        n, _, v = spec.partition(":")
        points.append((int(float(n)), float(v), "given"))
    points.sort()
    result = {"metric": args.metric, "points": [{"mixtures": n, "value": v, "source": s} for n, v, s in points],
              "fit": fit([(n, v) for n, v, _ in points])}
    print(json.dumps(result, indent=None if args.json else 1))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("curve", help="learning curve: a validation metric against mixtures seen, with a log fit")
    p.add_argument("run", nargs="*", help="run folder, optionally RUN:BASE_MIXTURES for continued runs")
    p.add_argument("--metric", default="label_accuracy", help="validation field (label_accuracy, ca_sdri, ...)")
    p.add_argument("--point", action="append", default=[], help="extra point MIXTURES:VALUE (e.g. from a model card)")
    p.add_argument("--json", action="store_true", help="one JSON line")
    p.set_defaults(func=cmd_curve)
