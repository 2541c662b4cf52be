"""The JSON report (``s5trainer-eval/1``) and its human-readable table."""
from __future__ import annotations

import datetime as _dt

from .. import __version__
from ..labels import CLASSES

FORMAT = "s5trainer-eval/1"


def build(task: str, eval_set, tagger, separator, results: dict, records: list, *, estimates=None,
          resampling: str, warnings: list, seconds: float, threads: int) -> dict:
    metric = "capi_sdri" if task == "dcase2026t4" else "ca_sdri"
    return {
        "format": FORMAT, "trainer_version": __version__, "task": task, "metric": metric,
        "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "set": eval_set.describe(),
        "models": {"tagger": tagger.describe(), "separator": separator.describe()},
        "resampling": resampling,
        "query": "labels in class-index order, up to `slots` per separator pass, empty slots zero (silence last)",
        "full_system": {**results["full_system"], "estimates": str(estimates) if estimates else None},
        "oracle_labels": results["oracle_labels"],
        "tagger": results["tagger"],
        "decomposition": results["decomposition"],
        "per_mixture": {r["name"]: {k: v for k, v in r.items() if k != "name"} for r in records},
        "timing": {"wall_seconds": round(seconds, 2), "threads": threads,
                   **{f"{k}_seconds": round(v, 2) for k, v in results["seconds"].items()}},
        "warnings": list(warnings),
    }


def _f(v, digits=2, width=7) -> str:
    return f"{v:{width}.{digits}f}" if isinstance(v, (int, float)) else f"{'-':>{width}}"


def table(rep: dict) -> str:
    task, metric = rep["task"], rep["metric"]
    name = "CAPI-SDRi" if metric == "capi_sdri" else "CA-SDRi"
    full, oracle, tag, dec = rep["full_system"], rep["oracle_labels"], rep["tagger"], rep["decomposition"]
    lines = [f"s5trainer eval ({task}) on {rep['set']['path']}: {rep['set']['mixtures']} mixtures, "
             f"tagger {rep['models']['tagger'].get('id') or rep['models']['tagger']['path']}, "
             f"separator {rep['models']['separator'].get('id') or rep['models']['separator']['path']}"]
    if task == "dcase2026t4":
        lines.append(f"  full system     {name} {_f(full[metric])} dB   mixture accuracy {_f(full['mixture_accuracy'], 1)} %"
                     f"   source accuracy {_f(full['source_accuracy'], 1)} %")
    else:
        lines.append(f"  full system     {name} {_f(full[metric])} dB   label accuracy {_f(full['label_accuracy'], 1)} %")
    lines.append(f"  oracle labels   {name} {_f(oracle[metric])} dB")
    lines.append(f"  tagger alone    accuracy {_f(tag['accuracy'], 1)} %   at best per-class thresholds "
                 f"{_f(tag['accuracy_best_thresholds'], 1)} % (optimistic, tuned on this set)   mAP {_f(tag['mAP'], 3)}"
                 f"   mean AUC {_f(tag['mean_auc'], 3)}")
    if dec:
        c, b = dec["categories"], dec["by_label_type"]
        pct = (lambda v: f"{v:5.0f} %" if v is not None else "    - ")
        lines.append(f"  gap {_f(dec['gap_db'])} dB = missed {_f(c['missed']['db'])} ({pct(c['missed']['share_pct'])}, "
                     f"{c['missed']['mixtures']} mix) + extra {_f(c['extra']['db'])} ({pct(c['extra']['share_pct'])}, "
                     f"{c['extra']['mixtures']} mix) + wrong {_f(c['wrong']['db'])} ({pct(c['wrong']['share_pct'])}, "
                     f"{c['wrong']['mixtures']} mix)" + (f" + correct {_f(c['correct']['db'])}" if abs(c['correct']['db']) > 5e-3 else ""))
        lines.append(f"      by label type: FP labels {_f(b['extra_labels']['db'])} dB ({pct(b['extra_labels']['share_pct'])}), "
                     f"FN labels {_f(b['missed_labels']['db'])} dB ({pct(b['missed_labels']['share_pct'])})")
    lines.append("")
    lines.append(f"  {'class':<18} {'SDRi sys':>8} {'SDRi orc':>8} {'TP':>4} {'FP':>4} {'FN':>4} {'F1':>5} "
                 f"{'thr':>5} {'F1@thr':>6} {'best t':>6} {'F1best':>6} {'AP':>5} {'loss FN':>7} {'loss FP':>7}")
    for c in CLASSES:
        fc, oc, tc = full["per_class"].get(c, {}), oracle["per_class"].get(c, {}), tag["per_class"].get(c, {})
        dc = (dec or {}).get("per_class", {}).get(c, {})
        if not (fc or oc or tc.get("support")):
            continue
        lines.append(f"  {c:<18} {_f(fc.get('sdri'), 2, 8)} {_f(oc.get('sdri'), 2, 8)} {fc.get('tp', 0):>4} "
                     f"{fc.get('fp', 0):>4} {fc.get('fn', 0):>4} {_f(tc.get('f1'), 2, 5)} {_f(tc.get('threshold'), 2, 5)} "
                     f"{_f(tc.get('f1_at_threshold'), 2, 6)} {_f(tc.get('best_threshold'), 2, 6)} "
                     f"{_f(tc.get('f1_at_best_threshold'), 2, 6)} {_f(tc.get('ap'), 2, 5)} "
                     f"{_f(dc.get('missed_db'), 2, 7)} {_f(dc.get('extra_db'), 2, 7)}")
    for w in rep.get("warnings", []):
        lines.append(f"  warning: {w}")
    return "\n".join(lines)
