"""``s5trainer eval``: the shipped pair on a few example soundscapes; its numbers against
``s5 evaluate`` on the estimates it writes; the oracle/system gap and its decomposition with
hand-built tagger probabilities; the decision rule; the decomposition's arithmetic."""
import json
import math
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import REPO, TRAINER
from s5trainer.evaluate import dataset
from s5trainer.evaluate.decision import Pick, decode, normalise_rule, read_rule_file, tally
from s5trainer.evaluate.evaluator import Evaluator
from s5trainer.evaluate.loading import ModelLoadError, load_model
from s5trainer.evaluate.scoring import average_precision, decompose, roc_auc
from s5trainer.export import node_engine_missing
from s5trainer.labels import CLASS_INDEX, CLASSES

torch.set_num_threads(2)
NODE_MISSING = node_engine_missing()
needs_node = pytest.mark.skipif(NODE_MISSING is not None, reason=f"ONNX Runtime (node) unavailable: {NODE_MISSING}")
S5_CLI = REPO / "bin" / "s5.cjs"
TSX = REPO / "node_modules" / ".bin" / "tsx"
needs_cli = pytest.mark.skipif(not (TSX.exists() and S5_CLI.exists() and shutil.which("node")),
                               reason="TypeScript CLI not available (needs node_modules/.bin/tsx and bin/s5.cjs)")
TAGGER = REPO / "models" / "s5-tag-small-v2"
SEPARATOR = REPO / "models" / "s5-sep-small-16k-v2"
EXAMPLES = REPO / "resources" / "examples" / "evaluate-2025"
# 0000: Dishes+Speech, 0001: Cough+Doorbell+Typing, 0004: FootSteps+Speech, 0005: Clapping+MusicalKeyboard
FIXTURE = ("dev2025_0000", "dev2025_0001", "dev2025_0004", "dev2025_0005")


@pytest.fixture(scope="module")
def fixture_set(tmp_path_factory):
    root = tmp_path_factory.mktemp("evalset")
    for sub in ("soundscape", "oracle_target"):
        (root / sub).mkdir()
        for f in sorted((EXAMPLES / sub).glob("*.wav")):
            if f.name.startswith(FIXTURE):
                shutil.copy(f, root / sub / f.name)
    return root


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def separator(cache):
    if NODE_MISSING:
        pytest.skip(f"ONNX Runtime (node) unavailable: {NODE_MISSING}")
    return load_model(SEPARATOR, "separator", cache_dir=cache, threads=2)


def _run_eval(args, cache, **kw):
    env = {"PYTHONPATH": str(TRAINER), "PATH": "/usr/bin:/bin", "S5_DATA_DIR": str(cache.parent / "data")}
    return subprocess.run([sys.executable, "-m", "s5trainer", "eval", "--cache-dir", str(cache), *map(str, args)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=1800, **kw)


def _s5_evaluate(task, root, estimates):
    cmd = ["node", str(S5_CLI), "evaluate", "--task", task, "--soundscapes", str(root / "soundscape"),
           "--oracle", str(root / "oracle_target"), "--estimates", str(estimates), "--json", "--per-class"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout[proc.stdout.index("{"):])


def _close(a, b, tol=1e-3):
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= tol)


# -- 1. the command's numbers are s5 evaluate's -----------------------------------------------------

@needs_node
@needs_cli
def test_eval_matches_s5_evaluate_on_its_estimates(fixture_set, separator, cache, tmp_path):
    est, out = tmp_path / "est", tmp_path / "report.json"
    proc = _run_eval(["--tagger", TAGGER, "--separator", SEPARATOR, "--set", fixture_set, "--estimates", est,
                      "--out", out, "--threads", 2], cache)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "CA-SDRi" in proc.stdout and "eval: 4/4" in proc.stderr
    rep = json.loads(out.read_text())
    assert rep["format"] == "s5trainer-eval/1" and rep["set"]["mixtures"] == 4
    assert rep["models"]["tagger"]["decision"]["thresholds"]["Speech"] == json.loads((TAGGER / "manifest.json").read_text())["decision"]["thresholds"]["Speech"]     # the manifest's rule
    assert rep["models"]["separator"]["weights_cached"] is True                  # recovered by the fixture
    ref = _s5_evaluate("dcase2025t4", fixture_set, est)
    full = rep["full_system"]
    assert _close(full["ca_sdri"], ref["ca_sdri"]) and _close(full["label_accuracy"], ref["label_accuracy"])
    assert set(full["per_class"]) == set(ref["per_class"])
    for c, r in ref["per_class"].items():
        mine = full["per_class"][c]
        assert _close(mine["sdri"], r["sdri"]), c
        assert (mine["tp"], mine["fp"], mine["fn"]) == (r["tp"], r["fp"], r["fn"]), c
        assert _close(mine["f1"], r["f1"], 1e-9), c
    for name, r in ref["per_mixture"].items():
        mine = rep["per_mixture"][name]
        assert _close(mine["full"], r["ca_sdri"]), name
        assert sorted(mine["est_labels"]) == r["est_labels"] and sorted(mine["ref_labels"]) == r["ref_labels"]
    # this tagger errs on these short clips: the true labels do better, and the shares add up
    assert full["label_accuracy"] < 100
    dec = rep["decomposition"]
    assert rep["oracle_labels"]["ca_sdri"] > full["ca_sdri"]
    assert math.isclose(dec["gap_db"], rep["oracle_labels"]["ca_sdri"] - full["ca_sdri"], abs_tol=1e-9)
    assert math.isclose(sum(v["db"] for v in dec["categories"].values()), dec["gap_db"], abs_tol=1e-9)
    assert math.isclose(sum(v["db"] for v in dec["by_label_type"].values()), dec["gap_db"], abs_tol=1e-9)
    assert abs(dec["categories"]["correct"]["db"]) < 1e-12
    tag = rep["tagger"]
    assert tag["accuracy"] == full["label_accuracy"] and tag["accuracy_best_thresholds"] >= tag["accuracy"]
    # a second run into the same folder replaces the estimates; a foreign folder is refused
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "x.wav").write_bytes(b"")
    bad = _run_eval(["--tagger", TAGGER, "--separator", SEPARATOR, "--set", fixture_set, "--estimates", foreign], cache)
    assert bad.returncode == 2 and str(foreign) in bad.stderr


@needs_node
@needs_cli
def test_eval_2026_checkpoint_tagger_matches_s5_evaluate(fixture_set, separator, cache, tmp_path):
    """2026 mode with a (random-initialised) slot tagger checkpoint and a thresholds file."""
    from s5trainer.models import build_model, save_checkpoint

    torch.manual_seed(3)
    ckpt = save_checkpoint(build_model("tag-small-2026").eval(), tmp_path / "tag2026.pt", {"id": "t26"})
    thr = tmp_path / "thr.json"
    thr.write_text(json.dumps({"threshold": 0.0, "min_events": 1, "max_events": 3}))
    est, out = tmp_path / "est", tmp_path / "r.json"
    proc = _run_eval(["--tagger", ckpt, "--separator", SEPARATOR, "--set", fixture_set, "--estimates", est,
                      "--task", "dcase2026t4", "--thresholds", thr, "--n", 2, "--json"], cache)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rep = json.loads(proc.stdout)
    assert rep["models"]["tagger"]["decision"]["min_events"] == 1 and str(thr) in rep["models"]["tagger"]["decision_source"]
    root = tmp_path / "two"                     # s5 evaluate scores every soundscape of the folder
    for sub in ("soundscape", "oracle_target"):
        (root / sub).mkdir(parents=True)
        for f in (fixture_set / sub).glob("*.wav"):
            if f.name.startswith(FIXTURE[:2]):
                shutil.copy(f, root / sub / f.name)
    ref = _s5_evaluate("dcase2026t4", root, est)
    full = rep["full_system"]
    assert _close(full["capi_sdri"], ref["capi_sdri"])
    assert _close(full["mixture_accuracy"], ref["mixture_accuracy"]) and _close(full["source_accuracy"], ref["source_accuracy"])
    for name, r in ref["per_mixture"].items():
        assert _close(rep["per_mixture"][name]["full"], r["capi_sdri"]), name
        assert sorted(rep["per_mixture"][name]["est_labels"]) == r["est_labels"]


# -- 2. and 3. oracle vs system with constructed probabilities ------------------------------------

def _probs(labels, hi=0.99, lo=0.01):
    p = np.full(len(CLASSES), lo)
    for c in labels:
        p[CLASS_INDEX[c]] = hi
    return p


def _evaluate(separator, items, probs_for, rule):
    ev = Evaluator("dcase2025t4", separator, rule=rule)
    for name, audio, rate, labels, waves in items:
        ev.mixture(name, audio, rate, labels, waves, probs=probs_for(name, labels))
    return ev.results(), ev.records


@pytest.fixture(scope="module")
def items(fixture_set):
    s = dataset.scan(fixture_set, "dcase2025t4")
    out = []
    for m in s.mixtures:
        audio, labels, waves = dataset.load(m, s.rate)
        out.append((m.name, audio, s.rate, labels, waves))
    return out


@pytest.fixture(scope="module")
def shipped_rule():
    return normalise_rule(json.loads((TAGGER / "manifest.json").read_text())["decision"], "manifest")


@needs_node
def test_perfect_labels_give_the_oracle_and_errors_cost(separator, items, shipped_rule):
    perfect, recs = _evaluate(separator, items, lambda n, labels: _probs(labels), shipped_rule)
    assert perfect["full_system"]["label_accuracy"] == 100.0
    assert perfect["full_system"]["ca_sdri"] == perfect["oracle_labels"]["ca_sdri"]
    assert all(r["full"] == r["oracle"] for r in recs)
    dec = perfect["decomposition"]
    assert dec["gap_db"] == 0 and all(v["db"] == 0 and v["mixtures"] == (4 if k == "correct" else 0)
                                      for k, v in dec["categories"].items())
    sdri = {r["name"]: r["oracle_sdri"] for r in recs}
    best = {n: max(s, key=lambda c: s[c][0]) for n, s in sdri.items()}     # each mixture's best-separated class
    assert all(sdri[n][best[n]][0] > 0 for n in best)

    # 0000 misses its best class; 0001 stays right; 0004 has its best class replaced by Buzzer
    # (wrong); 0005 gets an extra Blender
    def erring(name, labels):
        labels = list(labels)
        if name == "dev2025_0000":
            labels.remove(best[name])
        elif name == "dev2025_0005":
            labels.append("Blender")
        elif name == "dev2025_0004":
            labels = [c for c in labels if c != best[name]] + ["Buzzer"]
        return _probs(labels)

    res, recs = _evaluate(separator, items, erring, shipped_rule)
    by = {r["name"]: r for r in recs}
    assert [by[n]["category"] for n in FIXTURE] == ["missed", "correct", "wrong", "extra"]
    assert res["full_system"]["label_accuracy"] == 25.0
    assert res["oracle_labels"]["ca_sdri"] == perfect["oracle_labels"]["ca_sdri"]    # oracle: no tagger
    assert res["oracle_labels"]["ca_sdri"] > res["full_system"]["ca_sdri"]
    dec = res["decomposition"]
    n = len(items)
    for cat, name in (("missed", "dev2025_0000"), ("extra", "dev2025_0005"), ("wrong", "dev2025_0004")):
        r = by[name]
        assert math.isclose(dec["categories"][cat]["db"], (r["oracle"] - r["full"]) / n, abs_tol=1e-12)
        assert dec["categories"][cat]["db"] > 0, cat
    assert dec["categories"]["correct"]["db"] == 0
    # 3. the shares add up to the gap, by category and by label type
    assert math.isclose(sum(v["db"] for v in dec["categories"].values()), dec["gap_db"], abs_tol=1e-12)
    assert math.isclose(sum(v["db"] for v in dec["by_label_type"].values()), dec["gap_db"], abs_tol=1e-12)
    assert math.isclose(sum(v["share_pct"] for v in dec["categories"].values()), 100.0, abs_tol=1e-9)
    pc = dec["per_class"]
    assert math.isclose(sum(v["missed_db"] + v["extra_db"] for v in pc.values()), dec["gap_db"], abs_tol=1e-12)
    assert pc[best["dev2025_0000"]]["fn"] >= 1 and pc["Blender"]["fp"] == 1 and pc["Buzzer"]["fp"] == 1
    # missed-only mixtures cost only through FN labels, extra-only ones only through FP labels
    r0, r1 = by["dev2025_0000"], by["dev2025_0005"]
    assert r0["tp_only"] == r0["full"] and r0["with_fn_added"] == r0["oracle"]
    assert r1["tp_only"] == r1["oracle"] and r1["with_fn_added"] == r1["full"]
    # the tagger-alone view of these probabilities
    tag = res["tagger"]
    assert tag["accuracy"] == 25.0 and tag["per_class"]["Blender"]["fp"] == 1


# -- decision rule and arithmetic (no models) -------------------------------------------------------

def test_decision_rule_matches_the_app():
    rule = normalise_rule({"threshold": 0.5, "thresholds": {"Speech": 0.7, "Buzzer": 0.05},
                           "min_events": 1, "max_events": 3}, "t")
    p = np.zeros(18)
    p[CLASS_INDEX["Speech"]] = 0.65          # below its own 0.7
    p[CLASS_INDEX["Buzzer"]] = 0.06          # above its own 0.05
    assert [x.label for x in decode(p, rule)] == ["Buzzer"]
    p[CLASS_INDEX["Buzzer"]] = 0.0
    picks = decode(p, rule)                  # nothing passes: the argmax is forced
    assert [(x.label, x.passed) for x in picks] == [("Speech", False)]
    p[:] = 0.9
    assert [x.label for x in decode(p, rule)] == list(CLASSES[:3])       # max_events, ties by index
    slots = np.full((3, 19), 0.01)
    slots[0, CLASS_INDEX["Dishes"]] = 0.9
    slots[1, 18] = 0.9                       # silence
    slots[2, CLASS_INDEX["Dishes"]] = 0.8
    assert [x.label for x in decode(slots, {**rule, "min_events": 0})] == ["Dishes", "Dishes"]
    # the window tally keeps passed labels; forced ones only when nothing passed anywhere
    assert tally([[Pick("Speech", 0.4, False)], [Pick("Dishes", 0.8, True)]], 1) == ["Dishes"]
    assert tally([[Pick("Speech", 0.4, False)], [Pick("Dishes", 0.3, False)]], 1) == ["Speech"]


def test_thresholds_file_forms(tmp_path):
    base = normalise_rule({"threshold": 0.5, "thresholds": {"Speech": 0.7}, "min_events": 1, "max_events": 3}, "b")
    f = tmp_path / "t.json"
    f.write_text(json.dumps({"Pour": 0.9}))
    assert read_rule_file(f, base)["thresholds"] == {"Pour": 0.9}
    f.write_text(json.dumps({"decision": {"threshold": 0.3, "min_events": 0, "max_events": 2}}))
    r = read_rule_file(f, base)
    assert (r["threshold"], r["min_events"], r["max_events"], r.get("thresholds")) == (0.3, 0, 2, None)
    f.write_text(json.dumps({"Pourr": 0.9}))
    with pytest.raises(Exception, match="Pourr"):
        read_rule_file(f, base)
    with pytest.raises(ModelLoadError, match="nowhere"):
        load_model(tmp_path / "nowhere", "tagger")


def test_decomposition_adds_up_2026_with_empty_scenes():
    recs = [
        {"oracle": 8.0, "full": 8.0, "tp_only": 8.0, "with_fn_added": 8.0, "fn": [], "fp": []},
        {"oracle": 6.0, "full": 2.0, "tp_only": 2.0, "with_fn_added": 6.0, "fn": ["Cough"], "fp": []},
        {"oracle": 5.0, "full": 3.0, "tp_only": 5.0, "with_fn_added": 3.0, "fn": [], "fp": ["Pour"]},
        {"oracle": 7.0, "full": 0.0, "tp_only": 0.0, "with_fn_added": 4.0, "fn": ["Speech"], "fp": ["Pour"]},
        {"oracle": None, "full": 0.0, "tp_only": None, "with_fn_added": 0.0, "fn": [], "fp": ["Pour", "Dishes"]},
        {"oracle": None, "full": None, "tp_only": None, "with_fn_added": None, "fn": [], "fp": []},
    ]
    d = decompose("dcase2026t4", recs)
    assert d["oracle"] == 6.5 and d["full_system"] == 13.0 / 5
    assert math.isclose(sum(v["db"] for v in d["categories"].values()), d["gap_db"], abs_tol=1e-12)
    assert math.isclose(sum(v["db"] for v in d["by_label_type"].values()), d["gap_db"], abs_tol=1e-12)
    assert d["categories"]["missed"]["db"] == 1.0 and d["categories"]["wrong"]["db"] == 7.0 / 4
    assert math.isclose(d["categories"]["extra"]["db"], 0.5 + (13.0 / 4 - 13.0 / 5), abs_tol=1e-12)
    assert math.isclose(d["by_label_type"]["extra_labels"]["db"],
                        0.5 + 0.5 * (0.0 + 3.0) / 4 + (13.0 / 4 - 13.0 / 5), abs_tol=1e-12)
    assert d["per_class"]["Dishes"]["fp"] == 1 and d["per_class"]["Pour"]["fp"] == 3


def test_ap_and_auc():
    assert average_precision([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0]) == pytest.approx((1 + 2 / 3) / 2)
    assert roc_auc([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0]) == pytest.approx(0.75)
    assert average_precision([0.2, 0.1], [0, 0]) is None and roc_auc([0.2], [1]) is None


def test_missing_preset_names_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("S5_DATA_DIR", str(tmp_path))
    with pytest.raises(dataset.SetError, match=r"synth --preset test"):
        dataset.resolve(None, "test", "dcase2025t4")
    (tmp_path / "s" / "soundscape").mkdir(parents=True)
    (tmp_path / "s" / "oracle_target").mkdir()
    (tmp_path / "s" / "soundscape" / "a.wav").write_bytes(b"")
    (tmp_path / "s" / "oracle_target" / "a_Nope.wav").write_bytes(b"")
    with pytest.raises(dataset.SetError, match="a_Nope.wav"):
        dataset.scan(tmp_path / "s", "dcase2025t4")


class _EchoSeparator(torch.nn.Module):
    """Every queried slot returns channel W: overlap-added windows must give W back exactly."""

    def forward(self, x, q):
        active = (q.view(q.shape[0], 3, 18).sum(-1) > 0).float()[..., None]
        return x[:, :1].repeat(1, 3, 1) * active


def test_windowed_clip_is_crossfaded_back_together():
    from s5trainer.audio import resample
    from s5trainer.evaluate.inference import Clip, PairRunner, window_starts
    from s5trainer.evaluate.loading import LoadedModel

    sep = LoadedModel(model=_EchoSeparator(), kind="separator", arch="echo", sample_rate=8000, window_seconds=1.0,
                      channels=4, slots=3, task="dcase2025t4", source={"type": "test"})
    assert window_starts(8000, 8000) == [0] and window_starts(18401, 8000) == [0, 4000, 8000, 12000]
    rng = np.random.default_rng(0)
    audio = (0.1 * rng.standard_normal((4, 73_603))).astype(np.float32)      # 2.3 s at 32 kHz
    clip = Clip(audio, 32000)
    runner = PairRunner(None, sep)
    assert runner.separator_windows(clip) == 4
    # per-window queries: Speech everywhere, Dishes in windows 1-2 only (fades in and out)
    stems = dict(runner.separate(clip, [["Speech"], ["Dishes", "Speech"], ["Dishes", "Speech"], ["Speech"]],
                                 keep=["Dishes", "Speech"]))
    w_back = resample(resample(audio[:1], 32000, 8000), 8000, 32000)[0, :audio.shape[1]]
    np.testing.assert_allclose(stems["Speech"], w_back, atol=1e-6)
    assert stems["Speech"].shape == (audio.shape[1],) and stems["Dishes"].shape == (audio.shape[1],)
    assert np.abs(stems["Dishes"][:3000]).max() < np.abs(stems["Speech"][:3000]).max()
    # a short clip is one zero-padded window, trimmed back
    short = Clip(audio[:, :9000], 32000)
    (lab, y), = runner.separate(short, ["Cough"])
    assert lab == "Cough" and y.shape == (9000,)
