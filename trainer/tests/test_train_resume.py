"""SIGTERM at step k, then --resume: the continued run reproduces the uninterrupted run's losses
bit for bit (CPU, DataLoader workers, periodic validation and checkpoints in between)."""
import json
import os
import signal
import subprocess
import sys

from conftest import TRAINER

SETS = ["--set", "train.steps=16", "--set", "data.workers=2", "--set", "validation.every=5",
        "--set", "train.checkpoint_every=4", "--device", "cpu"]


def _train(workdir, *extra):
    env = dict(os.environ, PYTHONPATH=str(TRAINER))
    return subprocess.Popen([sys.executable, "-m", "s5trainer.train", "--workdir", str(workdir), *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def _losses(events):
    return {e["step"]: e["loss"] for e in events if e["event"] == "progress"}


def test_sigterm_then_resume_continues_the_same_run(tmp_path):
    config = ["--config", str(TRAINER / "configs" / "tiny.yaml"), *SETS]
    straight = _train(tmp_path / "straight", *config)
    victim = _train(tmp_path / "victim", *config)
    first = []
    for line in victim.stdout:
        first.append(json.loads(line))
        if first[-1]["event"] == "progress" and first[-1]["step"] == 3:
            victim.send_signal(signal.SIGTERM)
    assert victim.wait(timeout=120) == 0
    assert first[-1]["event"] == "cancelled" and first[-2]["event"] == "checkpoint"
    k = first[-1]["step"]
    assert 3 <= k < 16 and first[-2]["step"] == k
    assert json.loads((tmp_path / "victim" / "run.json").read_text())["status"] == "cancelled"

    resumed = _train(tmp_path / "victim", "--resume", "--device", "cpu")     # config comes from last.pt
    second = [json.loads(line) for line in resumed.stdout]
    assert resumed.wait(timeout=120) == 0
    assert second[0]["event"] == "started" and second[0]["step"] == k and second[0]["resumed"] is True
    reference = [json.loads(line) for line in straight.stdout]
    assert straight.wait(timeout=120) == 0

    want, got = _losses(reference), _losses(second)
    assert sorted(got) == list(range(k + 1, 17))
    assert {s: want[s] for s in got} == got                      # exact float equality
    assert {s: want[s] for s in _losses(first)} == _losses(first)
    val = lambda evs: [(e["step"], e["ca_sdri"]) for e in evs if e["event"] == "validation"]  # noqa: E731
    assert [v for v in val(reference) if v[0] > k] == val(second)
    assert second[-1]["event"] == "finished" and second[-1]["best_step"] == reference[-1]["best_step"]
    lines = (tmp_path / "victim" / "events.jsonl").read_text().splitlines()
    assert [json.loads(x)["event"] for x in lines].count("started") == 2
