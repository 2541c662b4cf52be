"""One mixture through the three evaluations, and the corpus they add up to.

Per mixture:
1. tagger (per model window) -> the decision rule -> the recording's labels (``decision.tally``);
2. **oracle labels**: separator queried with the reference labels (class-index order, silence last);
3. **full system**: separator queried with the decided labels (reuses 2 when the labels are right
   and the clip is one window: the query, hence the output, is the same);
4. for the decomposition, each error type corrected alone: **TP only** (the decided labels without
   the FP ones) and **with FN added** (the decided labels plus the missed ones; more than ``slots``
   labels take several separator passes, as in the app). Without FP the first equals 3, without
   FN the second equals 3, and without the other error type each equals 2, so the separator runs
   again only for mixtures with both kinds of error (twice).
Probabilities can be given instead of a tagger (``probs=``): the tests build them by hand.
"""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import numpy as np

from ..audio import write_audio
from ..labels import CLASS_INDEX
from .decision import class_probabilities, decode, tally
from .inference import Clip, PairRunner
from .loading import LoadedModel
from .scoring import Corpus, decompose, label_diff, score_mixture, tagger_metrics


def _by_class(labels) -> list[str]:
    return sorted(labels, key=lambda c: CLASS_INDEX[c])


def _limit(labels, allowed: Counter) -> list[str]:
    left, out = Counter(allowed), []
    for lab in labels:
        if left[lab] > 0:
            left[lab] -= 1
            out.append(lab)
    return out


def estimate_name(task: str, mixture: str, index: int, label: str) -> str:
    return f"{mixture}_{index}_{label}.wav" if task == "dcase2026t4" else f"{mixture}_{label}.wav"


class Evaluator:
    def __init__(self, task: str, separator: LoadedModel, tagger: LoadedModel | None = None,
                 rule: dict | None = None, estimates_dir=None):
        self.task = task
        self.runner = PairRunner(tagger, separator)
        self.tagger, self.separator = tagger, separator
        self.rule = rule or (tagger.decision if tagger else None)
        if self.rule is None:
            raise ValueError("a decision rule is needed (a tagger's or rule=)")
        self.estimates_dir = Path(estimates_dir) if estimates_dir else None
        self.full, self.oracle = Corpus(task), Corpus(task)
        self.records: list[dict] = []
        self._probs: list[list[np.ndarray]] = []
        self.seconds = {"tag": 0.0, "separate": 0.0, "resample_and_score": 0.0}

    def _separate(self, clip, queries, keep):
        t0 = time.perf_counter()
        out = self.runner.separate(clip, queries, keep=keep)
        self.seconds["separate"] += time.perf_counter() - t0
        return out

    def mixture(self, name: str, audio: np.ndarray, rate: int, ref_labels, ref_wavs, probs=None) -> dict:
        t_start = time.perf_counter()
        clip = Clip(audio, rate)
        self.runner.check_windows(clip)
        if probs is None:
            t0 = time.perf_counter()
            probs = self.runner.tag(clip)
            self.seconds["tag"] += time.perf_counter() - t0
        else:
            probs = np.asarray(probs, np.float64)
            probs = list(probs[None] if probs.ndim == 1 or (probs.ndim == 2 and probs.shape[-1] == 19) else probs)
        window_picks = [decode(p, self.rule) for p in probs]
        est = tally(window_picks, self.rule["min_events"])
        ref = _by_class(ref_labels)
        refs_sorted = [w for _lab, w in sorted(zip(ref_labels, ref_wavs), key=lambda lw: CLASS_INDEX[lw[0]])]
        mix0 = clip.audio[0]
        sep_windows = self.runner.separator_windows(clip)
        if len(probs) == sep_windows and sep_windows > 1:
            queries = [_by_class(p.label for p in picks) for picks in window_picks]
        else:
            queries = [est] * sep_windows
        single = sep_windows == 1

        def scored(stems):
            return score_mixture(self.task, [s[0] for s in stems], [s[1] for s in stems], ref, refs_sorted, mix0)

        oracle_stems = self._separate(clip, ref, ref)
        oracle = scored(oracle_stems)
        if single and queries[0] == ref:
            full_stems, full = oracle_stems, oracle
        else:
            full_stems = self._separate(clip, queries, est)
            full = scored(full_stems)
        tp, fp, fn = label_diff(self.task, est, ref)
        # the two one-error-type corrections: drop the FP labels / add the FN labels
        if not fp:
            tp_only = full["value"]
        elif not fn and single:
            tp_only = oracle["value"]
        else:
            tp_only = scored(self._separate(clip, [_limit(q, Counter(tp)) for q in queries], tp))["value"]
        if not fn:
            union = full["value"]
        elif not fp and single:
            union = oracle["value"]
        else:
            union = scored(self._separate(clip, [_by_class(q + fn) for q in queries], _by_class(est + fn)))["value"]
        self.full.add(full)
        self.oracle.add(oracle)
        if self.estimates_dir is not None:
            for i, (lab, wave) in enumerate(full_stems):
                write_audio(self.estimates_dir / estimate_name(self.task, name, i, lab), wave, rate)
        rec = {"name": name, "ref_labels": ref, "est_labels": est, "tp": tp, "fp": fp, "fn": fn,
               "category": {(False, False): "correct", (True, False): "missed", (False, True): "extra",
                            (True, True): "wrong"}[(bool(fn), bool(fp))],
               "full": full["value"], "oracle": oracle["value"], "tp_only": tp_only, "with_fn_added": union,
               "full_sdri": full["pairs"], "oracle_sdri": oracle["pairs"],
               "probs": [round(float(v), 4) for v in np.max([class_probabilities(p) for p in probs], 0)]}
        if len(probs) > 1:
            rec["window_labels"] = [[p.label for p in picks] for picks in window_picks]
        self.records.append(rec)
        self._probs.append(probs)
        self.seconds["resample_and_score"] += time.perf_counter() - t_start
        return rec

    def redecide(self, rule: dict) -> list[list[str]]:
        return [tally([decode(p, rule) for p in probs], rule["min_events"]) for probs in self._probs]

    def results(self) -> dict:
        class_probs = np.array([r["probs"] for r in self.records], np.float64).reshape(len(self.records), -1)
        tagger = tagger_metrics(self.task, class_probs, [r["ref_labels"] for r in self.records],
                                [r["est_labels"] for r in self.records], self.rule, self.redecide)
        full = self.full.summary(with_labels=True)
        oracle = self.oracle.summary(with_labels=False)
        sec = dict(self.seconds)
        sec["resample_and_score"] = max(0.0, sec["resample_and_score"] - sec["tag"] - sec["separate"])
        return {"full_system": full, "oracle_labels": oracle, "tagger": tagger,
                "decomposition": decompose(self.task, self.records), "seconds": sec}
