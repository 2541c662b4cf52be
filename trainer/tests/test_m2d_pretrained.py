"""The official M2D-AT recipe from its pretrained backbone (issue #14): the baseline fine-tunes
M2D-AT from the M2D encoder file its README downloads
(m2d_as_vit_base-80x1001p16x16p32k-240413_AS-FT_enconly/weights_ep69it3124-0.47998.pth, a
``torch.save`` of the ViT backbone's state_dict, keys without prefix), first the head only, then
the last blocks. Files in that layout are built here from random weights (small ViTs: 2-3 blocks,
1-s windows; full width), in the official folder name, with the extras such files can carry."""
import io
import json
import subprocess
import sys

import pytest
import torch

from conftest import TRAINER
from s5trainer.models import build_model
from s5trainer.models.checkpoint import CheckpointError, save_official_layout
from s5trainer.models.m2dat import (M2D_AS_FILE, M2D_AS_FOLDER, M2D_AS_URL, default_m2d_weights,
                                    m2d_init_state_dict, read_m2d_encoder)
from s5trainer.train.checkpoint import load as load_training_checkpoint
from s5trainer.train.config import load_config
from s5trainer.train.events import Events
from s5trainer.train.loop import RunOptions, Trainer
from s5trainer.train.stop import StopFlag

torch.set_num_threads(2)
SMALL = {"depth": 3, "window_seconds": 1.0}


def _encoder_file(root, depth=3, window_seconds=1.0, seed=11, folder=M2D_AS_FOLDER, evar=False, norm_stats=True):
    """An M2D encoder file as the M2D tools write it (random weights), under the official names."""
    torch.manual_seed(seed)
    backbone = build_model("m2dat", depth=depth, window_seconds=window_seconds).backbone
    with torch.no_grad():
        backbone.norm_stats.copy_(torch.tensor([-6.2, 3.9]))
        backbone.cls_token.normal_(0, 0.3)
    sd = {k: v.clone() for k, v in backbone.state_dict().items()}
    if not norm_stats:
        sd.pop("norm_stats")
    if evar:   # an EVAR fine-tuning checkpoint: prefixed, wrapped, with its own head
        sd = {"model": {**{"module.ar.runtime.backbone." + k: v for k, v in sd.items()},
                        "module.head.mlp.mlp.0.weight": torch.zeros(527, 768 * 5)}}
    else:      # what to_encoder_only_weight leaves, plus a decoder key a full M2D file would have
        sd["decoder_blocks.0.attn.qkv.weight"] = torch.zeros(3, 3)
    path = root / folder / M2D_AS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(sd, path)
    return path, {k: v for k, v in backbone.state_dict().items()}


@pytest.mark.parametrize("evar", [False, True])
def test_the_encoder_file_becomes_the_backbone_and_the_head_keeps_its_init(tmp_path, evar):
    path, expected = _encoder_file(tmp_path, evar=evar)
    torch.manual_seed(99)
    model = build_model("m2dat", **SMALL)
    head_before = {k: v.clone() for k, v in model.state_dict().items() if k.startswith("head")}
    sd = m2d_init_state_dict(path, model)
    for k, v in expected.items():
        assert torch.equal(sd["backbone." + k], v), k
    for k, v in head_before.items():
        assert torch.equal(sd[k], v), k
    _, info = read_m2d_encoder(path)
    assert info["depth"] == 3 and info["norm_stats"] == pytest.approx([-6.2, 3.9])
    assert ("decoder_blocks.0.attn.qkv.weight" in info["dropped"]) != evar


def test_norm_stats_default_and_the_4_channel_model(tmp_path):
    path, expected = _encoder_file(tmp_path, norm_stats=False)
    model = build_model("m2dat4c", **SMALL)
    sd = m2d_init_state_dict(path, model)
    assert torch.equal(sd["m2d.backbone.blocks.2.mlp.fc2.weight"], expected["blocks.2.mlp.fc2.weight"])
    assert sd["m2d.backbone.norm_stats"].tolist() == pytest.approx([-7.1, 4.2])   # the official default


def test_a_missing_file_names_the_expected_place_and_the_download(tmp_path, monkeypatch):
    monkeypatch.setenv("S5_DATA_DIR", str(tmp_path / "data"))
    expected = tmp_path / "data" / "pretrained" / M2D_AS_FOLDER / M2D_AS_FILE
    assert default_m2d_weights() == expected
    with pytest.raises(CheckpointError) as e:
        m2d_init_state_dict(tmp_path / "nowhere.pth", build_model("m2dat", **SMALL))
    msg = str(e.value)
    assert str(tmp_path / "nowhere.pth") in msg and str(expected) in msg and M2D_AS_URL in msg
    assert "s5trainer m2d-weights" in msg


def test_unusable_files_are_refused_with_the_reason(tmp_path):
    model = build_model("m2dat", **SMALL)
    # a 16 kHz M2D (its folder says so)
    p16, _ = _encoder_file(tmp_path, folder="m2d_vit_base-80x608p16x16-220930-mr7_enconly")
    with pytest.raises(CheckpointError, match="80x1001p16x16p32k"):
        m2d_init_state_dict(p16, model)
    # a 10-s position table into a model of 1-s windows: the tensor and both shapes are named
    p10, _ = _encoder_file(tmp_path / "ten", window_seconds=10.0)
    with pytest.raises(CheckpointError, match=r"pos_embed \[1, 311, 768\] \(the model has \[1, 31, 768\]\)"):
        m2d_init_state_dict(p10, model)
    # a block with a missing tensor
    broken = tmp_path / "broken" / M2D_AS_FOLDER / M2D_AS_FILE
    broken.parent.mkdir(parents=True)
    sd = torch.load(p10)
    sd.pop("blocks.1.mlp.fc1.weight")
    torch.save(sd, broken)
    with pytest.raises(CheckpointError, match="blocks.1.mlp.fc1.weight"):
        m2d_init_state_dict(broken, model)
    # training checkpoints are not this loader's business: the usual loaders take them
    assert m2d_init_state_dict(save_official_layout(model, tmp_path / "x.ckpt"), model) is None


def test_m2d_weights_command_checks_the_file(tmp_path):
    path, _ = _encoder_file(tmp_path)
    env = {"PYTHONPATH": str(TRAINER), "S5_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    ok = subprocess.run([sys.executable, "-m", "s5trainer", "m2d-weights", str(path), "--json"], env=env,
                        capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)
    assert report["ok"] and report["depth"] == 3
    assert any("12" in w for w in report["warnings"])              # not the official size
    missing = subprocess.run([sys.executable, "-m", "s5trainer", "m2d-weights"], env=env,
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode != 0
    assert str(tmp_path / "data" / "pretrained" / M2D_AS_FOLDER / M2D_AS_FILE) in missing.stderr


def _train(tmp_path, name, model_cfg, lr=1e-3):
    cfg = {"task": "dcase2025t4", "model": {"arch": "m2dat", "overrides": SMALL, **model_cfg},
           "data": {"source": "random", "workers": 0}, "validation": {"every": 0, "source": "random", "n": 2},
           "train": {"steps": 2, "batch_size": 2, "lr": lr, "log_every": 1, "checkpoint_every": 2, "threads": 2}}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(cfg))
    workdir = tmp_path / name
    trainer = Trainer(RunOptions(workdir, load_config(path), device="cpu"), Events(name, io.StringIO(), None), StopFlag())
    trainer.setup()
    assert trainer.run() == 0
    return load_training_checkpoint(workdir / "checkpoints" / "last.pt")["state_dict"], workdir


def test_official_recipe_head_then_last_blocks(tmp_path):
    """Stage 1 (m2dat-head.yaml, lr 1e-3): model.init = the encoder file, only the head learns;
    stage 2 (m2dat-blocks.yaml, 2_blocks): from stage 1, the last two blocks, the final norm and
    the head."""
    path, enc = _encoder_file(tmp_path)
    head1, run1 = _train(tmp_path, "head", {"init": str(path), "init_strict": False, "finetune": "head"})
    for k, v in enc.items():
        assert torch.equal(head1["backbone." + k], v), f"stage 1 changed backbone.{k}"
    torch.manual_seed(0)
    fresh_head = build_model("m2dat", **SMALL).state_dict()["head.weight"]
    assert not torch.equal(head1["head.weight"], fresh_head)
    # (the official stage-2 rate is 1e-5; 1e-4 keeps two steps' changes far above float noise)
    blocks, _ = _train(tmp_path, "blocks", {"init": str(run1 / "checkpoints" / "last.pt"), "finetune": "2_blocks"}, lr=1e-4)
    frozen = [k for k in enc if k.startswith(("cls_token", "pos_embed", "patch_embed", "blocks.0.", "norm_stats"))]
    moved = [k for k in enc if k.startswith(("blocks.1.", "blocks.2.", "norm."))]
    for k in frozen:
        assert torch.equal(blocks["backbone." + k], head1["backbone." + k]), f"stage 2 changed backbone.{k}"
    assert all(not torch.equal(blocks["backbone." + k], head1["backbone." + k]) for k in moved if k.endswith("weight"))
    assert not torch.equal(blocks["head.weight"], head1["head.weight"])


def test_a_run_with_a_missing_encoder_fails_before_training(tmp_path, monkeypatch):
    monkeypatch.setenv("S5_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(CheckpointError) as e:
        _train(tmp_path, "nofile", {"init": str(tmp_path / "data" / "pretrained" / M2D_AS_FOLDER / M2D_AS_FILE),
                                    "init_strict": False, "finetune": "head"})
    assert "no such file" in str(e.value) and M2D_AS_URL in str(e.value)
    assert not (tmp_path / "nofile" / "checkpoints" / "last.pt").exists()


def test_freezing_an_untrained_backbone_warns(tmp_path, capsys):
    model = build_model("m2dat", **SMALL)
    model.set_finetuning("head")
    assert "untrained backbone" in capsys.readouterr().err
    path, _ = _encoder_file(tmp_path)
    m2d_init_state_dict(path, model)
    model.set_finetuning("head")
    assert capsys.readouterr().err == ""


def test_the_stand_in_helper_writes_an_official_size_encoder(tmp_path):
    """s5trainer.testing.make_m2d_encoder (the app's tests use it): the official folder and file
    name, 12 blocks x 768 with 311 position tokens, and the official-size M2D-AT loads every
    backbone tensor from it (blocks share their random tensors, so the file stays small)."""
    from s5trainer.models.m2dat import load_m2d_backbone
    from s5trainer.testing import make_m2d_encoder
    path = make_m2d_encoder(tmp_path / M2D_AS_FOLDER / M2D_AS_FILE)
    _, info = read_m2d_encoder(path)
    assert (info["depth"], info["dim"], info["tokens"]) == (12, 768, 311)
    assert path.stat().st_size < 40e6
    model = build_model("m2dat")
    load_m2d_backbone(model, path)
    sd = torch.load(path)
    assert torch.equal(model.backbone.blocks[11].mlp.fc2.weight, sd["blocks.11.mlp.fc2.weight"])
    assert torch.equal(model.backbone.pos_embed, sd["pos_embed"])
