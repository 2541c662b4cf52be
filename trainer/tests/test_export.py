"""Export: ONNX parity through onnxruntime-node, manifests valid against the app schema,
refusal on parity failure, official checkpoint import, CLI wiring."""
import argparse
import json
import subprocess

import pytest
import torch

from s5trainer.export import ParityError, export_model, node_engine_missing
from s5trainer.export import parity as parity_mod
from s5trainer.export.manifest import ManifestError, build_manifest, check_manifest
from s5trainer.export.parity import repo_root
from s5trainer.models import build_model, save_checkpoint, save_official_layout

torch.set_num_threads(2)
NODE_MISSING = node_engine_missing()
needs_node = pytest.mark.skipif(NODE_MISSING is not None, reason=f"ONNX Runtime (node) unavailable: {NODE_MISSING}")


def _validate_ts(*dirs):
    root = repo_root()
    proc = subprocess.run([str(root / "node_modules/.bin/tsx"), "test/tools/validate-manifest.ts", "--app", *map(str, dirs)],
                          cwd=root, capture_output=True, text=True, timeout=300)
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def _parser():
    from s5trainer import bench_infer, info
    from s5trainer.export import cli
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command")
    for mod in (info, cli, bench_infer):
        mod.register(sub)
    return ap


def _run(argv, capsys):
    args = _parser().parse_args(argv)
    assert args.func(args) == 0
    return capsys.readouterr().out


@needs_node
def test_default_variants_export_with_parity(tmp_path):
    torch.manual_seed(0)
    dirs = []
    for arch in ("sep-small-16k", "tag-small", "tag-small-2026"):
        m = build_model(arch)
        d = export_model(m, tmp_path / arch, {"id": arch, "data": "unit test", "parity_seconds": 1.5})
        man = json.loads((d / "manifest.json").read_text())
        assert sorted(p.name for p in d.iterdir()) == ["MODEL_CARD.md", "manifest.json", "model.onnx"]
        key = f"onnx_parity_max_abs_{m.output_names[0]}"
        assert man["metrics"][key] < (1e-4 if m.kind == "separator" else 1e-5)
        assert man["inputs"][0]["shape"] == ["batch", 4, "samples"]
        if m.kind == "tagger":
            assert man["decision"] == {"threshold": 0.5, "min_events": 0 if arch.endswith("2026") else 1,
                                       "max_events": 3}
        dirs.append(d)
    rc, rows = _validate_ts(*dirs)
    assert rc == 0, rows
    assert all(r["ok"] for r in rows)


@needs_node
def test_m2d_graph_exports_with_parity(tmp_path):
    torch.manual_seed(0)
    m = build_model("m2dat", depth=1)           # full-width ViT block, official front end and head
    d = export_model(m, tmp_path / "m2dat-depth1", {"parity_seconds": 1.0})
    man = json.loads((d / "manifest.json").read_text())
    assert man["metrics"]["onnx_parity_max_abs_probabilities"] < 1e-5


@needs_node
def test_parity_failure_refuses_manifest(tmp_path, monkeypatch):
    real = parity_mod.run_onnx

    def corrupted(*a, **k):
        outs, rep = real(*a, **k)
        for o in outs.values():
            for name in o:
                o[name] = o[name] + 1e-3
        return outs, rep
    import s5trainer.export as ex
    monkeypatch.setattr(ex, "run_onnx", corrupted)
    torch.manual_seed(0)
    m = build_model("tag-small")
    with pytest.raises(ParityError) as e:
        export_model(m, tmp_path / "bad", {"id": "bad", "parity_audio": []})
    assert e.value.report["ok"] is False
    assert not (tmp_path / "bad").exists()
    assert not list(tmp_path.glob(".bad*"))


def test_id_must_match_folder(tmp_path):
    with pytest.raises(ManifestError):
        export_model(build_model("tag-small"), tmp_path / "folder", {"id": "other"}, check_parity=False)
    with pytest.raises(ManifestError):
        export_model(build_model("tag-small"), tmp_path / "Bad Name", check_parity=False)
    assert not list(tmp_path.iterdir())


def test_manifest_rules():
    m = build_model("tag-small")
    man = build_manifest(m, "0" * 64, {"id": "tag-small"})
    check_manifest(man)
    for bad in ({"id": "Bad ID"}, {"sha256": "xyz"}, {"decision": None}, {"channel_format": "stereo"}):
        broken = dict(man, **bad)
        if bad.get("decision", 1) is None:
            broken.pop("decision")
        with pytest.raises(ManifestError):
            check_manifest(broken)


@needs_node
def test_import_official_resunet_and_export_cli(tmp_path, capsys):
    torch.manual_seed(0)
    sep = build_model("resunet")                  # official size, random weights, Lightning layout
    ck = save_official_layout(sep, tmp_path / "resunet.ckpt", step=1234)
    del sep
    wav = sorted((repo_root() / "resources/examples/evaluate-2025/soundscape").glob("*.wav"))[:1]
    out = _run(["import-official", "--separator", str(ck), "--out", str(tmp_path / "models"), "--json",
                "--parity-seconds", "0.5", "--parity-audio", *map(str, wav)], capsys)
    done = json.loads(out.strip().splitlines()[-1])
    assert done[0]["arch"] == "resunet"
    d = tmp_path / "models" / "resunet-official"
    man = json.loads((d / "manifest.json").read_text())
    assert man["params"] == 26_721_747 and man["slots"] == 1 and man["provenance"]["steps"] == 1234
    assert man["inputs"][1]["shape"] == ["batch", 18]
    # s5trainer checkpoint -> export CLI
    small = build_model("tag-small")
    ck2 = save_checkpoint(small, tmp_path / "tag.pt", {"id": "my-tagger", "steps": 10, "data": "dummy"})
    out = _run(["export", "--checkpoint", str(ck2), "--out", str(tmp_path / "models" / "my-tagger"), "--json",
                "--parity-seconds", "1"], capsys)
    assert json.loads(out)["id"] == "my-tagger"
    rc, rows = _validate_ts(d, tmp_path / "models" / "my-tagger")
    assert rc == 0, rows


def test_info_cli_json(capsys):
    info = json.loads(_run(["info", "--arch", "ResUNet", "--json"], capsys))
    assert info["arch"] == "resunet" and info["params_trainable"] == 26_721_747
    assert set(info) >= {"arch", "params_trainable", "params_total", "sample_rate", "inputs", "outputs"}
    assert info["outputs"][0]["shape"] == ["batch", 1, "samples"]


@needs_node
def test_bench_infer_smoke(capsys):
    res = json.loads(_run(["bench-infer", "--arch", "tag-small", "--seconds", "1", "--repeat", "1", "--json"], capsys))
    assert res["ratio_torch_over_ort"] > 0 and res["max_abs_err"] < 1e-5


def test_missing_engine_is_reported(tmp_path, monkeypatch):
    from s5trainer.errors import ToolMissingError
    monkeypatch.setenv("S5_REPO", str(tmp_path))              # no node_modules there
    monkeypatch.setattr(parity_mod, "python_ort_available", lambda: False)
    assert parity_mod.node_engine_missing()                  # a reason, not None
    with pytest.raises(ToolMissingError):
        export_model(build_model("tag-small"), tmp_path / "m", {"parity_audio": []})
    assert not (tmp_path / "m").exists()
