"""``import-official`` tells the user what it left out of a checkpoint (issue #14): objects the
file names besides its tensors are never built (safe_load placeholders), and their names appear in
the command's output, in the manifest's provenance and in the model card."""
import json
import os
import subprocess
import sys
from pathlib import Path

import torch

from s5trainer.models import build_model

TRAINER = Path(__file__).resolve().parents[1]


class _Hostile:
    """Unpickling this would run a shell command."""
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _official_ckpt(path, hostile_marker):
    """ResUNet in the baseline's Lightning layout, with Lightning's hparams object and a hostile one."""
    import argparse
    torch.manual_seed(0)
    sd = {"model." + k: v for k, v in build_model("resunet").state_dict().items()}
    torch.save({"epoch": 3, "global_step": 42, "state_dict": sd,
                "hyper_parameters": argparse.Namespace(lr=1e-3),
                "callbacks": {"evil": _Hostile(hostile_marker)}}, path)
    return path


def test_import_official_lists_the_objects_it_did_not_build(tmp_path):
    marker = tmp_path / "pwned"
    ck = _official_ckpt(tmp_path / "epoch=3.ckpt", marker)
    env = {**os.environ, "PYTHONPATH": str(TRAINER)}
    text = subprocess.run([sys.executable, "-m", "s5trainer", "import-official", "--separator", str(ck),
                           "--out", str(tmp_path / "models"), "--skip-parity"],
                          env=env, capture_output=True, text=True, timeout=900)
    assert text.returncode == 0, text.stderr
    assert not marker.exists()                                   # nothing from the file ran
    system = "posix.system" if os.name == "posix" else "nt.system"
    line = [ln for ln in text.stdout.splitlines() if "ignored in" in ln]
    assert len(line) == 1 and str(ck) in line[0]
    assert "argparse.Namespace" in line[0] and system in line[0]
    folder = tmp_path / "models" / "resunet-official"
    man = json.loads((folder / "manifest.json").read_text())
    assert "argparse.Namespace" in man["provenance"]["base_model"] and system in man["provenance"]["base_model"]
    assert man["provenance"]["steps"] == 42
    card = (folder / "MODEL_CARD.md").read_text()
    notes = card.split("## Notes", 1)[1].split("##", 1)[0]
    assert "`argparse.Namespace`" in notes and f"`{system}`" in notes and "no code from it ran" in notes
