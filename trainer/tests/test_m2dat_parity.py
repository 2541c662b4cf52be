"""M2D-AT against the official forward at several input lengths (issue #14).

The expected values come from a re-implementation, in this file, of the official PortableM2D
path (nttcslab/dcase2025_task4_baseline ``portable_m2d.py`` / ``m2dat.py``), written from that
code's steps and computed from the raw weights with torch.nn.functional only:

  encode_lms: pad the normalised log-mel with zeros to a multiple of 16 frames, cut into
  1001-frame chunks; forward_encoder per chunk: 16x16 patch conv, flatten freq-major, add the
  position embedding shortened to the frames present, prepend CLS(+pos), timm ViT blocks
  (pre-norm, eps 1e-6, GELU MLP), final LayerNorm; drop CLS; 'b (f t) d -> b t (f d)'.
  M2dAt.forward: mean over time -> BatchNorm1d (running stats) -> Linear -> sigmoid.

Lengths 1001, 992, 501, 331, 301 frames (10 s, a whole number of patches, 5 s, 3.3 s, 3 s at
32 kHz): all but 992 end in a partial patch, which the official code pads and keeps.
The log-mel front end is the model's own (its parity with nnAudio is tested elsewhere).
"""
import json
import math

import pytest
import torch
import torch.nn.functional as F

from s5trainer.export import export_model, node_engine_missing
from s5trainer.models import build_model

torch.set_num_threads(2)

HOP = 320
LENGTHS = [1001, 992, 501, 331, 301]           # log-mel frames (center=True: samples // 320 + 1)


def _perturbed(model, seed):
    """Random weights everywhere (LayerNorms, BatchNorm running stats, norm_stats included)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in list(model.named_parameters()) + list(model.named_buffers()):
            if "to_spec" in name or p.dtype != torch.float32 or p.ndim == 0:
                continue
            if name.endswith("running_var"):
                p.copy_(0.5 + torch.rand(p.shape, generator=g))
            elif name.endswith("norm_stats"):
                p.copy_(torch.tensor([-6.5, 3.8]))
            else:
                p.copy_(p + 0.05 * torch.randn(p.shape, generator=g))
    return model.eval()


def _official_block(x, sd, pre, heads):
    """timm ``Block``: x + Attn(LN1(x)); x + MLP(LN2(x)); from the state dict."""
    d = x.shape[-1]
    h = F.layer_norm(x, (d,), sd[pre + "norm1.weight"], sd[pre + "norm1.bias"], eps=1e-6)
    qkv = F.linear(h, sd[pre + "attn.qkv.weight"], sd[pre + "attn.qkv.bias"])
    b, n, _ = qkv.shape
    q, k, v = qkv.reshape(b, n, 3, heads, d // heads).permute(2, 0, 3, 1, 4)
    att = torch.softmax((q @ k.transpose(-2, -1)) / math.sqrt(d // heads), dim=-1)
    x = x + F.linear((att @ v).transpose(1, 2).reshape(b, n, d), sd[pre + "attn.proj.weight"], sd[pre + "attn.proj.bias"])
    h = F.layer_norm(x, (d,), sd[pre + "norm2.weight"], sd[pre + "norm2.bias"], eps=1e-6)
    h = F.gelu(F.linear(h, sd[pre + "mlp.fc1.weight"], sd[pre + "mlp.fc1.bias"]))
    return x + F.linear(h, sd[pre + "mlp.fc2.weight"], sd[pre + "mlp.fc2.bias"])


def _official_encode_lms(lms, sd, pre, depth, heads, unit_frames=1001, patch=16, fbins=5):
    """PortableM2D.encode_lms (flat_features False) on a normalised log-mel [B, 1, 80, T]."""
    n_chunk = (lms.shape[-1] + unit_frames - 1) // unit_frames
    pad = (patch - lms.shape[-1] % patch) % patch
    x = F.pad(lms, (0, pad)) if pad > 0 else lms
    pos_all = sd[pre + "pos_embed"]
    out = []
    for i in range(n_chunk):
        e = F.conv2d(x[..., i * unit_frames:(i + 1) * unit_frames], sd[pre + "patch_embed.proj.weight"],
                     sd[pre + "patch_embed.proj.bias"], stride=patch)
        e = e.flatten(2).transpose(1, 2)                                   # BCHW -> BNC
        pos = pos_all[:, 1:, :]
        if e.shape[1] < pos.shape[1]:
            frames = e.shape[1] // fbins
            pos = pos.reshape(1, fbins, -1, pos.shape[-1])[:, :, :frames, :].reshape(1, fbins * frames, -1)
        e = e + pos
        cls = (sd[pre + "cls_token"] + pos_all[:, :1, :]).expand(e.shape[0], -1, -1)
        e = torch.cat([cls, e], dim=1)
        for j in range(depth):
            e = _official_block(e, sd, f"{pre}blocks.{j}.", heads)
        e = F.layer_norm(e, (e.shape[-1],), sd[pre + "norm.weight"], sd[pre + "norm.bias"], eps=1e-6)
        e = e[:, 1:, :]
        b, ft, d = e.shape
        out.append(e.reshape(b, fbins, ft // fbins, d).permute(0, 2, 1, 3).reshape(b, ft // fbins, fbins * d))
    return torch.cat(out, dim=-2)


def _wave(frames, batch, channels=None, seed=1):
    g = torch.Generator().manual_seed(seed + frames)
    n = (frames - 1) * HOP
    shape = (batch, n) if channels is None else (batch, channels, n)
    return 0.1 * torch.randn(shape, generator=g)


@pytest.fixture(scope="module")
def m2dat():
    torch.manual_seed(0)
    return _perturbed(build_model("m2dat", depth=2), seed=3)


@pytest.mark.parametrize("frames", LENGTHS)
def test_m2dat_matches_the_official_forward(m2dat, frames):
    sd = m2dat.state_dict()
    wav = _wave(frames, batch=2)
    with torch.no_grad():
        lms = m2dat.to_normalized_feature(wav)
        assert lms.shape[-1] == frames
        emb = _official_encode_lms(lms, sd, "backbone.", depth=2, heads=12)
        assert emb.shape[1] == math.ceil(frames / 16) if frames < 1001 else emb.shape[1] == 62
        x = emb.mean(1)
        x = (x - sd["head_norm.running_mean"]) / torch.sqrt(sd["head_norm.running_var"] + 1e-5)
        expected = torch.sigmoid(F.linear(x, sd["head.weight"], sd["head.bias"]))
        got = m2dat(wav.unsqueeze(1).expand(-1, 4, -1).contiguous())           # 4-ch input, ref channel 0
    assert got.shape == (2, 18)
    err = (got - expected).abs().max().item()
    # Not vacuous: the outputs spread over the range, and dropping the partial patch (the old
    # behaviour) is far outside the tolerance for every length that has one.
    assert expected.std() > 0.05
    assert err < 2e-5, f"{frames} frames: max |diff| {err:.2e}"
    if frames % 16 and frames < 1001:
        with torch.no_grad():
            dropped = m2dat.backbone(lms[..., : frames // 16 * 16])[:, 1:, :]
            xd = dropped.reshape(2, 5, -1, 768).permute(0, 2, 1, 3).reshape(2, -1, 3840).mean(1)
            xd = (xd - sd["head_norm.running_mean"]) / torch.sqrt(sd["head_norm.running_var"] + 1e-5)
            old = torch.sigmoid(F.linear(xd, sd["head.weight"], sd["head.bias"]))
        assert (old - expected).abs().max().item() > 100 * max(err, 1e-7)


@pytest.mark.parametrize("frames", [1001, 501, 331])
def test_m2dat4c_encodes_each_channel_like_the_official_forward(frames):
    """The 4-channel 2026 model shares the encoder: per channel the official encode_lms, the four
    [T, 3840] sequences side by side per time step, then the slot head."""
    torch.manual_seed(0)
    model = _perturbed(build_model("m2dat4c", depth=1), seed=5)
    sd = model.state_dict()
    wav = _wave(frames, batch=1, channels=4)
    with torch.no_grad():
        lms = model.m2d.to_normalized_feature(wav.reshape(4, -1))
        emb = _official_encode_lms(lms, sd, "m2d.backbone.", depth=1, heads=12)   # [4, T, 3840]
        per_time = emb.permute(1, 0, 2).reshape(1, emb.shape[1], 4 * 3840)
        expected = torch.softmax(model.head(per_time), dim=-1)
        got = model(wav)
    assert got.shape == (1, 3, 19)
    assert (got - expected).abs().max().item() < 2e-5


@pytest.mark.skipif(node_engine_missing() is not None, reason=f"ONNX Runtime (node) unavailable: {node_engine_missing()}")
def test_exported_m2dat_pads_like_the_official_forward(tmp_path):
    """The ONNX graph (traced at 10 s) pads other lengths too: export parity at 5 s (501
    frames, a partial patch) through the app's ONNX Runtime."""
    torch.manual_seed(0)
    model = _perturbed(build_model("m2dat", depth=1), seed=7)
    d = export_model(model, tmp_path / "m2dat-pad", {"parity_seconds": 5.0})
    man = json.loads((d / "manifest.json").read_text())
    assert man["metrics"]["onnx_parity_max_abs_probabilities"] < 1e-5
