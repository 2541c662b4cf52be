"""Audio file I/O and sample-rate conversion (float32, planar ``[channels, samples]``)."""
from __future__ import annotations

import os
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

from .errors import DataError

try:  # libsndfile; a GPU box may lack it: then WAV only, through a numpy reader
    import soundfile as sf
except ImportError:  # pragma: no cover - exercised on machines without python3-soundfile
    sf = None


def read_audio(path: str | os.PathLike, *, frames: int = -1, start: int = 0) -> tuple[np.ndarray, int]:
    """Read any libsndfile-supported file as float32 ``[channels, samples]`` and its rate."""
    if sf is None:
        from .wavfallback import read_wav

        try:
            x, rate = read_wav(str(path))
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot decode audio file {path}: {exc}") from exc
        return np.ascontiguousarray(x[:, start:None if frames < 0 else start + frames]), rate
    try:
        data, rate = sf.read(str(path), frames=frames, start=start, dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises several types; report them uniformly
        raise DataError(f"cannot decode audio file {path}: {exc}") from exc
    return np.ascontiguousarray(data.T), int(rate)


def audio_info(path: str | os.PathLike) -> tuple[int, int, int]:
    """``(channels, frames, rate)`` without decoding the samples."""
    if sf is None:
        from .wavfallback import read_wav

        x, rate = read_wav(str(path))
        return x.shape[0], x.shape[1], rate
    info = sf.info(str(path))
    return info.channels, info.frames, info.samplerate


def to_mono(x: np.ndarray) -> np.ndarray:
    return x.mean(axis=0, dtype=np.float64).astype(np.float32) if x.ndim == 2 else x.astype(np.float32)


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Polyphase resampling along the last axis (Kaiser window, scipy defaults); float32 out."""
    if rate_in == rate_out:
        return x.astype(np.float32, copy=False)
    frac = Fraction(rate_out, rate_in).limit_denominator(1000)
    y = resample_poly(x.astype(np.float64), frac.numerator, frac.denominator, axis=-1)
    return y.astype(np.float32)


def _write_float_wav(path: str, data: np.ndarray, rate: int) -> None:
    """IEEE-float WAV without libsndfile's PEAK chunk (which stores a timestamp): the same samples
    always give the same bytes, so regenerated data sets can be compared by hash."""
    import struct

    frames = np.ascontiguousarray(data, dtype="<f4")
    ch = 1 if frames.ndim == 1 else frames.shape[1]
    n = frames.shape[0]
    payload = frames.tobytes()
    fmt = struct.pack("<HHIIHH", 3, ch, rate, rate * ch * 4, ch * 4, 32)
    with open(path, "wb") as fh:
        fh.write(b"RIFF" + struct.pack("<I", 4 + (8 + 16) + (8 + 4) + (8 + len(payload))) + b"WAVE")
        fh.write(b"fmt " + struct.pack("<I", 16) + fmt)
        fh.write(b"fact" + struct.pack("<II", 4, n))
        fh.write(b"data" + struct.pack("<I", len(payload)) + payload)


def write_audio(path: str | os.PathLike, x: np.ndarray, rate: int, subtype: str = "FLOAT") -> None:
    """Write planar ``x`` atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = x.T if x.ndim == 2 else x
    fd, tmp = tempfile.mkstemp(suffix=".tmp.wav", dir=path.parent)
    os.close(fd)
    try:
        if subtype == "FLOAT":
            _write_float_wav(tmp, data, rate)
        else:
            sf.write(tmp, data, rate, subtype=subtype, format="WAV")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json(path: str | os.PathLike, obj, indent: int | None = 1) -> None:
    """Write JSON atomically."""
    import json

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".tmp.json", dir=path.parent)
    with os.fdopen(fd, "w") as fh:
        json.dump(obj, fh, indent=indent)
        fh.write("\n")
    os.replace(tmp, path)
