"""Level normalisation inside the models, and the training-time scene augmentation."""
import numpy as np
import pytest
import torch

from s5trainer.models import build_model
from s5trainer.rooms.rotation import foa_rotation, rotate_foa
from s5trainer.train.augment import augment_item
from s5trainer.train.config import TrainConfig


def _scene(seed=0, n=16000 * 2):
    g = torch.Generator().manual_seed(seed)
    return 0.05 * torch.randn(1, 4, n, generator=g)


@pytest.mark.parametrize("gain_db", [-40.0, 20.0])
def test_tagger_with_input_level_is_level_invariant(gain_db):
    torch.manual_seed(0)
    tagger = build_model("tag-small", input_level_db=-28.0).eval()
    plain = build_model("tag-small").eval()
    plain.load_state_dict(tagger.state_dict())           # same weights, no normalisation
    x, g = _scene(), 10 ** (gain_db / 20)
    with torch.no_grad():
        assert torch.allclose(tagger(x), tagger(x * g), atol=1e-5)
        assert (plain(x) - plain(x * g)).abs().max() > 1e-3   # the reference really depends on level


def _assert_stems_scale_with_the_input(sep, x, lv):
    """Stems at −40 and +20 dB equal the 0-dB stems times the gain (relative error < 1e-8)."""
    with torch.no_grad():
        ref = sep(x, lv)
        for gain_db in (-40.0, 20.0):
            g = 10 ** (gain_db / 20)
            err = (sep(x * g, lv) - ref * g).pow(2).sum() / (ref * g).pow(2).sum()
            assert float(err) < 1e-8


def test_separator_with_input_level_scales_stems_with_the_input():
    torch.manual_seed(0)
    sep = build_model("sep-small-16k", input_level_db=-28.0).eval()
    x, lv = _scene(1), torch.zeros(1, 54)
    lv[0, 15] = 1.0
    _assert_stems_scale_with_the_input(sep, x, lv)


def test_input_level_scales_to_the_target_rms_and_keeps_silence_silent():
    m = build_model("tag-small", input_level_db=-20.0)
    x = _scene(2)
    y, gain = m.level(x)
    rms_db = 20 * np.log10(float(y[:, 0].pow(2).mean().sqrt()))
    assert abs(rms_db + 20.0) < 1e-3
    z, _ = m.level(torch.zeros(1, 4, 100))
    assert float(z.abs().max()) == 0.0


def _plane_wave(az_deg, el_deg, n=4000, seed=0):
    s = np.random.default_rng(seed).standard_normal(n).astype(np.float32)
    az, el = np.radians(az_deg), np.radians(el_deg)
    u = [np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)]
    return np.stack([s, u[1] * s, u[2] * s, u[0] * s]), s


def _intensity_direction(foa):
    ix, iy, iz = (float(np.dot(foa[0], foa[c])) for c in (3, 1, 2))
    return np.degrees(np.arctan2(iy, ix)), np.degrees(np.arctan2(iz, np.hypot(ix, iy)))


@pytest.mark.parametrize("az,el,yaw", [(30, 10, 45), (-120, 0, 200), (170, -25, -90)])
def test_yaw_rotation_moves_the_direction_by_the_angle(az, el, yaw):
    foa, _ = _plane_wave(az, el)
    a, e = _intensity_direction(rotate_foa(foa, foa_rotation(yaw)))
    assert abs(((a - (az + yaw)) + 180) % 360 - 180) < 1e-3
    assert abs(e - el) < 1e-3


def test_pitch_rotation_raises_the_front():
    foa, _ = _plane_wave(0, 0)
    a, e = _intensity_direction(rotate_foa(foa, foa_rotation(0, 30)))
    assert abs(a) < 1e-3 and abs(e - 30) < 1e-3


def test_augmentation_is_deterministic_and_keeps_w_references_consistent():
    cfg = TrainConfig.from_dict({"data": {"augment": {"rotate": True, "gain_db": [-20, 10], "tilt_db": 3}}}).data.augment
    foa, s = _plane_wave(40, 5, n=8000)
    item = {"mixture": foa, "dry": s[None], "labels": ["Speech"]}
    a = augment_item(item, cfg, 16000, (0, 7))
    b = augment_item(item, cfg, 16000, (0, 7))
    c = augment_item(item, cfg, 16000, (0, 8))
    assert np.array_equal(a["mixture"], b["mixture"]) and not np.array_equal(a["mixture"], c["mixture"])
    # W of the mixture and the reference went through the same gain and tilt: still identical
    assert np.allclose(a["mixture"][0], a["dry"][0], atol=1e-5 * np.abs(a["dry"]).max())
    # the dipole energy is preserved by the rotation (a rotation is orthogonal)
    e_in = sum(float(np.sum(a["mixture"][k] ** 2)) for k in (1, 2, 3))
    e_w = float(np.sum(a["mixture"][0] ** 2))
    assert abs(e_in / e_w - 1.0) < 1e-3


def test_augment_off_by_default():
    cfg = TrainConfig.from_dict({}).data.augment
    item = {"mixture": np.ones((4, 10), np.float32), "dry": np.ones((1, 10), np.float32), "labels": ["Speech"]}
    assert augment_item(item, cfg, 16000, (0, 1)) is item


def test_single_source_view_gives_one_target_with_leakage():
    from s5trainer.train.augment import single_source_item
    rng = np.random.default_rng(0)
    dry = rng.standard_normal((2, 1000)).astype(np.float32)
    rest = rng.standard_normal(1000).astype(np.float32)
    w = dry.sum(0) + rest
    item = {"mixture": np.stack([w, w, w, w]), "dry": dry, "labels": ["Speech", "Dishes"]}
    out = single_source_item(item, (0, 3), leak_db=(-20.0, -20.0))
    k = ["Speech", "Dishes"].index(out["labels"][0])
    assert out["mixture"].shape == (1, 1000) and len(out["labels"]) == 1
    expected = dry[k] + 0.1 * (w - dry[k])
    assert np.allclose(out["mixture"][0], expected, atol=1e-5)
    assert np.array_equal(single_source_item(item, (0, 3))["mixture"], single_source_item(item, (0, 3))["mixture"])


def test_export_input_level_makes_a_trained_model_level_invariant_with_its_own_weights():
    """``export --input-level-db``: the same weights, the level normalised in the graph (how the
    shipped v2 separator was made from v1)."""
    from s5trainer.export.cli import _with_input_level
    torch.manual_seed(0)
    plain = build_model("sep-small-16k").eval()
    ln = _with_input_level(plain, -28.0)
    assert ln.overrides == {"input_level_db": -28.0}
    for k, v in plain.state_dict().items():
        assert torch.equal(ln.state_dict()[k], v)
    x, lv = _scene(1), torch.zeros(1, 54)
    lv[0, 3] = 1.0
    _assert_stems_scale_with_the_input(ln, x, lv)
    with torch.no_grad():
        # at the target level itself the normalisation is the identity: the plain model's output
        w_rms = float(x[:, 0].pow(2).mean().sqrt())
        x0 = x * (10 ** (-28.0 / 20) / w_rms)
        assert torch.allclose(ln(x0, lv), plain(x0, lv), atol=1e-5)
