"""End-to-end training runs: loss goes down, events follow the protocol, run folder, checkpoints,
tagger + partner validation, 2026 PIT, errors as ``failed`` events."""
import io
import json
import os
import subprocess
import sys

import pytest
import torch

from conftest import TRAINER
from s5trainer.testing import make_dummy_bank, make_dummy_library
from s5trainer.train.config import load_config
from s5trainer.train.events import Events
from s5trainer.train.loop import RunOptions, Trainer
from s5trainer.train.stop import StopFlag

TINY = TRAINER / "configs" / "tiny.yaml"
BASE = {"event": str, "v": int, "time": str, "run": str}
FIELDS = {   # trainer/PROTOCOL.md, mirrored by src/shared/trainer-events.ts
    "started": {"config": dict, "device": str, "world_size": int, "params": dict, "kind": str, "arch": str,
                "step": int, "total": int, "resumed": bool, "torch": str},
    "progress": {"step": int, "total": int, "loss": float, "lr": float, "samples_per_s": float, "eta_s": float},
    "validation": {"step": int, "best": bool, "metric": str, "per_class": dict, "mixtures": int},
    "checkpoint": {"path": str, "step": int, "kind": str},
    "finished": {"best_step": (int, type(None)), "metrics": dict, "step": int, "checkpoint": str},
    "cancelled": {"step": int},
    "failed": {"error": str, "code": str, "traceback": str},
}


def check_event(e: dict) -> None:
    for key, kind in {**BASE, **FIELDS[e["event"]]}.items():
        assert isinstance(e[key], kind if kind is not float else (int, float)), (e["event"], key, e.get(key))
    assert e["v"] == 1 and e["time"].endswith("Z")
    if e["event"] == "validation":
        for key in ("ca_sdri", "system_ca_sdri", "label_accuracy", "loss"):
            assert e[key] is None or isinstance(e[key], float)


def run_inprocess(cfg, workdir, **opts) -> list[dict]:
    out = io.StringIO()
    events = Events(workdir.name, out, None)
    trainer = Trainer(RunOptions(workdir, cfg, device="cpu", **opts), events, StopFlag())
    trainer.setup()
    assert trainer.run() == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("runs") / "tiny"
    return workdir, run_inprocess(load_config(TINY), workdir)


def test_tiny_run_lowers_the_loss_and_follows_the_protocol(tiny_run):
    workdir, events = tiny_run
    for e in events:
        check_event(e)
    names = [e["event"] for e in events]
    assert names[0] == "started" and names[-1] == "finished"
    losses = [e["loss"] for e in events if e["event"] == "progress"]
    assert len(losses) == 30
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 - 0.3      # -SNR in dB: clearly lower
    vals = [e for e in events if e["event"] == "validation"]
    assert [v["step"] for v in vals] == [10, 20, 30] and vals[-1]["ca_sdri"] is not None
    info = json.loads((workdir / "run.json").read_text())
    assert info["status"] == "finished" and info["step"] == 30 and info["id"] == "tiny"


def test_checkpoints_hold_the_export_keys(tiny_run):
    workdir, events = tiny_run
    from s5trainer.models.checkpoint import load_checkpoint
    from s5trainer.train import checkpoint

    last = checkpoint.load(workdir / "checkpoints" / "last.pt")
    assert last["step"] == 30 and last["optimizer"] is not None and len(last["rng_ranks"]) == 1
    assert last["meta"]["sample_rate"] == 8000 and last["meta"]["slots"] == 3
    best = checkpoint.load(workdir / "checkpoints" / "best.pt")
    assert best["optimizer"] is None and best["arch"] == "sep-small-16k"
    model, meta = load_checkpoint(workdir / "checkpoints" / "best.pt")      # the export side's loader
    assert meta["kind"] == "separator" and model.kind == "separator"
    finished = events[-1]
    assert finished["best_step"] == best["step"] == finished["metrics"].get("best_step", best["step"])


@pytest.fixture(scope="module")
def synth_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthlib")
    lib = make_dummy_library(root / "lib", rate=8000, per_split=(2, 1, 1), seconds=(0.2, 1.0),
                             n_interference=(2, 1, 1), n_background=(1, 1, 1))
    rooms = make_dummy_bank(root / "rooms", rate=8000, n_rooms=10, n_positions=6, max_seconds=0.1)
    return lib, rooms


def test_2026_tagger_on_synth_scenes_with_partner_separator(tiny_run, synth_data, tmp_path):
    lib, rooms = synth_data
    partner = tiny_run[0] / "checkpoints" / "best.pt"
    cfg = load_config(None, [
        "task=dcase2026t4", "model.arch=tag-small-2026",
        'model.overrides={"sample_rate": 8000, "window_seconds": 1.0, "widths": [8, 16], "convs": [1, 1], "n_mels": 16}',
        "data.source=synth", f"data.library={lib}", f"data.rooms={rooms}", "data.workers=0",
        'data.curriculum=[{"until_step": 3, "nevent_range": [1, 1]}]',
        "validation.n=4", "validation.every=4", f"validation.partner={partner}",
        "train.steps=6", "train.batch_size=3", "train.lr=3e-3", "train.log_every=2", "train.threads=1"])
    events = run_inprocess(cfg, tmp_path / "tagger")
    for e in events:
        check_event(e)
    val = [e for e in events if e["event"] == "validation"][-1]
    assert val["metric"] == "capi_sdri" and val["ca_sdri"] is None
    assert val["label_accuracy"] is not None and val["system_ca_sdri"] is not None
    assert all("f1" in v for v in val["per_class"].values())


def test_2026_separator_trains_with_class_aware_pit(synth_data, tmp_path):
    lib, rooms = synth_data
    cfg = load_config(TINY, ["task=dcase2026t4", "data.source=synth", f"data.library={lib}", f"data.rooms={rooms}",
                             "validation.source=preset", "validation.n=3", "validation.every=0",
                             "train.steps=3", "data.nevent_range=[2, 3]"])
    events = run_inprocess(cfg, tmp_path / "pit")
    val = [e for e in events if e["event"] == "validation"]
    assert len(val) == 1 and val[0]["metric"] == "capi_sdri" and events[-1]["event"] == "finished"


def _cli(args, **kw):
    env = dict(os.environ, PYTHONPATH=str(TRAINER))
    return subprocess.run([sys.executable, "-m", "s5trainer.train", *args], env=env, capture_output=True,
                          text=True, timeout=120, **kw)


def test_errors_become_failed_events(tiny_run, tmp_path):
    r = _cli(["--config", str(TINY), "--workdir", str(tiny_run[0]), "--device", "cpu"])
    assert r.returncode == 1
    (e,) = [json.loads(line) for line in r.stdout.splitlines()]
    check_event(e)
    assert e["event"] == "failed" and e["code"] == "bad_run_folder" and "--resume" in e["error"]
    assert json.loads((tiny_run[0] / "run.json").read_text())["status"] == "finished"     # left alone
    r = _cli(["--config", str(TINY), "--workdir", str(tmp_path / "x"), "--set", "model.arch=nope"])
    (e,) = [json.loads(line) for line in r.stdout.splitlines()]
    assert e["code"] == "unknown_arch" and "valid ids" in e["error"]
    assert json.loads((tmp_path / "x" / "events.jsonl").read_text())["event"] == "failed"
    if not torch.cuda.is_available():
        r = _cli(["--config", str(TINY), "--workdir", str(tmp_path / "y"), "--device", "cuda"])
        (e,) = [json.loads(line) for line in r.stdout.splitlines()]
        assert r.returncode == 1 and e["code"] == "device_unavailable"


def test_export_on_finish(tiny_run, tmp_path):
    from s5trainer.export.parity import node_engine_missing

    missing = node_engine_missing()
    if missing:
        pytest.skip(f"ONNX Runtime (node) unavailable: {missing}")
    cfg = load_config(TINY, ["train.steps=2", "validation.every=0", "export.on_finish=true"])
    events = run_inprocess(cfg, tmp_path / "My Run")
    (exported,) = [e for e in events if e["event"] == "exported"]
    manifest = json.loads((tmp_path / "My Run" / "export" / "my-run" / "manifest.json").read_text())
    assert exported["dir"] == str(tmp_path / "My Run" / "export" / "my-run") and manifest["id"] == "my-run"
    assert manifest["provenance"]["steps"] == 2 and "ca_sdri" in manifest["metrics"]
    assert events[-1]["event"] == "finished"
