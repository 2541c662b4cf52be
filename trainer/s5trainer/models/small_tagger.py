"""Compact CNN tagger (fast default): per-channel log-mel -> 4 conv stages -> pooled head.

Input [B, C, L] (C = 4 FOA channels by default, or 1 = W only). Features: power mel per channel
(centred reflect STFT, Slaney mel) -> ln(x + 1e-6) -> BatchNorm over mel bins (``bn0``).
Body: stages of [Conv3x3 -> BN -> ReLU] x n, each followed by 2x2 average pooling.
With ``input_level_db`` each input is first scaled to that W-channel RMS (``common.InputLevel``):
the same scene at any gain gives the same probabilities.
Head: mean over frequency, then mean + max over time, dropout, and
* ``head='sigmoid'`` (2025): Linear -> sigmoid, probabilities [B, 18];
* ``head='slots'`` (2026): MLP -> [B, 3, 19] softmax per slot (index 18 = silence), trained
  with a permutation-invariant cross-entropy like the 2026 baseline.
``forward_logits`` returns the pre-activation scores for numerically stable losses.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .common import N_CLASSES, InputLevel, S5Model
from .frontends import MelSTFT, freq_batch_norm


class ConvStage(nn.Sequential):
    def __init__(self, cin: int, cout: int, n_convs: int):
        layers = []
        for i in range(n_convs):
            layers += [nn.Conv2d(cin if i == 0 else cout, cout, 3, padding=1, bias=False),
                       nn.BatchNorm2d(cout), nn.ReLU()]
        super().__init__(*layers)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")


class SmallTagger(S5Model):
    def __init__(self, sample_rate=16000, window_seconds=10.0, channels=4, n_mels=64,
                 widths=(32, 64, 128, 256), convs=(2, 2, 2, 1), head="sigmoid", num_outputs=3,
                 dropout=0.2, hop_seconds=0.02, win_seconds=0.032, fmin=50.0, fmax=None,
                 task=None, input_level_db=None):
        super().__init__()
        if head not in ("sigmoid", "slots"):
            raise ValueError("head must be 'sigmoid' (2025) or 'slots' (2026)")
        self._set_contract("tagger", sample_rate, window_seconds, channels,
                           num_outputs, task or ("dcase2025t4" if head == "sigmoid" else "dcase2026t4"))
        n_fft = 1 << int(round(torch.log2(torch.tensor(win_seconds * sample_rate)).item()))
        hop = int(round(hop_seconds * sample_rate))
        self.head_kind = head
        self.input_level_db = input_level_db
        self.level = InputLevel(input_level_db) if input_level_db is not None else None
        self.num_outputs = num_outputs
        self.num_classes = N_CLASSES if head == "sigmoid" else N_CLASSES + 1
        self.mel = MelSTFT(sample_rate, n_fft, hop, n_mels, fmin, fmax or sample_rate / 2, power=2.0)
        self.bn0 = nn.BatchNorm2d(n_mels)
        stages, cin = [], channels
        for w, n in zip(widths, convs):
            stages.append(ConvStage(cin, w, n))
            cin = w
        self.stages = nn.ModuleList(stages)
        self.pool = nn.AvgPool2d(2)
        self.dropout = nn.Dropout(dropout)
        if head == "sigmoid":
            self.head = nn.Linear(cin, N_CLASSES)
        else:
            self.head = nn.Sequential(nn.Linear(cin, 256), nn.ReLU(),
                                      nn.Linear(256, num_outputs * self.num_classes))
        self.input_names = ["mixture"]
        self.output_names = ["probabilities"]

    def features(self, mixture: torch.Tensor) -> torch.Tensor:
        b, c, n = mixture.shape
        x = torch.log(self.mel(mixture.reshape(b * c, n)) + 1e-6)       # [B*C, M, T]
        x = x.reshape(b, c, x.shape[1], x.shape[2]).transpose(2, 3)      # [B, C, T, M]
        return freq_batch_norm(self.bn0, x)

    def forward_logits(self, mixture: torch.Tensor) -> torch.Tensor:
        if self.level is not None:
            mixture, _gain = self.level(mixture)
        x = self.features(mixture)
        for st in self.stages:
            x = self.pool(st(x))
        x = x.mean(dim=3)                                                # [B, W, T']
        x = self.dropout(x.mean(dim=2) + x.amax(dim=2))
        y = self.head(x)
        if self.head_kind == "slots":
            y = y.reshape(y.shape[0], self.num_outputs, self.num_classes)
        return y

    def forward(self, mixture: torch.Tensor) -> torch.Tensor:
        y = self.forward_logits(mixture)
        return torch.sigmoid(y) if self.head_kind == "sigmoid" else torch.softmax(y, dim=-1)

    def io_spec(self):
        ins = [{"name": "mixture", "shape": ["batch", self.channels, "samples"], "dtype": "float32"}]
        shape = ["batch", N_CLASSES] if self.head_kind == "sigmoid" else \
            ["batch", self.num_outputs, self.num_classes]
        return ins, [{"name": "probabilities", "shape": shape, "dtype": "float32"}]

    def example_inputs(self, seconds: float | None = None, batch: int = 1, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        n = int(round((seconds or self.window_seconds) * self.sample_rate))
        return (0.1 * torch.randn(batch, self.channels, n, generator=g),)
