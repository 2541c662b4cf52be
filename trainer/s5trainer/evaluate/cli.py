"""``eval``: score a tagger + separator pair on a labelled set; JSON report + table."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ..errors import S5Error
from ..labels import TASKS

HELP = """\
Scores a tagger + separator pair on a labelled set in the official layout (soundscape/<name>.wav,
oracle_target/<name>_<Label>.wav) and reports:
  full system     tagger with its own decision rule -> separator queried with the decided labels:
                  CA-SDRi, label accuracy, per-class SDRi (matched) and TP/FP/FN/F1 (the numbers
                  `s5 evaluate --per-class` gives for the --estimates folder)
  oracle labels   separator queried with the true labels: CA-SDRi, per-class SDRi
  tagger alone    exact-set accuracy, per-class F1 at the rule's thresholds and at each class's
                  best threshold (and the accuracy with those: optimistic, tuned on this set), AP, AUC
  decomposition   the oracle-vs-system gap split into missed (FN only), extra (FP only) and wrong
                  (FN and FP in one mixture) labels; definition in trainer/docs/models.md
Models: a model folder (manifest.json + model.onnx; the PyTorch weights are recovered from the ONNX
file once, parity-checked, cached in <data>/cache/weights/) or a checkpoint (.pt from train or
export). Audio is resampled to each model's rate and the stems back to the set's rate with
scipy.signal.resample_poly (polyphase; the app uses libsamplerate). --task dcase2026t4 scores
CAPI-SDRi, mixture and source accuracy (multiset labels, <name>_<i>_<Label>.wav estimates).
"""


def _prepare_estimates(path: Path) -> None:
    marker = path / ".s5trainer-eval"
    if path.exists() and any(path.iterdir()) and not marker.exists():
        raise S5Error(f"{path}: --estimates folder exists and was not written by 's5trainer eval'; "
                      "choose an empty or new folder")
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.wav"):
        old.unlink()
    marker.write_text("estimates written by s5trainer eval; *.wav here is replaced on every run\n")


def _resampling_text(rate: int, tagger, separator) -> str:
    if tagger.sample_rate == rate and separator.sample_rate == rate:
        return f"none (set and models at {rate} Hz)"
    return (f"scipy.signal.resample_poly (polyphase, Kaiser window): {rate} Hz -> {tagger.sample_rate} Hz for the "
            f"tagger, {rate} -> {separator.sample_rate} Hz -> {rate} Hz for the separator and its stems "
            "(the app uses libsamplerate SINC_MEDIUM)")


def cmd_eval(args) -> int:
    import torch

    from . import dataset
    from .evaluator import Evaluator
    from .loading import load_model
    from .report import build, table
    from ..audio import write_json

    threads = max(1, int(args.threads))
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    log = (lambda msg: print(msg, file=sys.stderr, flush=True))
    eval_set = dataset.resolve(args.set, args.preset, args.task, args.n)
    load = dict(cache_dir=args.cache_dir, check_parity=not args.skip_parity, threads=threads, log=log)
    tagger = load_model(args.tagger, "tagger", thresholds=args.thresholds, **load)
    separator = load_model(args.separator, "separator", **load)
    if args.estimates:
        _prepare_estimates(Path(args.estimates))
    ev = Evaluator(args.task, separator, tagger, estimates_dir=args.estimates)
    n = len(eval_set.mixtures)
    log(f"eval: {n} mixtures from {eval_set.root} ({eval_set.rate} Hz), tagger {tagger.source.get('id') or args.tagger} "
        f"({tagger.arch}, {tagger.sample_rate} Hz), separator {separator.source.get('id') or args.separator} "
        f"({separator.arch}, {separator.sample_rate} Hz), {threads} thread(s)")
    tty = sys.stderr.isatty()
    t_loop = time.perf_counter()
    for i, mix in enumerate(eval_set.mixtures):
        audio, ref_labels, ref_wavs = dataset.load(mix, eval_set.rate)
        rec = ev.mixture(mix.name, audio, eval_set.rate, ref_labels, ref_wavs)
        done = i + 1
        if tty or done % 10 == 0 or done == n or done == 1:
            el = time.perf_counter() - t_loop
            msg = (f"eval: {done}/{n} {mix.name} ref {','.join(rec['ref_labels'])} est {','.join(rec['est_labels'])} "
                   f"({el:.0f} s, ~{el / done * (n - done):.0f} s left)")
            print(("\r" + msg[:150].ljust(150)) if tty else msg, end="" if tty and done < n else "\n",
                  file=sys.stderr, flush=True)
    results = ev.results()
    rep = build(args.task, eval_set, tagger, separator, results, ev.records, estimates=args.estimates,
                resampling=_resampling_text(eval_set.rate, tagger, separator), warnings=eval_set.warnings,
                seconds=time.perf_counter() - t0, threads=threads)
    if args.out:
        write_json(args.out, rep)
        log(f"eval: report written to {args.out}")
    if args.json:
        print(json.dumps(rep))
        print(table(rep), file=sys.stderr)
    else:
        print(table(rep))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from ..synth.presets import PRESETS

    p = sub.add_parser("eval", help="score a tagger + separator pair on a labelled set (full system, oracle "
                                    "labels, tagger alone, loss decomposition)",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tagger", required=True, help="tagger: model folder (models/<id>/) or checkpoint .pt")
    p.add_argument("--separator", required=True, help="separator: model folder or checkpoint .pt")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--set", help="labelled set folder (soundscape/, oracle_target/)")
    src.add_argument("--preset", choices=tuple(PRESETS),
                     help="the synth preset's set, $S5_DATA_DIR/synth/<preset>-<2025|2026> (made by synth --preset)")
    p.add_argument("--task", choices=TASKS, default="dcase2025t4",
                   help="metric: dcase2025t4 CA-SDRi (default) or dcase2026t4 CAPI-SDRi")
    p.add_argument("--thresholds", help="decision rule JSON for the tagger: a manifest, a rule {threshold, "
                                        "thresholds, min_events, max_events} or {Label: threshold} (default: "
                                        "the manifest's; checkpoints: meta.decision, else 0.5)")
    p.add_argument("--out", help="write the JSON report here")
    p.add_argument("--estimates", help="write the full-system stems <name>_<Label>.wav at the set's rate here "
                                       "(the layout `s5 evaluate --estimates` reads)")
    p.add_argument("--n", type=int, help="only the first N mixtures (sorted names)")
    p.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    p.add_argument("--json", action="store_true", help="print the JSON report on stdout (the table goes to stderr)")
    p.add_argument("--cache-dir", help="cache folder for recovered weights (default <data>/cache)")
    p.add_argument("--skip-parity", action="store_true",
                   help="recover ONNX weights without the ONNX Runtime parity check (not recommended)")
    p.set_defaults(func=cmd_eval)
