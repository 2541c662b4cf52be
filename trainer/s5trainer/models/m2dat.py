"""M2D-AT audio taggers: the 2025 1-channel model (spec s5-task §3) and the 2026 4-channel model
(spec s5-2026 §2.2), written from the spec.

Parameter/buffer names follow the official checkpoints (``PortableM2D`` + timm ViT):
``backbone.{cls_token,pos_embed,norm_stats}``, ``backbone.patch_embed.proj``,
``backbone.blocks.<i>.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}``, ``backbone.norm``,
``to_spec.{mel_basis,stft.wsin,stft.wcos,stft.window_mask}``, ``head_norm`` (BN1d, affine off) and
``head`` (Linear 3840->18) for 2025. The 2026 4-channel model wraps one of these as ``m2d`` (no
head) and adds ``head.{m2d_out_norm,linear.0,linear.1,tracks.<k>.{0,1,3}}``.

Pipeline: log-mel (800/320, 80 Slaney mels 50-16000 Hz, ln(x+eps), (x-mean)/std with
``backbone.norm_stats``) -> zero-pad to whole 16-frame patches (official ``encode_lms``) ->
16x16 patches (5 x 62 for 10 s, 5 x 32 for 5 s) -> 12 pre-norm blocks -> LN ->
drop CLS -> regroup to [B, T, 5*768] -> time mean -> head. Inputs up to 1001 frames (10.0 s at
32 kHz); longer inputs are refused (the official code would chunk them - do that outside).
"""
from __future__ import annotations


import torch
import torch.nn as nn

from .common import N_CLASSES, S5Model
from .frontends import MelSTFT, batch_norm_last

EPS32 = float(torch.finfo(torch.float32).eps)


def _clipped_normal(t: torch.Tensor, std: float) -> None:
    with torch.no_grad():
        t.normal_(0.0, std).clamp_(-2 * std, 2 * std)


class PatchEmbed(nn.Module):
    def __init__(self, patch=(16, 16), dim=768):
        super().__init__()
        self.proj = nn.Conv2d(1, dim, kernel_size=patch, stride=patch)

    def forward(self, x):
        return self.proj(x)                       # [B, D, Fp, Tp]


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = torch.softmax(torch.matmul(q * self.scale, k.transpose(-2, -1)), dim=-1)
        return self.proj(torch.matmul(attn, v).transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio=4.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class LocalViT(nn.Module):
    """ViT encoder over a [B, 1, n_mels, T] log-mel image; returns [B, 1 + Fp*Tp, D]."""

    def __init__(self, n_mels=80, frames=1001, patch=(16, 16), dim=768, depth=12, heads=12):
        super().__init__()
        self.grid = (n_mels // patch[0], frames // patch[1])
        self.patch = patch
        self.dim = dim
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + self.grid[0] * self.grid[1], dim))
        self.patch_embed = PatchEmbed(patch, dim)
        self.blocks = nn.ModuleList([Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.norm_stats = nn.Parameter(torch.tensor([-7.1, 4.2]), requires_grad=False)
        # Backbone weights normally come from the pretrained M2D checkpoint; this init only has
        # to be sane and fast (normal clipped at 2 std instead of the slow exact truncation).
        _clipped_normal(self.pos_embed, 0.02)
        nn.init.normal_(self.cls_token, std=1e-6)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                _clipped_normal(m.weight, 0.02)
                nn.init.zeros_(m.bias)

    def forward(self, lms: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(lms)                                   # [B, D, Fp, Tp]
        b, d, fp, tp = x.shape
        x = x.flatten(2).transpose(1, 2)                            # [B, Fp*Tp, D] (freq-major)
        pos = self.pos_embed[:, 1:, :].reshape(1, self.grid[0], self.grid[1], d)[:, :, :tp, :]
        x = x + pos.reshape(1, fp * tp, d)
        cls = (self.cls_token + self.pos_embed[:, :1, :]).expand(b, -1, -1)
        x = torch.cat([cls, x], dim=1)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)


class M2dAt(S5Model):
    """M2D-AT. ``head``: 'linear' (2025: BN1d + Linear -> sigmoid [B,18]), 'identity' (encoder
    only, used inside :class:`M2dAtSpatial`), 'tracks' (2026 1-channel: slot MLP head, softmax
    [B,3,19]). ``depth``/``dim``/``heads`` may be reduced for a small ViT or for tests."""

    def __init__(self, head="linear", num_classes=None, num_outputs=3, ref_channel=0, channels=4,
                 sample_rate=32000, window_seconds=10.0, n_mels=80, depth=12, dim=768, heads=12,
                 track_input_dim=1024, track_hidden_dim=512, task=None):
        super().__init__()
        if sample_rate != 32000:
            raise ValueError("M2D-AT is defined for 32 kHz input (log-mel 800/320)")
        frames = int(round(window_seconds * sample_rate)) // 320 + 1
        if num_classes is None:
            num_classes = N_CLASSES if head == "linear" else N_CLASSES + 1
        self.head_kind = head
        self.ref_channel = ref_channel
        self.num_classes = num_classes
        self.num_outputs = num_outputs
        slots = 3 if head == "linear" else num_outputs
        self._set_contract("tagger", sample_rate, window_seconds, channels, slots,
                           task or ("dcase2025t4" if head == "linear" else "dcase2026t4"))
        self.backbone = LocalViT(n_mels, frames, (16, 16), dim, depth, heads)
        self.feature_d = dim * (n_mels // 16)
        self.max_frames = frames
        self.head_norm = nn.BatchNorm1d(self.feature_d, affine=False)
        if head == "linear":
            self.head = nn.Linear(self.feature_d, num_classes)
            nn.init.trunc_normal_(self.head.weight, std=2e-5)
            nn.init.zeros_(self.head.bias)
        elif head == "tracks":
            self.head = HeadAvgLinear(self.feature_d, num_outputs, num_classes,
                                      track_input_dim, track_hidden_dim)
        elif head == "identity":
            self.head = nn.Identity()
        else:
            raise ValueError(f"unknown head {head!r} (linear, tracks, identity)")
        self.to_spec = MelSTFT(32000, 800, 320, n_mels, 50.0, 16000.0, power=2.0)
        self.input_names = ["mixture"]
        self.output_names = ["probabilities"]

    # official PortableM2D steps ------------------------------------------------------------
    def to_normalized_feature(self, wav: torch.Tensor) -> torch.Tensor:
        x = torch.log(self.to_spec(wav) + EPS32)[:, None]               # [B, 1, M, T]
        return (x - self.backbone.norm_stats[0]) / self.backbone.norm_stats[1]

    def encode(self, wav: torch.Tensor) -> torch.Tensor:
        """[N, L] -> [N, Tp, Fp*D] (per time step the Fp frequency tokens concatenated).

        Like the official ``encode_lms``: the normalised log-mel is zero-padded on the right to
        a whole number of 16-frame patches (a partial last patch becomes a patch of its own,
        not dropped), then cut to the model's ``max_frames`` (1001: its 62 patches) — so a 5-s
        input (501 frames) gives 32 patches, a 10-s one (1001 frames) still 62."""
        x = self.to_normalized_feature(wav)
        if not torch.jit.is_tracing() and x.shape[-1] > self.max_frames:
            raise ValueError(f"input of {x.shape[-1]} frames exceeds {self.max_frames}; "
                             "split longer audio into windows")
        x = pad_to_patches(x, self.backbone.patch[1])[..., :self.max_frames]
        e = self.backbone(x)[:, 1:, :]
        n, _, d = e.shape
        fp = self.backbone.grid[0]
        return e.reshape(n, fp, -1, d).permute(0, 2, 1, 3).reshape(n, -1, fp * d)

    def forward_logits(self, mixture: torch.Tensor) -> torch.Tensor:
        wav = mixture[:, self.ref_channel] if mixture.dim() == 3 else mixture
        x = self.encode(wav)
        if self.head_kind == "identity":
            return x
        if self.head_kind == "linear":
            return self.head(batch_norm_last(self.head_norm, x.mean(1)))
        return self.head(x)

    def forward(self, mixture: torch.Tensor) -> torch.Tensor:
        logits = self.forward_logits(mixture)
        if self.head_kind == "linear":
            return torch.sigmoid(logits)
        if self.head_kind == "tracks":
            return torch.softmax(logits, dim=-1)
        return logits

    def set_finetuning(self, mode: str = "all") -> None:
        """Official freezing map: 'head', 'backbone_out', '<k>_blocks', 'all'."""
        set_finetuning(self.backbone, [self.head_norm, self.head], mode)
        _warn_untrained(self.backbone, mode)

    def io_spec(self):
        ins = [{"name": "mixture", "shape": ["batch", self.channels, "samples"], "dtype": "float32"}]
        if self.head_kind == "linear":
            outs = [{"name": "probabilities", "shape": ["batch", self.num_classes], "dtype": "float32"}]
        else:
            outs = [{"name": "probabilities", "shape": ["batch", self.num_outputs, self.num_classes],
                     "dtype": "float32"}]
        return ins, outs

    def example_inputs(self, seconds: float | None = None, batch: int = 1, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        n = int(round((seconds or self.window_seconds) * self.sample_rate))
        return (0.1 * torch.randn(batch, self.channels, n, generator=g),)


class HeadAvgLinear(nn.Module):
    """2026 head: time mean -> BN1d(affine off) -> Linear(D, S*1024) -> LN -> ReLU ->
    per slot Linear(1024,512) -> LN -> ReLU -> Linear(512, classes)."""

    def __init__(self, feature_d, num_outputs=3, num_classes=19, track_input_dim=1024,
                 track_hidden_dim=512):
        super().__init__()
        self.num_outputs = num_outputs
        self.track_input_dim = track_input_dim
        self.m2d_out_norm = nn.BatchNorm1d(feature_d, affine=False)
        self.linear = nn.Sequential(nn.Linear(feature_d, track_input_dim * num_outputs),
                                    nn.LayerNorm(track_input_dim * num_outputs), nn.ReLU())
        self.tracks = nn.ModuleList([
            nn.Sequential(nn.Linear(track_input_dim, track_hidden_dim), nn.LayerNorm(track_hidden_dim),
                          nn.ReLU(), nn.Linear(track_hidden_dim, num_classes))
            for _ in range(num_outputs)])

    def forward(self, x):                                         # [B, T, D] -> [B, S, classes]
        x = self.linear(batch_norm_last(self.m2d_out_norm, x.mean(1)))
        x = x.reshape(x.shape[0], self.num_outputs, self.track_input_dim)
        return torch.stack([trk(x[:, i]) for i, trk in enumerate(self.tracks)], dim=1)


class M2dAtSpatial(S5Model):
    """2026 4-channel tagger: shared M2D encoder per channel, concatenated per time step
    ([B, T, 4*3840]), HeadAvgLinear -> softmax per slot [B, 3, 19] (silence = index 18)."""

    def __init__(self, nchan=4, num_outputs=3, num_classes=N_CLASSES + 1, sample_rate=32000,
                 window_seconds=10.0, depth=12, dim=768, heads=12, track_input_dim=1024,
                 track_hidden_dim=512, task="dcase2026t4"):
        super().__init__()
        self._set_contract("tagger", sample_rate, window_seconds, nchan, num_outputs, task)
        self.nchan, self.num_outputs, self.num_classes = nchan, num_outputs, num_classes
        self.m2d = M2dAt(head="identity", num_classes=num_classes, num_outputs=num_outputs,
                         ref_channel=None, channels=nchan, sample_rate=sample_rate,
                         window_seconds=window_seconds, depth=depth, dim=dim, heads=heads)
        self.head = HeadAvgLinear(nchan * self.m2d.feature_d, num_outputs, num_classes,
                                  track_input_dim, track_hidden_dim)
        self.input_names = ["mixture"]
        self.output_names = ["probabilities"]

    def forward_logits(self, mixture: torch.Tensor) -> torch.Tensor:
        b, c, n = mixture.shape
        x = self.m2d.encode(mixture.reshape(b * c, n))               # [B*C, T, D]
        t, d = x.shape[1], x.shape[2]
        x = x.reshape(b, c, t, d).permute(0, 2, 1, 3).reshape(b, t, c * d)
        return self.head(x)

    def forward(self, mixture: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.forward_logits(mixture), dim=-1)

    def set_finetuning(self, mode: str = "all") -> None:
        set_finetuning(self.m2d.backbone, [self.head], mode)
        _warn_untrained(self.m2d.backbone, mode)

    def io_spec(self):
        ins = [{"name": "mixture", "shape": ["batch", self.channels, "samples"], "dtype": "float32"}]
        outs = [{"name": "probabilities", "shape": ["batch", self.num_outputs, self.num_classes],
                 "dtype": "float32"}]
        return ins, outs

    example_inputs = M2dAt.example_inputs


def _warn_untrained(backbone: LocalViT, mode: str) -> None:
    """Freezing a backbone that still has this module's random initialisation (its CLS token is
    drawn with std 1e-6; a trained one is far larger) trains a head on noise: say so on stderr."""
    if mode != "all" and float(backbone.cls_token.detach().abs().max()) < 1e-4:
        import sys
        print(f"warning: M2D-AT fine-tuning '{mode}' over an untrained backbone: the official recipe starts "
              f"from the M2D encoder (model.init); {where_to_put_it()}", file=sys.stderr)


def pad_to_patches(x: torch.Tensor, patch_frames: int) -> torch.Tensor:
    """Zero-pad the last (time) axis of ``x`` to a multiple of ``patch_frames``. The amount is
    computed from the traced size, so an exported ONNX graph pads every input length right."""
    frames = x.shape[-1]
    pad = (patch_frames - frames % patch_frames) % patch_frames
    return torch.nn.functional.pad(x, (0, pad))


def set_finetuning(backbone: LocalViT, head_modules, mode: str) -> None:
    """Freeze per the official module list: 0-5 embeddings, 6.. blocks, then norm, then head."""
    mods = [backbone.cls_token, backbone.pos_embed, backbone.patch_embed] + list(backbone.blocks) + \
        [backbone.norm] + list(head_modules)
    nb = len(backbone.blocks)
    first_head = 3 + nb + 1
    if mode == "all":
        start = 0
    elif mode == "head":
        start = first_head
    elif mode == "backbone_out":
        start = 3 + nb
    elif mode.endswith("_blocks") and mode.split("_")[0].isdigit():
        start = 3 + nb - int(mode.split("_")[0])
    else:
        raise ValueError(f"unknown finetuning mode {mode!r}")
    for i, m in enumerate(mods):
        params = [m] if isinstance(m, nn.Parameter) else list(m.parameters())
        for p in params:
            p.requires_grad = i >= start
    backbone.norm_stats.requires_grad = False


# ---- the official recipe's pretrained backbone ---------------------------------------------------
#
# The baseline trains M2D-AT from the M2D encoder its README downloads: the folder
# m2d_as_vit_base-80x1001p16x16p32k-240413_AS-FT_enconly/ holding weights_ep69it3124-0.47998.pth,
# an "encoder only" file, i.e. torch.save of the ViT backbone's state_dict: cls_token, pos_embed,
# norm_stats (optional: the 2022 models lack it, [-7.1, 4.2] then), patch_embed.proj.*,
# blocks.<i>.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}.*, norm.* — our ``backbone.`` names
# without the prefix. EVAR fine-tuning checkpoints carry the same keys under
# ``module.ar.runtime.backbone.`` (and a 'model' wrapper); those are read too. The folder name
# encodes input size, patch size and rate (80x1001p16x16p32k); S5's M2D-AT needs exactly these.

M2D_AS_FOLDER = "m2d_as_vit_base-80x1001p16x16p32k-240413_AS-FT_enconly"
M2D_AS_FILE = "weights_ep69it3124-0.47998.pth"
M2D_AS_URL = ("https://github.com/nttcslab/m2d/releases/download/v0.3.0/"
              "m2d_as_vit_base-80x1001p16x16p32k-240413_AS-FT_enconly.zip")
_M2D_ARCH_FAMILIES = ("m2dat", "m2dat4c")
_EVAR_PREFIX = "module.ar.runtime.backbone."
_BLOCK_PARTS = ("norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight",
                "attn.proj.bias", "norm2.weight", "norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias",
                "mlp.fc2.weight", "mlp.fc2.bias")


class M2dWeightsError(ValueError):
    """A missing or unusable M2D encoder file; the message names the file, what is wrong and the fix."""


def default_m2d_weights():
    """Where S5 Studio expects the M2D encoder: <data>/pretrained/<official folder>/<file>."""
    from ..paths import data_dir
    return data_dir() / "pretrained" / M2D_AS_FOLDER / M2D_AS_FILE


def where_to_put_it() -> str:
    dest = default_m2d_weights()
    return (f"download {M2D_AS_URL} and unzip it into {dest.parent.parent} (the file is then "
            f"{dest}), then check it with 's5trainer m2d-weights'")


def _layout_help() -> str:
    return (f"expected the M2D encoder layout of {M2D_AS_FOLDER}/{M2D_AS_FILE}: a state dict with cls_token, "
            "pos_embed [1, 311, 768], patch_embed.proj.weight [768, 1, 16, 16], blocks.<i>.* and norm.*")


def _parse_folder_name(name: str):
    """'m2d_as_vit_base-80x1001p16x16p32k-…' -> ([80, 1001], [16, 16], '32k'), else None."""
    import re
    m = re.match(r"^[a-z0-9_]+-(\d+)x(\d+)p(\d+)x(\d+)(?:p(\d+k))?(?:-|$)", name)
    if not m:
        return None
    return [int(m[1]), int(m[2])], [int(m[3]), int(m[4])], m[5] or "16k"


def read_m2d_encoder(path):
    """-> (backbone state dict with our names, info). Reads without running code from the file
    (safe_load) and checks the layout; raises M2dWeightsError naming what is wrong."""
    from pathlib import Path

    from .safe_load import load_inert
    path = Path(path)
    if not path.is_file():
        raise M2dWeightsError(f"{path}: no such file. The official M2D-AT recipe starts from the M2D encoder "
                              f"{M2D_AS_FOLDER}: {where_to_put_it()}")
    sizes = _parse_folder_name(path.parent.name)
    if sizes and (sizes[0] != [80, 1001] or sizes[1] != [16, 16] or sizes[2] != "32k"):
        raise M2dWeightsError(f"{path}: its folder {path.parent.name} names a {sizes[0][0]}x{sizes[0][1]} input, "
                              f"{sizes[1][0]}x{sizes[1][1]} patches at {sizes[2]}; S5's M2D-AT needs 80x1001p16x16p32k "
                              f"({M2D_AS_FOLDER})")
    try:
        obj, ignored = load_inert(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is reported the same way
        raise M2dWeightsError(f"{path}: cannot be read as a PyTorch file ({exc}); {_layout_help()}") from exc
    if isinstance(obj, dict) and isinstance(obj.get("model"), dict):
        obj = obj["model"]
    if not isinstance(obj, dict) or not all(isinstance(k, str) for k in obj):
        raise M2dWeightsError(f"{path}: not a state dict; {_layout_help()}")
    if "state_dict" in obj or "arch" in obj:
        raise M2dWeightsError(f"{path}: a training checkpoint, not the M2D encoder; {_layout_help()}")
    sd = {k[len(_EVAR_PREFIX):] if k.startswith(_EVAR_PREFIX) else k: v for k, v in obj.items()}
    tensors = {k: v for k, v in sd.items() if isinstance(v, torch.Tensor)}
    missing = [k for k in ("cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias",
                           "norm.weight", "norm.bias", "blocks.0.attn.qkv.weight") if k not in tensors]
    if missing:
        raise M2dWeightsError(f"{path}: missing {', '.join(missing)}; {_layout_help()}")
    depth = 0
    while f"blocks.{depth}.attn.qkv.weight" in tensors:
        depth += 1
    gaps = [f"blocks.{i}.{p}" for i in range(depth) for p in _BLOCK_PARTS if f"blocks.{i}.{p}" not in tensors]
    if gaps:
        raise M2dWeightsError(f"{path}: incomplete transformer blocks (missing {', '.join(gaps[:4])}"
                              f"{' …' if len(gaps) > 4 else ''}); {_layout_help()}")
    keep = {"cls_token", "pos_embed", "norm_stats", "patch_embed.proj.weight", "patch_embed.proj.bias",
            "norm.weight", "norm.bias"} | {f"blocks.{i}.{p}" for i in range(depth) for p in _BLOCK_PARTS}
    out = {k: v.float() for k, v in tensors.items() if k in keep}
    info = {"file": str(path), "depth": depth, "dim": int(out["cls_token"].shape[-1]),
            "tokens": int(out["pos_embed"].shape[1]),
            "norm_stats_default": "norm_stats" not in out,
            "dropped": sorted(k for k in sd if k not in keep), "ignored_objects": ignored}
    if "norm_stats" not in out:        # the 2022 models: the official default
        out["norm_stats"] = torch.tensor([-7.1, 4.2])
    info["norm_stats"] = [float(x) for x in out["norm_stats"]]
    return out, info


def _backbone_of(model) -> LocalViT:
    if isinstance(model, M2dAtSpatial):
        return model.m2d.backbone
    if isinstance(model, M2dAt):
        return model.backbone
    raise M2dWeightsError(f"{type(model).__name__} has no M2D backbone")


def load_m2d_backbone(model, path) -> dict:
    """Loads the M2D encoder file into ``model``'s backbone (every tensor, shapes checked); the
    head keeps its initialisation, as in the official M2dAt. Returns the file's info."""
    sd, info = read_m2d_encoder(path)
    backbone = _backbone_of(model)
    own = backbone.state_dict()
    wrong = [f"{k} {list(sd[k].shape)} (the model has {list(own[k].shape)})" for k in own
             if k in sd and sd[k].shape != own[k].shape]
    missing = [k for k in own if k not in sd]
    if wrong or missing:
        detail = "; ".join(wrong[:3] + ([f"missing {', '.join(missing[:4])}"] if missing else []))
        raise M2dWeightsError(f"{path}: does not fit this M2D-AT ({len(backbone.blocks)} blocks, "
                              f"{backbone.grid[0]}x{backbone.grid[1]} patches): {detail}; {_layout_help()}")
    backbone.load_state_dict({k: sd[k] for k in own}, strict=True)
    return info


def m2d_init_state_dict(path, model):
    """``model.init`` when ``model`` is an M2D-AT: the M2D encoder file loaded into its backbone
    (the head keeps its initialisation) and its full state dict returned; None for other models
    and for files that are training checkpoints or model files (those load as before). A missing
    or unusable encoder file raises, naming the expected location and layout."""
    from pathlib import Path

    if not isinstance(model, (M2dAt, M2dAtSpatial)):
        return None
    p = Path(path)
    if p.is_file():
        from .safe_load import load_inert
        try:
            obj, _ = load_inert(p)
        except Exception:  # noqa: BLE001 - read_m2d_encoder reports it
            obj = None
        if isinstance(obj, dict) and ("state_dict" in obj or "arch" in obj or "format" in obj):
            return None
    try:
        load_m2d_backbone(model, p)
    except M2dWeightsError as exc:
        from .checkpoint import CheckpointError
        raise CheckpointError(f"model.init {exc}") from None
    return model.state_dict()
