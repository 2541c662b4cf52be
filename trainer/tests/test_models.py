"""Model architectures: registry, official parameter counts, shapes, front ends, checkpoints."""
import functools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from s5trainer.labels import CLASSES
from s5trainer.models import (ARCHS, UnknownArchError, build_model, count_params, get_spec,
                              label_vector, load_checkpoint, load_official, save_checkpoint,
                              save_official_layout)
from s5trainer.models.checkpoint import detect_official_arch, strip_official_prefix
from s5trainer.models.frontends import ISTFT, STFT, slaney_mel_filterbank
from s5trainer.models.resunet import TransposedConvKS

torch.set_num_threads(2)

OFFICIAL = {"resunet": 26_721_747, "resunetk": 26_740_971, "m2dat": 85_562_130,
            "m2dat-2026": 85_492_992 + 13_412_409, "m2dat4c": 85_492_992 + 48_801_849}


def _seed():
    torch.manual_seed(0)


@functools.lru_cache(maxsize=None)
def _official(arch):
    """Official-size models are built once per test session (eval mode, seeded)."""
    torch.manual_seed(0)
    return build_model(arch).eval()


def test_registry_lookup_and_errors():
    assert get_spec("ResUNetK").id == "resunetk"
    assert {"resunet", "resunetk", "m2dat", "m2dat4c", "sep-small-16k", "sep-small-32k",
            "tag-small"} <= set(ARCHS)
    with pytest.raises(UnknownArchError) as e:
        build_model("unet9000")
    assert "resunetk" in str(e.value) and "tag-small" in str(e.value)
    with pytest.raises(UnknownArchError):
        build_model("tag-small", no_such_option=1)


@pytest.mark.parametrize("arch", list(OFFICIAL))
def test_official_parameter_counts(arch):
    m = _official(arch)
    trainable, total = count_params(m)
    assert trainable == OFFICIAL[arch] == ARCHS[arch].expected_trainable
    assert m.kind == ARCHS[arch].kind and m.arch == arch and m.labels == list(CLASSES)
    if arch.startswith("resunet"):
        assert total - trainable == 3_147_776          # frozen STFT/ISTFT kernels (spec §4.6)
    else:
        assert total - trainable == 2                  # frozen norm_stats


def test_m2dat_stage2_trainable_count():
    m = _official("m2dat")
    try:
        m.set_finetuning("2_blocks")
        assert count_params(m)[0] == 14_246_418            # spec §3.4
        m.set_finetuning("head")
        assert count_params(m)[0] == 69_138
    finally:
        m.set_finetuning("all")


@pytest.mark.parametrize("arch,seconds,batch", [
    ("sep-small-16k", 0.6, 2), ("sep-small-32k", 0.3, 1), ("resunet", 0.3, 1), ("resunetk", 0.3, 1)])
def test_separator_shapes_and_silence(arch, seconds, batch):
    _seed()
    m = _official(arch) if arch in OFFICIAL else build_model(arch).eval()
    mix, lv = m.example_inputs(seconds=seconds, batch=batch)
    with torch.no_grad():
        y = m(mix, lv)
    assert y.shape == (batch, m.slots, mix.shape[-1])
    assert torch.isfinite(y).all()
    blocks = lv.reshape(batch, m.slots, 18).abs().sum(-1)
    for b in range(batch):
        for s in range(m.slots):
            if blocks[b, s] == 0:
                assert torch.count_nonzero(y[b, s]) == 0
            else:
                assert y[b, s].abs().max() > 0


@pytest.mark.parametrize("arch,seconds,shape", [
    ("tag-small", 1.0, (2, 18)), ("tag-small-32k", 0.5, (2, 18)), ("tag-small-2026", 1.0, (2, 3, 19)),
    ("m2dat", 0.5, (2, 18)), ("m2dat-2026", 0.3, (2, 3, 19)), ("m2dat4c", 0.3, (2, 3, 19))])
def test_tagger_shapes(arch, seconds, shape):
    _seed()
    m = _official(arch) if arch in OFFICIAL else build_model(arch).eval()
    (mix,) = m.example_inputs(seconds=seconds, batch=2)
    with torch.no_grad():
        p = m(mix)
    assert tuple(p.shape) == shape
    assert (p >= 0).all() and (p <= 1).all()
    if len(shape) == 3:
        assert torch.allclose(p.sum(-1), torch.ones(shape[:2]), atol=1e-5)


def test_default_variants_are_small_and_trainable():
    _seed()
    sep = build_model("sep-small-16k")
    tag = build_model("tag-small")
    assert 1_000_000 <= count_params(sep)[0] <= 3_000_000
    assert 300_000 <= count_params(tag)[0] <= 1_000_000
    mix, lv = sep.example_inputs(seconds=0.3, batch=2)
    loss = sep(mix, lv).pow(2).mean() + tag.forward_logits(mix).pow(2).mean()
    loss.backward()
    assert sep.base.encoder_block1.conv_block1.conv1.weight.grad is not None
    assert sep.base.stft.conv_real.weight.grad is None          # frozen front end


@pytest.mark.parametrize("n_fft,hop", [(1024, 160), (512, 160), (512, 128)])
def test_stft_istft_match_torch(n_fft, hop):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 8000 + 37, generator=g)
    re, im = STFT(n_fft, hop)(x)
    ref = torch.stft(x, n_fft, hop, window=torch.hann_window(n_fft), center=True, pad_mode="reflect",
                     return_complex=True).transpose(1, 2)
    scale = ref.abs().max()
    assert (re - ref.real).abs().max() / scale < 1e-6 and (im - ref.imag).abs().max() / scale < 1e-6
    y = ISTFT(n_fft, hop)(re, im, x.shape[1])
    assert (y - x).abs().max() < 1e-5


@pytest.mark.parametrize("stride", [(2, 2), (1, 2)])
def test_transposed_conv_equivalence(stride):
    torch.manual_seed(0)
    m = TransposedConvKS(6, 5, stride)
    x = torch.randn(2, 6, 7, 4)
    assert torch.allclose(m(x), F.conv_transpose2d(x, m.weight, stride=stride), atol=1e-6)


def test_slaney_mel_matches_spec_formula():
    w = slaney_mel_filterbank(32000, 800, 80, 50.0, 16000.0)
    assert w.shape == (80, 401) and (w >= 0).all()

    def mel(f):
        return 3 * f / 200 if f < 1000 else 15 + np.log(f / 1000) / (np.log(6.4) / 27)

    def hz(m):
        return 200 * m / 3 if m < 15 else 1000 * np.exp((m - 15) * np.log(6.4) / 27)
    pts = [hz(v) for v in np.linspace(mel(50), mel(16000), 82)]
    i, k = 10, int(round(pts[11] / 40))
    fk = k * 40.0
    expect = max(0, min((fk - pts[i]) / (pts[i + 1] - pts[i]), (pts[i + 2] - fk) / (pts[i + 2] - pts[i + 1])))
    expect *= 2 / (pts[i + 2] - pts[i])
    assert w[i, k] == pytest.approx(expect, rel=1e-9)


def test_label_vector_helper():
    v = label_vector(["Speech", "silence", "AlarmClock"])
    assert v.shape == (54,) and v[15] == 1 and v[18:36].sum() == 0 and v[36] == 1


@pytest.mark.parametrize("arch", ["resunetk", "m2dat"])
def test_official_layout_round_trip_strict(tmp_path, arch):
    src = _official(arch)
    path = save_official_layout(src, tmp_path / f"{arch}.ckpt")
    raw = torch.load(path, map_location="cpu")
    assert all(k.startswith("model.") for k in raw["state_dict"])
    assert detect_official_arch(raw["state_dict"]) == arch
    dst, info = load_official(path)                  # auto-detected, strict=True inside
    assert info["arch"] == arch
    assert info["ignored_objects"] == ["argparse.Namespace"]   # Lightning's hparams object, not built
    a, b = src.state_dict(), dst.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


class _Hostile:
    """Unpickling this would run a shell command (the classic malicious-pickle pattern)."""
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os
        return (os.system, (f"touch {self.marker}",))


def test_import_official_runs_no_code_from_the_file(tmp_path):
    """An official-layout checkpoint carrying a code-executing object loads its weights; the
    object becomes an inert placeholder and the command it names never runs."""
    _seed()
    src = build_model("m2dat", depth=1)
    marker = tmp_path / "pwned"
    sd = {"model." + k: v for k, v in src.state_dict().items()}
    torch.save({"state_dict": sd, "global_step": 7, "hyper_parameters": {"x": _Hostile(marker)}},
               tmp_path / "hostile.ckpt")
    from s5trainer.models.safe_load import load_inert
    obj, ignored = load_inert(tmp_path / "hostile.ckpt")
    assert not marker.exists()
    assert ignored in (["posix.system"], ["nt.system"])
    assert repr(obj["hyper_parameters"]["x"]).startswith("<inert ")
    assert torch.equal(obj["state_dict"]["model.head.weight"], src.state_dict()["head.weight"])
    # The test is not vacuous: the classic unpickler does run it.
    torch.load(tmp_path / "hostile.ckpt", map_location="cpu", weights_only=False)
    assert marker.exists()


def test_official_names_m2dat4c_and_resunet():
    _seed()
    small = build_model("m2dat4c", depth=1)
    keys = list(small.state_dict())
    assert "m2d.backbone.norm_stats" in keys and "head.tracks.2.3.weight" in keys
    sd = {"model." + k: v for k, v in small.state_dict().items()}
    again = build_model("m2dat4c", depth=1)
    again.load_state_dict(strip_official_prefix(list(again.state_dict()), sd), strict=True)
    assert detect_official_arch(sd) == "m2dat4c"
    one = build_model("m2dat-2026", depth=1)
    assert "head.tracks.0.3.weight" in one.state_dict() and "head_norm.running_var" in one.state_dict()
    assert detect_official_arch({"model." + k: v for k, v in one.state_dict().items()}) == "m2dat-2026"
    assert one.task == "dcase2026t4" and build_model("m2dat").task == "dcase2025t4"
    r = _official("resunet").state_dict()
    for k in ("base.stft.conv_real.weight", "base.istft.ola_window", "base.conv_block7a.conv_block1.bn1.weight",
              "base.decoder_block1.bn2.running_var", "film.decoder_block1->beta2.weight",
              "film.decoder_block6->conv_block2->beta2.bias", "label_embedding.4.weight"):
        assert k in r, k
    assert tuple(r["base.decoder_block3.conv1.weight"].shape) == (384, 256, 2, 2)


def test_s5trainer_checkpoint_round_trip(tmp_path):
    _seed()
    m = build_model("sep-small-16k", widths=(8, 16, 16, 16, 16))
    p = save_checkpoint(m, tmp_path / "c.pt", {"steps": 3, "data": "unit"})
    m2, meta = load_checkpoint(p)
    assert meta["steps"] == 3 and m2.arch == "sep-small-16k"
    assert m2.overrides["widths"] == (8, 16, 16, 16, 16)
    assert all(torch.equal(a, b) for a, b in zip(m.state_dict().values(), m2.state_dict().values()))


def test_official_load_tolerates_only_constant_buffers(tmp_path):
    from s5trainer.models import CheckpointError
    src = _official("resunetk")
    sd = {"model." + k: v for k, v in src.state_dict().items()}
    sd.pop("model.base.istft.ola_window")                 # recomputable constant: filled in
    torch.save({"state_dict": sd}, tmp_path / "a.ckpt")
    _, info = load_official(tmp_path / "a.ckpt")
    assert info["filled_constants"] == ["base.istft.ola_window"]
    sd.pop("model.base.bn0.weight")                        # learned weight: refused
    torch.save({"state_dict": sd}, tmp_path / "b.ckpt")
    with pytest.raises(CheckpointError):
        load_official(tmp_path / "b.ckpt")
