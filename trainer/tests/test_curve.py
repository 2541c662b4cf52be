import json
import math

import pytest

from s5trainer.errors import S5Error
from s5trainer.train.curve import fit, run_points


def test_fit_recovers_a_log_linear_curve_and_extrapolates():
    pts = [(n, 10.0 + 5.0 * math.log10(n)) for n in (1_000, 10_000, 100_000)]
    f = fit(pts)
    assert abs(f["b_per_decade"] - 5.0) < 1e-9 and f["rms_residual"] < 1e-9
    assert abs(f["predicted_10x"] - (10.0 + 5.0 * 6)) < 1e-9
    assert abs(f["predicted_100x"] - (10.0 + 5.0 * 7)) < 1e-9


def test_fit_needs_two_mixture_counts():
    with pytest.raises(S5Error):
        fit([(100, 1.0), (100, 2.0)])


def test_run_points_count_mixtures_from_steps_batch_and_base(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"train": {"batch_size": 32}}))
    lines = [{"event": "started", "config": {"train": {"batch_size": 32}}},
             {"event": "progress", "step": 10},
             {"event": "validation", "step": 250, "label_accuracy": 0.4},
             {"event": "validation", "step": 500, "label_accuracy": 0.45, "ca_sdri": None}]
    (tmp_path / "events.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    assert run_points(tmp_path, "label_accuracy", base_mixtures=1000) == [(9000, 0.4), (17000, 0.45)]
    assert run_points(tmp_path, "ca_sdri") == []
