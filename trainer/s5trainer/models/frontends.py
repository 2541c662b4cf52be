"""ONNX-exportable spectral front ends (opset 17: no torch.stft/istft, no F.fold, no ConvTranspose).

* :class:`STFT` - centred, reflect-padded STFT: frames gathered from hop-sized chunks, one MatMul
  with the DFT kernels (see :func:`frames_matmul`). Parameters are named
  like torchlibrosa's (``conv_real.weight``, ``conv_imag.weight`` [F, 1, n_fft], frozen), so the
  official ResUNet state dict loads unchanged.
* :class:`ISTFT` - inverse: per-frame inverse real DFT as one MatMul (the Hermitian half is folded
  into the kernels), window-sum normalised overlap-add written as shifted adds of hop-sized
  chunks (no ConvTranspose/Col2Im), then the centre trim. Parameters named like torchlibrosa's
  (``conv_real.weight``/``conv_imag.weight`` [n_fft, n_fft, 1], buffer ``ola_window``).
* :class:`MelSTFT` - power mel spectrogram with nnAudio's buffer names (``stft.wsin``,
  ``stft.wcos``, ``stft.window_mask``, ``mel_basis``) as used by M2D.

All kernels are computed here from the definitions (periodic Hann, e^{-2πikn/N}, Slaney mel).
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F


def hann_periodic(n: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)).astype(np.float64)


def slaney_mel_filterbank(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """[n_mels, n_fft//2+1] triangular filters on the Slaney mel scale with area normalisation."""
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = math.log(6.4) / 27.0

    def hz_to_mel(f):
        f = np.asarray(f, dtype=np.float64)
        return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep,
                        f / f_sp)

    def mel_to_hz(m):
        m = np.asarray(m, dtype=np.float64)
        return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)

    fft_freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    pts = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(pts)
    ramps = pts[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    w = np.maximum(0.0, np.minimum(lower, upper))
    w *= (2.0 / (pts[2:n_mels + 2] - pts[:n_mels]))[:, None]
    return w


def reflect_pad(x: torch.Tensor, pad: int) -> torch.Tensor:
    """Reflect-pad the last axis of [N, 1, L] (mirror without repeating the edge sample)."""
    return F.pad(x, (pad, pad), mode="reflect")


class STFT(torch.nn.Module):
    """[N, L] -> (real, imag) each [N, T, F] with T = 1 + L // hop (centre) and F = n_fft//2+1."""

    def __init__(self, n_fft: int, hop: int, center: bool = True):
        super().__init__()
        self.n_fft, self.hop, self.center = int(n_fft), int(hop), center
        nb = n_fft // 2 + 1
        w = hann_periodic(n_fft)
        k = np.arange(nb)[:, None]
        n = np.arange(n_fft)[None, :]
        ang = -2.0 * np.pi * k * n / n_fft
        self.conv_real = torch.nn.Conv1d(1, nb, n_fft, stride=hop, bias=False)
        self.conv_imag = torch.nn.Conv1d(1, nb, n_fft, stride=hop, bias=False)
        with torch.no_grad():
            self.conv_real.weight.copy_(torch.tensor(np.cos(ang) * w, dtype=torch.float32)[:, None, :])
            self.conv_imag.weight.copy_(torch.tensor(np.sin(ang) * w, dtype=torch.float32)[:, None, :])
        for p in self.parameters():
            p.requires_grad = False

    def forward(self, x: torch.Tensor):
        x = x[:, None, :]
        if self.center:
            x = reflect_pad(x, self.n_fft // 2)
        w = torch.cat([self.conv_real.weight[:, 0], self.conv_imag.weight[:, 0]], dim=0)  # [2F, n]
        y = frames_matmul(x[:, 0], w, self.n_fft, self.hop)                             # [N, T, 2F]
        nb = self.n_fft // 2 + 1
        return y[..., :nb], y[..., nb:]


def frames_matmul(x: torch.Tensor, kernel: torch.Tensor, n: int, hop: int) -> torch.Tensor:
    """[N, L] (already padded) x kernel [K_out, n] -> [N, T, K_out], T = (L - n) // hop + 1.

    ``n`` and ``hop`` must be Python ints: ONNX export turns integer ``//`` on traced sizes into
    a truncating Div, which is wrong for the negative operand of the ceil division below.

    Frames are gathered as K = ceil(n/hop) shifted hop-sized chunks (Pad/Reshape/Slice/Concat)
    and multiplied with the zero-extended kernel in one MatMul: cheaper than an im2col Conv1d
    in both PyTorch and ONNX Runtime, and exportable with dynamic lengths."""
    k = -(-int(n) // int(hop))
    t = (x.shape[1] - n) // hop + 1
    x = F.pad(x, (0, k * hop))[:, : (t - 1 + k) * hop]
    chunks = x.reshape(x.shape[0], t - 1 + k, hop)
    frames = torch.cat([chunks[:, i:i + t] for i in range(k)], dim=2)      # [N, T, K*hop]
    return torch.matmul(frames, F.pad(kernel, (0, k * hop - n)).t())


def batch_norm_last(bn: torch.nn.modules.batchnorm._BatchNorm, x: torch.Tensor) -> torch.Tensor:
    """BatchNorm1d on [B, C]: the module in training, the equivalent affine in eval (exports
    without needing a static channel size)."""
    if bn.training or not bn.track_running_stats:
        return bn(x)
    y = (x - bn.running_mean) * torch.rsqrt(bn.running_var + bn.eps)
    return y * bn.weight + bn.bias if bn.affine else y


def freq_batch_norm(bn: torch.nn.BatchNorm2d, x: torch.Tensor) -> torch.Tensor:
    """BatchNorm over the LAST axis of [B, C, T, F] (statistics per frequency bin pooled over
    batch, channels and time). Training: the usual transpose + BN; eval: the equivalent
    per-bin affine (no transposes in the exported graph)."""
    if bn.training or not bn.track_running_stats:
        return bn(x.transpose(1, 3)).transpose(1, 3)
    scale = torch.rsqrt(bn.running_var + bn.eps)
    shift = -bn.running_mean * scale
    if bn.affine:
        scale = scale * bn.weight
        shift = shift * bn.weight + bn.bias
    return x * scale + shift


class ISTFT(torch.nn.Module):
    """(real, imag) [N, T, F] -> [N, length]; matches torchlibrosa/librosa centred ISTFT."""

    def __init__(self, n_fft: int, hop: int, center: bool = True):
        super().__init__()
        self.n_fft, self.hop, self.center = int(n_fft), int(hop), center
        w = hann_periodic(n_fft)
        j = np.arange(n_fft)[:, None]
        k = np.arange(n_fft)[None, :]
        ang = 2.0 * np.pi * j * k / n_fft
        # weight [out j, in k, 1] = e^{+2πijk/N} / N * w[j]  (windowed inverse DFT, full spectrum)
        self.conv_real = torch.nn.Conv1d(n_fft, n_fft, 1, bias=False)
        self.conv_imag = torch.nn.Conv1d(n_fft, n_fft, 1, bias=False)
        with torch.no_grad():
            self.conv_real.weight.copy_(torch.tensor(np.cos(ang) / n_fft * w[:, None], dtype=torch.float32)[:, :, None])
            self.conv_imag.weight.copy_(torch.tensor(np.sin(ang) / n_fft * w[:, None], dtype=torch.float32)[:, :, None])
        self.register_buffer("ola_window", torch.tensor(w ** 2, dtype=torch.float32))
        for p in self.parameters():
            p.requires_grad = False

    def folded_kernel(self) -> torch.Tensor:
        """[2F, n_fft]: rows 0..F-1 act on Re, rows F.. on Im of the one-sided spectrum."""
        n = self.n_fft
        nb = n // 2 + 1
        wr = self.conv_real.weight[:, :, 0]          # [j, k]
        wi = self.conv_imag.weight[:, :, 0]
        mid_r = wr[:, 1:nb - 1] + torch.flip(wr[:, nb:], dims=[1])
        mid_i = wi[:, 1:nb - 1] - torch.flip(wi[:, nb:], dims=[1])
        a = torch.cat([wr[:, :1], mid_r, wr[:, nb - 1:nb]], dim=1)          # [n, nb]
        b = torch.cat([wi[:, :1] * 0, mid_i, wi[:, nb - 1:nb] * 0], dim=1)  # DC/Nyquist imag ignored
        return torch.cat([a, -b], dim=1).t()          # [2nb, n]

    def _ola(self, frames: torch.Tensor) -> torch.Tensor:
        """[N, T, n_fft] -> [N, (T-1)*hop + K*hop] overlap-add via K shifted hop-sized chunks."""
        n, h = self.n_fft, self.hop
        k = -(-n // h)
        if k * h != n:
            frames = F.pad(frames, (0, k * h - n))
        N, T = frames.shape[0], frames.shape[1]
        chunks = frames.reshape(N, T, k, h)
        out = None
        for i in range(k):
            c = F.pad(chunks[:, :, i, :], (0, 0, i, k - 1 - i))          # [N, T+k-1, h]
            out = c if out is None else out + c
        return out.reshape(N, -1)

    def forward(self, real: torch.Tensor, imag: torch.Tensor, length: int):
        spec = torch.cat([real, imag], dim=-1)                           # [N, T, 2F]
        frames = torch.matmul(spec, self.folded_kernel())                # [N, T, n]
        y = self._ola(frames)
        wsum = self._ola(torch.ones_like(frames[:1]) * self.ola_window)
        y = y / torch.clamp(wsum, min=1e-11)
        start = self.n_fft // 2 if self.center else 0
        return y[:, start:start + length]


class _NnAudioSTFT(torch.nn.Module):
    """Holds nnAudio-named kernels: ``wsin``/``wcos`` [F, 1, n_fft] (windowed), ``window_mask``."""

    def __init__(self, n_fft: int, hop: int):
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        nb = n_fft // 2 + 1
        w = hann_periodic(n_fft)
        ang = 2.0 * np.pi * np.arange(nb)[:, None] * np.arange(n_fft)[None, :] / n_fft
        self.register_buffer("wsin", torch.tensor(np.sin(ang) * w, dtype=torch.float32)[:, None, :])
        self.register_buffer("wcos", torch.tensor(np.cos(ang) * w, dtype=torch.float32)[:, None, :])
        self.register_buffer("window_mask", torch.tensor(w, dtype=torch.float32)[None, :, None])


class MelSTFT(torch.nn.Module):
    """[N, L] -> power mel [N, n_mels, T] (centred reflect STFT, |X| then ** power, Slaney mel)."""

    def __init__(self, sr: int, n_fft: int, hop: int, n_mels: int, fmin: float, fmax: float,
                 power: float = 2.0):
        super().__init__()
        self.power = power
        self.stft = _NnAudioSTFT(n_fft, hop)
        self.register_buffer("mel_basis", torch.tensor(
            slaney_mel_filterbank(sr, n_fft, n_mels, fmin, fmax), dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = self.stft.n_fft
        x = reflect_pad(x[:, None, :], n // 2)[:, 0]
        w = torch.cat([self.stft.wcos[:, 0], self.stft.wsin[:, 0]], dim=0)  # [2F, n]
        y = frames_matmul(x, w, n, self.stft.hop)                              # [N, T, 2F]
        nb = n // 2 + 1
        mag = torch.sqrt(y[..., :nb] ** 2 + y[..., nb:] ** 2)
        spec = mag ** self.power if self.power != 1 else mag
        return torch.matmul(spec, self.mel_basis.t()).transpose(1, 2)      # [N, M, T]
