"""Validation metrics against the worked examples of spec s5-task.md §2.4 and s5-2026.md §1.7."""
import numpy as np
import pytest

from s5trainer.train.metrics import (LabelStats, decide_sigmoid, decide_slots, mixture_score,
                                     mixture_terms)

A = np.array([1, -1, 2, 0, 0, 1, -2, 1], np.float32)       # Speech
B = np.array([0, 1, 0, -1, 1, 0, 0, 1], np.float32)        # Dishes
T = np.array([0, 0, 1, 1, -1, -1, 0, 0], np.float32)       # Typing
N = np.array([.1, -.1, 0, .2, -.2, .1, 0, -.1], np.float32)
S = "silence"


def test_ca_sdri_2025_examples():
    mix1 = A + B + N
    ex1 = mixture_score(mixture_terms("2025", ["Dishes", "Speech"], [0.9 * B, A + np.eye(8)[0] * 0.2],
                                      ["Speech", "Dishes"], [A, B], mix1))
    mix2 = B + T + N
    ex2 = mixture_score(mixture_terms("2025", ["Dishes", "Speech", S], [B + 0.25 * T, A, 0 * A],
                                      ["Dishes", "Typing", S], [B, T, 0 * A], mix2))
    ex3 = mixture_score(mixture_terms("2025", ["Speech", S, S], [A + 0.3 * B, 0 * A, 0 * A],
                                      ["Dishes", "Speech", S], [B, A, 0 * A], mix1))
    assert (ex1, ex2, ex3) == pytest.approx((21.7943, 4.2533, 4.5454), abs=1e-3)
    assert np.mean([ex1, ex2, ex3]) == pytest.approx(10.1977, abs=1e-3)
    stats = LabelStats("2025")
    stats.add(["Dishes", "Speech"], ["Speech", "Dishes"])
    stats.add(["Dishes", "Speech", S], ["Dishes", "Typing", S])
    stats.add(["Speech", S, S], ["Dishes", "Speech", S])
    assert stats.accuracy == pytest.approx(100 / 3)
    pc = stats.per_class()
    assert pc["Speech"]["precision"] == pytest.approx(2 / 3) and pc["Speech"]["recall"] == 1.0
    assert pc["Typing"]["f1"] == 0.0 and pc["Typing"]["support"] == 1


def test_capi_sdri_2026_examples():
    ex1 = mixture_terms("2026", ["Typing", "Speech", "Speech"], [T + 0.1 * A, B + 0.2 * A, A + 0.1 * B],
                        ["Speech", "Speech", "Typing"], [A, B, T], A + B + T + N)
    assert sorted(v for _c, v, _m in ex1) == pytest.approx(sorted([19.4448, 16.0025, 21.0608]), abs=1e-3)
    assert mixture_score(ex1) == pytest.approx(18.8360, abs=1e-3)
    ex2 = mixture_score(mixture_terms("2026", ["Speech", "Dishes", S], [1.2 * A + 0.1 * B, 0.5 * T, 0 * A],
                                      ["Speech", "Speech"], [2 * A, 0.2 * B], 2 * A + 0.2 * B + N))
    assert ex2 == pytest.approx(-7.6185, abs=1e-3)
    assert mixture_score(mixture_terms("2026", [S], [0 * A], [S], [0 * A], T + N)) is None
    assert mixture_score(mixture_terms("2026", ["Speech"], [0.3 * T], [S], [0 * A], T + N)) == 0.0
    stats = LabelStats("2026")
    for est, ref in ((["Typing", "Speech", "Speech"], ["Speech", "Speech", "Typing"]),
                     (["Speech", "Dishes"], ["Speech", "Speech"]), ([], []), (["Speech"], [])):
        stats.add(est, ref)
    assert stats.accuracy == 50.0


def test_label_decisions():
    p = np.zeros(18)
    p[[15, 7, 3, 16]] = [0.90, 0.70, 0.55, 0.52]
    assert decide_sigmoid(p) == ["Buzzer", "Dishes", "Speech"]
    q = np.full(18, 0.1)
    q[14] = 0.3
    assert decide_sigmoid(q) == ["Pour"]
    assert decide_sigmoid(q, min_events=0) == []
    slots = np.zeros((3, 19))
    slots[0, 15] = slots[1, 18] = slots[2, 15] = 1.0
    assert decide_slots(slots) == ["Speech", "Speech"]
