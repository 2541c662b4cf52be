"""Minimal WAV reader in numpy, used only where the soundfile package (libsndfile) is missing —
e.g. a rented GPU box with PyTorch but no libsndfile, training from a carried library pack.

Reads RIFF/WAVE with PCM 8/16/24/32-bit, IEEE float 32/64, G.711 μ-law (tag 7) and
WAVE_FORMAT_EXTENSIBLE wrapping those; anything else raises ``ValueError`` naming the problem.
"""
from __future__ import annotations

import struct

import numpy as np

_PCM, _FLOAT, _MULAW, _EXTENSIBLE = 1, 3, 7, 0xFFFE


def _mulaw_table() -> np.ndarray:
    """G.711 μ-law byte → float in [-1, 1] (the 14-bit linear value / 32768)."""
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = u & 0x80
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    magnitude = ((mantissa << 3) + 0x84) << exponent
    linear = np.where(sign != 0, 0x84 - magnitude, magnitude - 0x84)
    return (linear / 32768.0).astype(np.float32)


_MULAW_TABLE = _mulaw_table()


def read_wav(path: str) -> tuple[np.ndarray, int]:
    """``(float32 [channels, samples], rate)``."""
    with open(path, "rb") as fh:
        data = fh.read()
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a RIFF/WAVE file (without soundfile only WAV can be read)")
    pos, fmt, payload = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = body
        elif cid == b"data":
            payload = body
        pos += 8 + size + (size & 1)
    if fmt is None or payload is None or len(fmt) < 16:
        raise ValueError(f"{path}: WAV without fmt/data chunk")
    tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == _EXTENSIBLE and len(fmt) >= 26:
        tag = struct.unpack("<H", fmt[24:26])[0]
    if channels < 1:
        raise ValueError(f"{path}: zero channels")
    if tag == _MULAW and bits == 8:
        x = _MULAW_TABLE[np.frombuffer(payload, dtype=np.uint8)]
    elif tag == _FLOAT and bits in (32, 64):
        x = np.frombuffer(payload, dtype="<f4" if bits == 32 else "<f8").astype(np.float32)
    elif tag == _PCM and bits == 8:
        x = (np.frombuffer(payload, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif tag == _PCM and bits in (16, 32):
        dt = "<i2" if bits == 16 else "<i4"
        x = (np.frombuffer(payload[: len(payload) // (bits // 8) * (bits // 8)], dtype=dt) / 2.0 ** (bits - 1)).astype(np.float32)
    elif tag == _PCM and bits == 24:
        b = np.frombuffer(payload[: len(payload) // 3 * 3], dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = (np.where(v >= 1 << 23, v - (1 << 24), v) / 2.0 ** 23).astype(np.float32)
    else:
        raise ValueError(f"{path}: WAV format tag {tag} with {bits} bits is not readable without soundfile")
    n = len(x) // channels
    return np.ascontiguousarray(x[: n * channels].reshape(n, channels).T), int(rate)
