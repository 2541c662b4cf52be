import json

import numpy as np

from s5trainer.evaluate.tune import _mixtures, score, tune
from s5trainer.labels import CLASSES


def _report(rows):
    per = {}
    for i, (probs, ref, sdri) in enumerate(rows):
        p = np.full(18, 0.01)
        for lab, v in probs.items():
            p[CLASSES.index(lab)] = v
        per[f"m{i}"] = {"probs": p.tolist(), "ref_labels": ref, "oracle_sdri": {k: [v] for k, v in sdri.items()}}
    return {"per_mixture": per}


RULE = {"threshold": 0.5, "min_events": 1, "max_events": 3}


def test_score_is_the_mean_over_the_union_of_true_and_decided_labels():
    mix = _mixtures(_report([
        ({"Speech": 0.9, "Dishes": 0.3}, ["Speech", "Dishes"], {"Speech": 10.0, "Dishes": 6.0}),   # Dishes missed
        ({"Speech": 0.9, "Pour": 0.8}, ["Speech"], {"Speech": 8.0}),                               # Pour extra
        ({"Cough": 0.7}, ["Cough"], {"Cough": 4.0}),                                               # exact
    ]))
    s = score(mix, RULE)
    assert abs(s["ca_sdri"] - (10.0 / 2 + 8.0 / 2 + 4.0) / 3) < 1e-9
    assert abs(s["accuracy"] - 100.0 / 3) < 1e-9


def test_tuning_lowers_a_threshold_that_misses_and_raises_one_that_adds():
    rows = []
    for _ in range(5):
        rows.append(({"Speech": 0.9, "Dishes": 0.3}, ["Speech", "Dishes"], {"Speech": 10.0, "Dishes": 6.0}))
        rows.append(({"Speech": 0.9, "Pour": 0.8}, ["Speech"], {"Speech": 8.0}))
    mix = _mixtures(_report(rows))
    tuned = tune(mix, RULE)
    assert tuned["thresholds"]["Dishes"] <= 0.3 and tuned["thresholds"]["Pour"] > 0.8
    assert score(mix, tuned)["accuracy"] == 100.0
    assert score(mix, tuned)["ca_sdri"] > score(mix, RULE)["ca_sdri"]
    json.dumps(tuned)
