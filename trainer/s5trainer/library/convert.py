"""Clip conditioning: decode, mono, resample, trim leading/trailing silence, reject bad clips."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from ..audio import resample

CONVERT_VERSION = 1
TRIM_DB = -50.0          # frames this far below the loudest 10-ms frame count as silence
MIN_PEAK = 0.01          # -40 dBFS: quieter files are dropped
FRAME_S = 0.01


@dataclass
class Converted:
    audio: np.ndarray | None     # mono float32 at the target rate, peak-normalised to 0.99
    reason: str = ""             # why it was dropped (audio is None)
    native_rate: int = 0
    channels: int = 0


def trim_silence(x: np.ndarray, rate: int, threshold_db: float = TRIM_DB, margin_s: float = 0.01) -> np.ndarray:
    hop = max(int(FRAME_S * rate), 1)
    n = len(x) // hop
    if n == 0:
        return x
    frames = x[: n * hop].reshape(n, hop)
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    loud = np.nonzero(rms >= rms.max() * 10 ** (threshold_db / 20))[0]
    if len(loud) == 0:
        return x[:0]
    margin = int(margin_s * rate)
    start = max(loud[0] * hop - margin, 0)
    stop = min((loud[-1] + 1) * hop + margin, len(x))
    return x[start:stop]


def _read_wave_fallback(path) -> tuple[np.ndarray, int]:
    """Python's ``wave`` module accepts some PCM files libsndfile rejects (odd 'fmt ' chunks)."""
    import wave

    with wave.open(str(path), "rb") as w:
        ch, width, sr, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
        raw = w.readframes(n)
    if width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128) / 128
    elif width == 2:
        x = np.frombuffer(raw, "<i2").astype(np.float32) / 32768
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        x = ((b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8).astype(np.float32) / 8388608
    else:
        x = np.frombuffer(raw, "<i4").astype(np.float32) / 2147483648
    return x.reshape(-1, ch), sr


def convert(path, rate: int, min_seconds: float = 0.1, max_seconds: float = 60.0) -> Converted:
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:
        try:
            data, sr = _read_wave_fallback(path)
        except Exception:
            return Converted(None, f"undecodable: {exc}")
    if data.size == 0:
        return Converted(None, "empty", sr, data.shape[1])
    x = data.mean(axis=1)
    if not np.all(np.isfinite(x)):
        return Converted(None, "non-finite samples", sr, data.shape[1])
    if np.max(np.abs(x)) < MIN_PEAK:
        return Converted(None, f"too quiet (peak < {MIN_PEAK})", sr, data.shape[1])
    x = resample(x[: int(max_seconds * sr)], sr, rate)
    x = trim_silence(x, rate)
    if len(x) < min_seconds * rate:
        return Converted(None, f"too short after trimming (< {min_seconds} s)", sr, data.shape[1])
    x = x - np.float32(x.mean()) if len(x) > rate else x
    x = (x * (0.99 / np.max(np.abs(x)))).astype(np.float32)
    return Converted(x, "", sr, data.shape[1])


def pcm16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)


def pcm_sha1(x: np.ndarray) -> str:
    """SHA-1 of the stored 16-bit PCM."""
    return hashlib.sha1(pcm16(x).tobytes()).hexdigest()
