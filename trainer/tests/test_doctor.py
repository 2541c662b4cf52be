"""doctor: the environment report the GUI shows before a run."""
import json
import os
import subprocess
import sys

from conftest import TRAINER
from s5trainer.doctor import diagnose, torchrun_extra_args


def test_report_fields(tmp_path):
    r = diagnose(tmp_path / "not" / "yet")
    assert r["ok"] is True and r["problems"] == []
    assert r["python"]["version"].count(".") == 2
    assert r["torch"]["version"] and isinstance(r["torch"]["cuda_available"], bool)
    assert r["torch"]["distributed"]["gloo"] is True
    assert r["cpu"]["usable"] >= 1 and r["cpu"]["torch_threads"] >= 1
    assert r["disk"]["free_bytes"] > 0 and r["disk"]["path"].endswith("yet")
    assert r["gpus"] == [] or {"index", "name", "memory_bytes", "capability"} <= set(r["gpus"][0])
    assert r["packages"]["numpy"] and r["torchrun"] is True


def test_torchrun_workaround_only_where_needed():
    assert torchrun_extra_args("2.5.1") == []
    assert torchrun_extra_args(None) == []
    if sys.version_info >= (3, 11):
        assert torchrun_extra_args("1.13.0a0") == ["--redirects", "9:1", "--tee", "9:1"]


def test_cli_prints_one_json_object(tmp_path):
    code = ("import argparse, sys; from s5trainer.doctor import register; p = argparse.ArgumentParser(); "
            "register(p.add_subparsers()); a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))")
    r = subprocess.run([sys.executable, "-c", code, "doctor", "--json", "--run-dir", str(tmp_path)],
                       env=dict(os.environ, PYTHONPATH=str(TRAINER)), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["disk"]["path"] == str(tmp_path)
