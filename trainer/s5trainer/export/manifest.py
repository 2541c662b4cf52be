"""Model manifest (``manifest.json``) and ``MODEL_CARD.md`` writers.

Keys follow ``src/shared/manifest.ts`` (``ModelManifestSchema``, snake_case, schema_version 1);
``check_manifest`` mirrors its rules so that Python refuses what the app would refuse, and the
tests additionally validate with the TypeScript schema (``test/tools/validate-manifest.ts``).
"""
from __future__ import annotations

import datetime as _dt
import re

from .. import __version__
from ..errors import S5Error
from ..labels import CLASSES, TASKS

CHANNEL_FORMATS = ("foa-acn-sn3d", "foa-acn-n3d", "foa-fuma", "a-format-tetra", "mono", "other")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class ManifestError(S5Error):
    code = "bad_manifest"


def check_id(mid: str) -> str:
    if not ID_RE.match(str(mid)):
        raise ManifestError(f"model id {mid!r} must match {ID_RE.pattern} (lowercase letters, digits, . _ -)")
    return mid


def architecture_params(model) -> int:
    """Learnable parameters of the architecture (frozen DFT kernels / norm_stats excluded)."""
    from ..models.frontends import ISTFT, STFT
    frozen = set()
    for m in model.modules():
        if isinstance(m, (STFT, ISTFT)):
            frozen.update(id(p) for p in m.parameters())
    for name, p in model.named_parameters():
        if name.endswith("norm_stats"):
            frozen.add(id(p))
    return sum(p.numel() for p in model.parameters() if id(p) not in frozen)


def default_decision(model) -> dict | None:
    if model.kind != "tagger":
        return None
    return {"threshold": 0.5, "min_events": 0 if model.task == "dcase2026t4" else 1,
            "max_events": int(model.slots)}


def build_manifest(model, sha256: str, meta: dict | None = None) -> dict:
    meta = dict(meta or {})
    ins, outs = model.io_spec()
    prov = {"trainer_version": __version__,
            "created": meta.get("created") or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data": str(meta.get("data") or "unspecified")}
    if meta.get("steps") is not None:
        prov["steps"] = int(meta["steps"])
    if meta.get("base_model"):
        prov["base_model"] = str(meta["base_model"])
    man = {
        "schema_version": 1,
        "id": str(meta.get("id") or model.arch),
        "name": str(meta.get("name") or f"{model.arch} ({model.kind}, {model.task})"),
        "kind": model.kind,
        "task": str(meta.get("task") or model.task),
        "architecture": model.arch,
        "labels": list(model.labels),
        "sample_rate": int(model.sample_rate),
        "window_seconds": float(model.window_seconds),
        "channels": int(model.channels),
        "channel_format": str(meta.get("channel_format") or ("foa-acn-sn3d" if model.channels == 4 else "mono")),
        "slots": int(model.slots),
        "inputs": ins,
        "outputs": outs,
        "onnx_file": "model.onnx",
        "sha256": sha256,
        "params": int(meta.get("params") or architecture_params(model)),
        "provenance": prov,
        "metrics": {str(k): float(v) for k, v in (meta.get("metrics") or {}).items() if v is not None},
        "licence": str(meta.get("licence") or "Apache-2.0"),
    }
    decision = meta.get("decision") or default_decision(model)
    if decision is not None:
        man["decision"] = dict(decision)
    level = getattr(model, "input_level_db", None)
    if level is not None:          # level normalisation inside the graph (models/common.py InputLevel)
        man["input_level_dbfs"] = float(level)
    check_manifest(man)
    return man


def check_manifest(m: dict) -> None:
    """Python mirror of ModelManifestSchema; raises ManifestError listing every problem."""
    errs = []
    need = ("schema_version", "id", "name", "kind", "task", "architecture", "labels", "sample_rate",
            "window_seconds", "channels", "channel_format", "slots", "inputs", "outputs", "sha256",
            "params", "provenance", "licence")
    errs += [f"missing {k}" for k in need if k not in m]
    if errs:
        raise ManifestError("; ".join(errs))
    if m["schema_version"] != 1:
        errs.append("schema_version must be 1")
    if not ID_RE.match(str(m["id"])):
        errs.append(f"id {m['id']!r} must match {ID_RE.pattern}")
    if m["kind"] not in ("tagger", "separator"):
        errs.append("kind must be tagger|separator")
    if m["task"] not in TASKS:
        errs.append(f"task must be one of {TASKS}")
    if not m["labels"] or any(x not in CLASSES for x in m["labels"]):
        errs.append("labels must be non-empty and from the 18 classes")
    for k in ("sample_rate", "channels", "slots"):
        if not (isinstance(m[k], int) and m[k] > 0):
            errs.append(f"{k} must be a positive integer")
    if not m["window_seconds"] > 0:
        errs.append("window_seconds must be positive")
    if m["channel_format"] not in CHANNEL_FORMATS:
        errs.append(f"channel_format must be one of {CHANNEL_FORMATS}")
    for k in ("inputs", "outputs"):
        if not m[k]:
            errs.append(f"{k} must not be empty")
        for t in m[k]:
            if not t.get("name") or not all((isinstance(d, int) and d > 0) or (isinstance(d, str) and d)
                                            for d in t.get("shape", [None])):
                errs.append(f"bad tensor spec {t}")
    if not re.fullmatch(r"[0-9a-f]{64}", str(m["sha256"])):
        errs.append("sha256 must be 64 lowercase hex digits")
    if not (isinstance(m["params"], int) and m["params"] >= 0):
        errs.append("params must be a non-negative integer")
    if m["kind"] == "tagger":
        d = m.get("decision")
        if not d:
            errs.append("a tagger needs a decision rule")
        elif not (0 <= d["threshold"] <= 1 and d["min_events"] >= 0 and d["max_events"] >= 1
                  and d["min_events"] <= d["max_events"]):
            errs.append(f"bad decision rule {d}")
    if not m["licence"]:
        errs.append("licence must not be empty")
    if errs:
        raise ManifestError("; ".join(errs))


def model_card(man: dict, parity: dict | None, extra: dict | None = None) -> str:
    extra = extra or {}

    def tens(ts):
        return "\n".join(f"| `{t['name']}` | {t['dtype']} | [{', '.join(map(str, t['shape']))}] |" for t in ts)

    lines = [f"# {man['name']}", "",
             f"- **id**: `{man['id']}`  ",
             f"- **kind**: {man['kind']} · **task**: {man['task']} · **architecture**: `{man['architecture']}`  ",
             f"- **sample rate**: {man['sample_rate']} Hz · **window**: {man['window_seconds']} s · "
             f"**channels**: {man['channels']} ({man['channel_format']}) · **slots**: {man['slots']}  ",
             f"- **parameters**: {man['params']:,}  ",
             f"- **file**: `{man['onnx_file']}` (ONNX opset {extra.get('opset', 17)}), sha256 `{man['sha256']}`  ",
             f"- **licence**: {man['licence']}", "",
             "## Inputs", "", "| name | dtype | shape |", "|---|---|---|", tens(man["inputs"]), "",
             "## Outputs", "", "| name | dtype | shape |", "|---|---|---|", tens(man["outputs"]), ""]
    if man["kind"] == "separator":
        lines += ["Separator: `label_vector` is the concatenation of one 18-d one-hot per slot in the "
                  "class order below (an all-zero block = silence, and that slot returns exact zeros). "
                  "`waveform` holds one mono estimate per slot at the input sample rate.", ""]
    else:
        d = man.get("decision", {})
        if man["outputs"][0]["shape"][-1] == 19:
            lines += ["Tagger (2026 style): per slot a softmax over the 18 classes + silence (index 18); "
                      "the label of a slot is its argmax.", ""]
        else:
            lines += ["Tagger (2025 style): independent sigmoid probabilities for the 18 classes.", ""]
        lines += [f"Decision rule: threshold {d.get('threshold')}, min events {d.get('min_events')}, "
                  f"max events {d.get('max_events')}.", ""]
    if man.get("input_level_dbfs") is not None:
        lines += [f"Input level: each input window is scaled to a W-channel RMS of {man['input_level_dbfs']:g} dBFS "
                  "inside the graph" + (" and the stems are scaled back" if man["kind"] == "separator" else "")
                  + ", so the same scene at any gain gives the same result.", ""]
    lines += ["## Labels (index order)", "", ", ".join(f"{i} {n}" for i, n in enumerate(man["labels"])), "",
              "## Provenance", ""]
    lines += [f"- {k}: {v}" for k, v in man["provenance"].items()]
    lines += ["", "## Metrics", ""]
    lines += [f"- {k}: {v:g}" for k, v in man["metrics"].items()] or ["- none recorded"]
    if parity:
        lines += ["", "## Export parity (ONNX Runtime vs PyTorch)", "",
                  f"Engine: {parity.get('engine', 'onnxruntime-node')}; status: "
                  f"{'passed' if parity.get('ok') else 'FAILED'}.", ""]
        for k, v in parity.get("max", {}).items():
            lines.append(f"- `{k}`: max |Δ| = {v:.3g} (tolerance {parity['tolerance'][k]:g}) over input sets "
                         f"{', '.join(parity.get('sets', {}))}")
    if extra.get("notes"):
        lines += ["", "## Notes", "", extra["notes"]]
    lines += ["", "## Intended use and limits", "",
              "Spatial semantic segmentation of sound scenes (DCASE Task 4 S5): tagging and label-queried "
              "separation of the 18 target classes in 4-channel FOA mixtures. Quality depends on the "
              "training data; outputs for classes or recording conditions outside it are unreliable.", ""]
    return "\n".join(lines)
