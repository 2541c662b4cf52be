"""weights-from-onnx: PyTorch weights recovered from exported model folders (tiny random models and
the shipped defaults), parity failure on a corrupted constant, and ``model.freeze_bn`` in training."""
import json
import os
import subprocess
import sys

import pytest
import torch

from conftest import REPO, TRAINER
from s5trainer.export import export_model, node_engine_missing
from s5trainer.export.from_onnx import RecoveryError, recover
from s5trainer.export.onnx_reader import read_onnx
from s5trainer.models import build_model, load_checkpoint
from s5trainer.train.freeze import freeze_batchnorm

torch.set_num_threads(1)
NODE_MISSING = node_engine_missing()
needs_node = pytest.mark.skipif(NODE_MISSING is not None, reason=f"ONNX Runtime (node) unavailable: {NODE_MISSING}")

TINY_SEP = dict(sample_rate=8000, window_seconds=1.0, n_fft=256, hop=64, widths=(8, 16),
                pools=((2, 2), (2, 2)), cond_dim=16)
TINY_TAG = dict(sample_rate=8000, window_seconds=1.0, n_mels=32, widths=(8, 16), convs=(2, 1))


def _trained_like(model, seed=0):
    """Random BatchNorm statistics and affine values, so that folding is not a no-op."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            m.running_mean.copy_(0.3 * torch.randn(n, generator=g))
            m.running_var.copy_(0.5 + torch.rand(n, generator=g))
            m.weight.data.copy_(1 + 0.2 * torch.randn(n, generator=g))
            m.bias.data.copy_(0.1 * torch.randn(n, generator=g))
    return model.eval()


def _export(tmp_path, arch, overrides, name):
    torch.manual_seed(1)
    model = _trained_like(build_model(arch, **overrides))
    d = export_model(model, tmp_path / name, {"id": name, "data": "unit test"}, check_parity=False)
    return model, d


@needs_node
@pytest.mark.parametrize("arch,overrides", [("sep-small-16k", TINY_SEP), ("tag-small", TINY_TAG)])
def test_tiny_model_round_trip(tmp_path, arch, overrides):
    original, d = _export(tmp_path, arch, overrides, f"tiny-{arch}")
    rep = recover(d, tmp_path / "w.pt")
    assert rep["overrides"] == json.loads(json.dumps(overrides))
    assert rep["bn_folded"] and rep["freeze_bn"] is True
    tol = 1e-4 if original.kind == "separator" else 1e-5
    assert max(rep["parity"]["max"].values()) < tol
    model, meta = load_checkpoint(tmp_path / "w.pt")
    assert meta["recovered_from_onnx"] == str(d) and meta["freeze_bn"] is True
    assert meta["sha256"] == json.loads((d / "manifest.json").read_text())["sha256"]
    assert sorted(meta["bn_folded"]) == sorted(rep["bn_folded"])
    ins = original.example_inputs(seconds=0.7, batch=2, seed=5)
    with torch.no_grad():
        want, got = original(*ins), model(*ins)
    assert want.shape == got.shape
    assert float((want - got).abs().max()) < tol
    # the folded BatchNorms are exact identities: weight 1, mean 0, 1/sqrt(var + eps) == 1
    for name in rep["bn_folded"]:
        bn = dict(model.named_modules())[name]
        assert torch.all(bn.running_mean == 0)
        assert torch.all(torch.rsqrt(bn.running_var + bn.eps) == 1)


def _corrupt(d, init_name):
    """Perturb one initializer's bytes in model.onnx and re-sign the manifest (a consistent but
    wrong file): the ONNX constant no longer matches what the architecture rebuilds."""
    from s5trainer.export import sha256_file
    g = read_onnx(d / "model.onnx")
    arr = g.initializers[init_name]
    data = (d / "model.onnx").read_bytes()
    raw = arr.astype("<f4").tobytes()
    assert data.count(raw) == 1
    (d / "model.onnx").write_bytes(data.replace(raw, (arr * 1.01 + 1e-3).astype("<f4").tobytes()))
    man = json.loads((d / "manifest.json").read_text())
    man["sha256"] = sha256_file(d / "model.onnx")
    (d / "manifest.json").write_text(json.dumps(man))


@needs_node
def test_corrupted_constant_fails_parity_and_writes_nothing(tmp_path):
    _, d = _export(tmp_path, "sep-small-16k", TINY_SEP, "tiny-corrupt")
    g = read_onnx(d / "model.onnx")
    ola = next(n for n, a in g.initializers.items() if n.startswith("onnx::") and a.ndim == 2
               and any(c.name.startswith("/model/base/istft/") for c in g.consumers(n)) and a.shape[1] > 1)
    _corrupt(d, ola)
    with pytest.raises(RecoveryError, match="differs from the ONNX file beyond tolerance"):
        recover(d, tmp_path / "w.pt")
    assert not (tmp_path / "w.pt").exists()


def test_manifest_hash_mismatch_is_refused(tmp_path):
    _, d = _export(tmp_path, "tag-small", TINY_TAG, "tiny-hash")
    man = json.loads((d / "manifest.json").read_text())
    man["sha256"] = "0" * 64
    (d / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(RecoveryError, match="differs from the manifest"):
        recover(d, tmp_path / "w.pt", check_parity=False)


def test_unplaceable_initializer_is_named(tmp_path):
    """A folder whose manifest names a different width than the graph holds: shapes do not fit."""
    _, d = _export(tmp_path, "tag-small", TINY_TAG, "tiny-wrong")
    man = json.loads((d / "manifest.json").read_text())
    man["architecture"] = "tag-small-2026"                      # slot head: head.0/head.2, not head
    (d / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(RecoveryError) as err:
        recover(d, None, check_parity=False)
    assert "model.head.weight" in str(err.value) and "head.0.weight" in str(err.value)


@needs_node
@pytest.mark.parametrize("model_id", ["s5-tag-small-v2", "s5-sep-small-16k-v2"])
def test_shipped_models_recover_with_parity(tmp_path, model_id):
    d = REPO / "models" / model_id
    rep = recover(d, tmp_path / f"{model_id}.pt")
    man = json.loads((d / "manifest.json").read_text())
    # level-normalised models carry their input level as an architecture override
    expected = {"input_level_db": man["input_level_dbfs"]} if "input_level_dbfs" in man else {}
    assert rep["arch"] == man["architecture"] and rep["overrides"] == expected
    tol = 1e-4 if man["kind"] == "separator" else 1e-5
    assert set(rep["parity"]["sets"]) >= {"random", "real0"}
    assert max(rep["parity"]["max"].values()) < tol
    assert rep["placed_initializers"] + len(rep["rebuilt_initializers"]) == rep["initializers"]
    model, meta = load_checkpoint(tmp_path / f"{model_id}.pt")
    assert model.arch == man["architecture"] and meta["id"] == model_id


@needs_node
def test_cli_json(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(TRAINER))
    out = tmp_path / "tag.pt"
    proc = subprocess.run([sys.executable, "-m", "s5trainer", "weights-from-onnx", "--model-dir",
                           str(REPO / "models" / "s5-tag-small-v2"), "--out", str(out), "--json"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rep = json.loads(proc.stdout.strip().splitlines()[-1])
    assert rep["out"] == str(out) and out.is_file() and rep["freeze_bn"] is True
    bad = subprocess.run([sys.executable, "-m", "s5trainer", "weights-from-onnx", "--model-dir",
                          str(tmp_path / "missing"), "--out", str(tmp_path / "x.pt")],
                         env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "manifest" in bad.stderr and not (tmp_path / "x.pt").exists()


def test_freeze_bn_keeps_running_stats_and_trains_affine():
    torch.manual_seed(0)
    frozen = _trained_like(build_model("tag-small", **TINY_TAG))
    free = _trained_like(build_model("tag-small", **TINY_TAG))
    free.load_state_dict(frozen.state_dict())
    names = freeze_batchnorm(frozen)
    assert names and "bn0" in names
    before = {k: v.clone() for k, v in frozen.state_dict().items()}
    x = frozen.example_inputs(seconds=1.0, batch=4, seed=3)[0]
    y = (torch.rand(4, 18, generator=torch.Generator().manual_seed(4)) > 0.5).float()
    for model in (frozen, free):
        model.train()                                   # what the loop and the validator call
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model.forward_logits(x), y)
        loss.backward()
        opt.step()
    mods = dict(frozen.named_modules())
    for name in names:
        assert not mods[name].training
        for stat in ("running_mean", "running_var", "num_batches_tracked"):
            assert torch.equal(frozen.state_dict()[f"{name}.{stat}"], before[f"{name}.{stat}"]), (name, stat)
        assert not torch.equal(frozen.state_dict()[f"{name}.weight"], before[f"{name}.weight"])
        assert not torch.equal(frozen.state_dict()[f"{name}.bias"], before[f"{name}.bias"])
    # control: without freeze_bn the same step moves the statistics
    assert not torch.equal(free.state_dict()["stages.0.1.running_mean"], before["stages.0.1.running_mean"])
    assert frozen.stages[0][0].training                 # the rest of the model is in training mode


@needs_node
def test_run_from_recovered_weights_sets_freeze_bn_and_resumes(tmp_path):
    """A run initialised from weights-from-onnx output records freeze_bn; resume keeps it and the
    folded statistics stay untouched."""
    _, d = _export(tmp_path, "sep-small-16k", TINY_SEP, "tiny-base")
    init = tmp_path / "base.pt"
    recover(d, init)
    env = dict(os.environ, PYTHONPATH=str(TRAINER))
    overrides = json.dumps(TINY_SEP)
    base = [sys.executable, "-m", "s5trainer.train", "--workdir", str(tmp_path / "run"), "--device", "cpu"]
    cfg = ["--config", str(TRAINER / "configs" / "tiny.yaml"), "--set", f"model.init={init}",
           "--set", f"model.overrides={overrides}", "--set", "train.steps=4", "--set", "train.checkpoint_every=2",
           "--set", "validation.every=0", "--set", "validation.n=2"]
    first = subprocess.run(base + cfg + ["--max-steps", "2"], env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    started = json.loads(first.stdout.splitlines()[0])
    assert started["event"] == "started" and started["config"]["model"]["freeze_bn"] is True
    second = subprocess.run(base + ["--resume", "--max-steps", "4"], env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    events = [json.loads(x) for x in second.stdout.splitlines()]
    assert events[0]["resumed"] is True and events[0]["config"]["model"]["freeze_bn"] is True
    assert events[-1]["event"] == "finished" and events[-1]["step"] == 4
    init_sd = torch.load(init)["state_dict"]
    last = torch.load(tmp_path / "run" / "checkpoints" / "last.pt")["state_dict"]
    stats = [k for k in init_sd if k.endswith(("running_mean", "running_var"))]
    assert stats and all(torch.equal(init_sd[k], last[k]) for k in stats)
    assert not torch.equal(init_sd["base.pre_conv.weight"], last["base.pre_conv.weight"])
