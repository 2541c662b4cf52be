"""Training config: shipped files load, unknown keys and bad types fail by name, dotted overrides."""
from pathlib import Path

import pytest

from conftest import TRAINER
from s5trainer.train.config import ConfigError, TrainConfig, load_config

CONFIGS = sorted((TRAINER / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_shipped_configs_load(path):
    cfg = load_config(path)
    assert cfg.model.arch and cfg.train.steps >= 1
    from s5trainer.models import get_spec
    get_spec(cfg.model.arch)


def test_defaults_follow_the_baseline_optimiser():
    t = TrainConfig().train
    assert (t.lr, t.amsgrad, t.grad_clip, t.weight_decay, t.eps) == (1e-4, True, 0.5, 0.0, 1e-8)


def test_unknown_key_lists_the_accepted_ones(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("train: {lrate: 0.1}\n")
    with pytest.raises(ConfigError, match=r"train\.lrate.*accepted under train: steps, batch_size, lr"):
        load_config(p)


def test_types_and_choices_are_checked():
    with pytest.raises(ConfigError, match="train.lr must be a number"):
        TrainConfig.from_dict({"train": {"lr": "fast"}})
    with pytest.raises(ConfigError, match="data.source = 'web'.*synth, folder, random"):
        TrainConfig.from_dict({"data": {"source": "web"}})
    with pytest.raises(ConfigError, match="until_step must increase"):
        TrainConfig.from_dict({"data": {"curriculum": [{"until_step": 5, "nevent_range": [1, 1]},
                                                       {"until_step": 5, "nevent_range": [1, 2]}]}})


def test_dotted_overrides_and_yaml_numbers(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("train:\n  lr: 1e-4\n")                 # PyYAML reads this as a string
    cfg = load_config(p, ["train.lr=3e-4", "data.nevent_range=[1, 2]", "validation.partner=null",
                          "model.arch=tag-small", "task=dcase2026t4"])
    assert cfg.train.lr == pytest.approx(3e-4) and isinstance(cfg.train.lr, float)
    assert cfg.data.nevent_range == [1, 2] and cfg.validation.partner is None
    assert cfg.model.arch == "tag-small" and cfg.mode == "2026"
    assert load_config(Path(p)).train.lr == pytest.approx(1e-4)
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        load_config(None, ["train.lr"])
