"""ResUNet30 family: label-queried residual U-Net separator with additive FiLM (spec s5-task §4).

Module tree and parameter names follow the official ``ResUNet30`` state dict: ``base.stft.*``,
``base.istft.*``, ``base.bn0``, ``base.pre_conv``, ``base.encoder_block{i}.conv_block1.*``,
``base.conv_block7a.conv_block1.*``, ``base.decoder_block{i}.{conv1,bn1,bn2,conv_block2}``,
``base.after_conv``, ``base.out_conv``, ``label_embedding.{0,1,3,4}``,
``film.<path>->beta{1,2}`` (e.g. ``film.encoder_block1->conv_block1->beta1.weight``).

The same class builds the fast defaults: ``widths``/``pools`` scale the U-Net, ``n_fft``/``hop``/
``sample_rate`` the front end, ``mask_channels`` chooses how many input channels get masks (4 in
the official model, 1 = W only in the defaults), ``cond_dim`` the label-embedding width, and
``keep_unused`` drops the official model's never-used decoder ``bn2``/``beta2`` in the defaults.

Export-friendly choices (numerically equivalent to the official operators):
* transposed convs with kernel == stride run as a 1x1 conv + depth-to-space reshape (no
  ConvTranspose; parameter still ``conv1.weight`` [Cin, Cout, kt, kf]);
* Y = |X|·M·e^{i(∠X+∠M)} is computed as M·(X_re·cos∠M − X_im·sin∠M, ...) which equals the
  official |X|·(cos∠X cos∠M − ...) without the divisions;
* STFT/ISTFT from :mod:`.frontends`.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .common import N_CLASSES, InputLevel, S5Model, slot_mask
from .frontends import ISTFT, STFT, freq_batch_norm

_OFFICIAL_WIDTHS = (32, 64, 128, 256, 384, 384)
_OFFICIAL_POOLS = ((2, 2), (2, 2), (2, 2), (2, 2), (2, 2), (1, 2))


def _xavier(layer: nn.Module) -> None:
    nn.init.xavier_uniform_(layer.weight)
    if getattr(layer, "bias", None) is not None:
        nn.init.zeros_(layer.bias)


def _init_bn(bn: nn.BatchNorm2d) -> None:
    nn.init.ones_(bn.weight)
    nn.init.zeros_(bn.bias)


class ConvBlockRes(nn.Module):
    """h = conv1(lrelu(BN1(x)+β1)); h = conv2(lrelu(BN2(h)+β2)); out = h + shortcut(x)."""

    has_film = True

    def __init__(self, cin: int, cout: int, momentum: float = 0.01):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin, momentum=momentum)
        self.bn2 = nn.BatchNorm2d(cout, momentum=momentum)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.is_shortcut = cin != cout
        if self.is_shortcut:
            self.shortcut = nn.Conv2d(cin, cout, 1)
        _init_bn(self.bn1)
        _init_bn(self.bn2)
        _xavier(self.conv1)
        _xavier(self.conv2)
        if self.is_shortcut:
            _xavier(self.shortcut)

    def film_meta(self) -> dict:
        return {"beta1": self.bn1.num_features, "beta2": self.bn2.num_features}

    def forward(self, x, betas: dict, path: str):
        h = self.conv1(F.leaky_relu(self.bn1(x) + betas[path + "->beta1"], 0.01))
        h = self.conv2(F.leaky_relu(self.bn2(h) + betas[path + "->beta2"], 0.01))
        return (self.shortcut(x) if self.is_shortcut else x) + h


class EncoderBlockRes1B(nn.Module):
    def __init__(self, cin: int, cout: int, downsample, momentum: float = 0.01):
        super().__init__()
        self.conv_block1 = ConvBlockRes(cin, cout, momentum)
        self.downsample = tuple(downsample)

    def forward(self, x, betas, path):
        enc = self.conv_block1(x, betas, path + "->conv_block1")
        pool = enc if self.downsample == (1, 1) else F.avg_pool2d(enc, kernel_size=self.downsample)
        return pool, enc


class TransposedConvKS(nn.Module):
    """ConvTranspose2d with kernel == stride, no bias, run as 1x1 conv + depth-to-space."""

    def __init__(self, cin: int, cout: int, stride):
        super().__init__()
        self.stride = tuple(stride)
        self.cout = cout
        self.weight = nn.Parameter(torch.empty(cin, cout, *self.stride))
        nn.init.xavier_uniform_(self.weight)

    def forward(self, x):
        kt, kf = self.stride
        if (kt, kf) == (1, 1):
            return F.conv2d(x, self.weight.permute(1, 0, 2, 3))
        w = self.weight.permute(1, 2, 3, 0).reshape(self.cout * kt * kf, -1, 1, 1)
        y = F.conv2d(x, w)                     # channel o*kt*kf + a*kf + c
        if kt == kf:
            return F.pixel_shuffle(y, kt)      # ONNX DepthToSpace (CRD): same index order
        b, t, f = x.shape[0], x.shape[2], x.shape[3]
        y = y.reshape(b, self.cout, kt, kf, t, f)
        return y.permute(0, 1, 4, 2, 5, 3).reshape(b, self.cout, t * kt, f * kf)


class DecoderBlockRes1B(nn.Module):
    """u = convT(lrelu(BN1(x)+β1)); cat [u, skip]; ConvBlockRes(2·Cout -> Cout)."""

    has_film = True

    def __init__(self, cin: int, cout: int, upsample, momentum: float = 0.01, keep_unused=True):
        super().__init__()
        self.conv1 = TransposedConvKS(cin, cout, upsample)
        self.bn1 = nn.BatchNorm2d(cin, momentum=momentum)
        self.conv_block2 = ConvBlockRes(2 * cout, cout, momentum)
        self.keep_unused = keep_unused
        if keep_unused:  # official checkpoints carry this never-used BN (and its FiLM β2)
            self.bn2 = nn.BatchNorm2d(cin, momentum=momentum)
        _init_bn(self.bn1)

    def film_meta(self) -> dict:
        meta = {"beta1": self.bn1.num_features}
        if self.keep_unused:
            meta["beta2"] = self.bn2.num_features
        return meta

    def forward(self, x, skip, betas, path):
        u = self.conv1(F.leaky_relu(self.bn1(x) + betas[path + "->beta1"], 0.01))
        return self.conv_block2(torch.cat([u, skip], dim=1), betas, path + "->conv_block2")


class ResUNet30Base(nn.Module):
    """Spectrogram U-Net body + mask/ISTFT head (the official ``base`` sub-module)."""

    def __init__(self, input_channels=4, output_channels=1, target_sources_num=1,
                 n_fft=1024, hop=160, widths=_OFFICIAL_WIDTHS, pools=_OFFICIAL_POOLS,
                 center_blocks=1, mask_channels=None, keep_unused=True, momentum=0.01):
        super().__init__()
        widths = tuple(int(w) for w in widths)
        pools = tuple(tuple(int(v) for v in p) for p in pools)
        if len(widths) != len(pools):
            raise ValueError("widths and pools must have the same length")
        self.input_channels = input_channels
        self.output_channels = output_channels
        self.target_sources_num = target_sources_num
        self.mask_channels = mask_channels or input_channels
        self.K = 3
        self.n_levels = len(widths)
        self.time_ratio = math.prod(p[0] for p in pools)
        self.freq_ratio = math.prod(p[1] for p in pools)
        self.stft = STFT(n_fft, hop)
        self.istft = ISTFT(n_fft, hop)
        nb = n_fft // 2 + 1
        if (nb - 1) % self.freq_ratio:
            raise ValueError(f"n_fft/2={nb - 1} is not divisible by the frequency pooling {self.freq_ratio}")
        self.bn0 = nn.BatchNorm2d(nb, momentum=momentum)
        self.pre_conv = nn.Conv2d(input_channels, widths[0], 1)
        cin = widths[0]
        for i, (w, p) in enumerate(zip(widths, pools), start=1):
            self.add_module(f"encoder_block{i}", EncoderBlockRes1B(cin, w, p, momentum))
            cin = w
        self.center_names = []
        for j in range(center_blocks):
            name = f"conv_block{self.n_levels + 1}{chr(ord('a') + j)}"
            self.add_module(name, EncoderBlockRes1B(cin, cin, (1, 1), momentum))
            self.center_names.append(name)
        for j in range(1, self.n_levels + 1):
            lvl = self.n_levels - j           # index of the mirrored encoder
            self.add_module(f"decoder_block{j}",
                            DecoderBlockRes1B(cin, widths[lvl], pools[lvl], momentum, keep_unused))
            cin = widths[lvl]
        self.after_conv = nn.Conv2d(widths[0], self.mask_channels * self.K * target_sources_num, 1)
        self.out_conv = nn.Conv2d(self.mask_channels, output_channels, 1)
        _init_bn(self.bn0)
        _xavier(self.pre_conv)
        _xavier(self.after_conv)

    def film_meta(self) -> dict:
        """Nested {child: {... 'beta1': C}} in module order (the official get_film_meta walk)."""
        def walk(m: nn.Module) -> dict:
            meta = dict(m.film_meta()) if hasattr(m, "film_meta") and m is not self else {}
            for name, child in m.named_children():
                sub = walk(child)
                if sub:
                    meta[name] = sub
            return meta
        return walk(self)

    def forward(self, mixture: torch.Tensor, betas: dict, source_mask: torch.Tensor):
        b, c, length = mixture.shape
        re, im = self.stft(mixture.reshape(b * c, length))           # [B*C, T, F]
        t, nb = re.shape[1], re.shape[2]
        re = re.reshape(b, c, t, nb)
        im = im.reshape(b, c, t, nb)
        mag = torch.sqrt(torch.clamp(re * re + im * im, min=1e-10))
        x = freq_batch_norm(self.bn0, mag)
        pad_t = (self.time_ratio - t % self.time_ratio) % self.time_ratio
        x = F.pad(x, (0, 0, 0, pad_t))[..., : nb - 1]
        x = self.pre_conv(x)
        skips = []
        for i in range(1, self.n_levels + 1):
            x, enc = getattr(self, f"encoder_block{i}")(x, betas, f"encoder_block{i}")
            skips.append(enc)
        for name in self.center_names:
            x, _ = getattr(self, name)(x, betas, name)
        for j in range(1, self.n_levels + 1):
            x = getattr(self, f"decoder_block{j}")(x, skips[self.n_levels - j], betas, f"decoder_block{j}")
        z = self.after_conv(x)
        z = F.pad(z, (0, 1))[:, :, :t, :]                              # [B, S*M*3, T, F]
        return self.masks_to_wav(z, re, im, length, source_mask)

    def masks_to_wav(self, z, re, im, length, source_mask):
        b, _, t, nb = z.shape
        s, m = self.target_sources_num, self.mask_channels
        z = z.reshape(b, s, m, self.K, t, nb)
        m_mag = torch.sigmoid(z[:, :, :, 0])
        a = torch.tanh(z[:, :, :, 1])
        bb = torch.tanh(z[:, :, :, 2])
        inv_r = 1.0 / torch.clamp(torch.sqrt(a * a + bb * bb), min=1e-10)
        cos_m, sin_m = a * inv_r, bb * inv_r
        xr = re[:, None, :m]
        xi = im[:, None, :m]
        # |X|·Mmag·(cos∠X cos∠M − sin∠X sin∠M) with |X|cos∠X = X_re (official magphase form)
        yr = m_mag * (xr * cos_m - xi * sin_m)
        yi = m_mag * (xi * cos_m + xr * sin_m)
        yr = self.out_conv(yr.reshape(b * s, m, t, nb))               # [B*S, O, T, F]
        yi = self.out_conv(yi.reshape(b * s, m, t, nb))
        o = self.output_channels
        wav = self.istft(yr.reshape(b * s * o, t, nb), yi.reshape(b * s * o, t, nb), length)
        wav = wav.reshape(b, s * o, length) if o == 1 else wav.reshape(b, s, o, length)
        mask = source_mask[:, :, None] if o == 1 else source_mask[:, :, None, None]
        return wav * mask


class FiLM(nn.Module):
    """One Linear(cond -> C) per BN in the body, registered as '<path>->beta<k>' (official names)."""

    def __init__(self, film_meta: dict, condition_size: int):
        super().__init__()
        self.names: list[str] = []

        def walk(meta: dict, prefix: list[str]):
            for key, val in meta.items():
                path = prefix + [key]
                if isinstance(val, int):
                    name = "->".join(path)
                    layer = nn.Linear(condition_size, val)
                    _xavier(layer)
                    self.add_module(name, layer)
                    self.names.append(name)
                else:
                    walk(val, path)

        walk(film_meta, [])

    def forward(self, cond: torch.Tensor) -> dict:
        return {n: getattr(self, n)(cond)[:, :, None, None] for n in self.names}


class ResUNet30(S5Model):
    """Label-queried separator: ``forward(mixture [B,C,L], label_vector [B,S*18]) -> [B,S,L]``."""

    def __init__(self, input_channels=4, output_channels=1, target_sources_num=1, label_len=18,
                 sample_rate=32000, window_seconds=10.0, n_fft=1024, hop=160,
                 widths=_OFFICIAL_WIDTHS, pools=_OFFICIAL_POOLS, center_blocks=1,
                 mask_channels=None, cond_dim=512, keep_unused=None, task="dcase2025t4",
                 input_level_db=None):
        super().__init__()
        if label_len != N_CLASSES * target_sources_num:
            raise ValueError(f"label_len {label_len} != 18 x target_sources_num {target_sources_num}")
        if output_channels != 1:
            raise ValueError("only mono outputs (output_channels=1) are supported")
        official_shape = tuple(widths) == _OFFICIAL_WIDTHS and n_fft == 1024 and hop == 160
        if keep_unused is None:
            keep_unused = official_shape
        self._set_contract("separator", sample_rate, window_seconds, input_channels,
                           target_sources_num, task)
        self.target_sources_num = target_sources_num
        self.label_len = label_len
        self.base = ResUNet30Base(input_channels, output_channels, target_sources_num, n_fft, hop,
                                  widths, pools, center_blocks, mask_channels, keep_unused)
        self.label_embedding = nn.Sequential(
            nn.Linear(label_len, cond_dim), nn.LayerNorm(cond_dim), nn.ReLU(),
            nn.Linear(cond_dim, cond_dim), nn.LayerNorm(cond_dim), nn.ReLU())
        self.film = FiLM(self.base.film_meta(), cond_dim)
        self.input_level_db = input_level_db
        self.level = InputLevel(input_level_db) if input_level_db is not None else None
        self.input_names = ["mixture", "label_vector"]
        self.output_names = ["waveform"]

    def forward(self, mixture: torch.Tensor, label_vector: torch.Tensor) -> torch.Tensor:
        mask = slot_mask(label_vector, self.target_sources_num)
        betas = self.film(self.label_embedding(label_vector))
        if self.level is None:
            return self.base(mixture, betas, mask)
        scaled, gain = self.level(mixture)          # level invariance: stems scale with the input
        return self.base(scaled, betas, mask) / gain

    def io_spec(self):
        ins = [{"name": "mixture", "shape": ["batch", self.channels, "samples"], "dtype": "float32"},
               {"name": "label_vector", "shape": ["batch", self.label_len], "dtype": "float32"}]
        outs = [{"name": "waveform", "shape": ["batch", self.slots, "samples"], "dtype": "float32"}]
        return ins, outs

    def example_inputs(self, seconds: float | None = None, batch: int = 1, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        n = int(round((seconds or self.window_seconds) * self.sample_rate))
        mix = 0.1 * torch.randn(batch, self.channels, n, generator=g)
        lv = torch.zeros(batch, self.target_sources_num, N_CLASSES)
        for bi in range(batch):
            for s in range(self.target_sources_num):
                if s < max(1, self.target_sources_num - 1):  # leave the last slot silent when S > 1
                    lv[bi, s, int(torch.randint(0, N_CLASSES, (1,), generator=g))] = 1.0
        return mix, lv.reshape(batch, -1)
