"""Duplicate detection: identical PCM (hash) and re-encoded copies (spectral similarity).

Copies across packages are common (lossy re-encodes, resampled or bit-identical files). Clips are
compared on log band energies (32 bands, 100 Hz-7.5 kHz, 32 ms frames at 16 kHz): a cheap
mean-spectrum cosine prefilter among clips of nearly equal duration, then the correlation of the
time-band patterns with each band's mean removed (the temporal fine structure, over small lags),
and finally an optional waveform check (``confirm``): different takes of a similar sound (two
footsteps on concrete, two velocity layers of a drum) share spectra and envelopes but not their
waveforms, while a re-encoded copy keeps its waveform. Union-find groups every chain of copies.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import resample_poly

N_BANDS = 32
HOP = 256
FRAME = 512
ANALYSIS_RATE = 16000


@dataclass
class Fingerprint:
    frames: np.ndarray      # (T, 32) log10 band energies, float32
    coarse: np.ndarray      # (32,) unit-norm, zero-mean mean spectrum

    @property
    def n_frames(self) -> int:
        return len(self.frames)


def _band_matrix(n_fft: int, rate: int) -> np.ndarray:
    edges = np.geomspace(100.0, 7500.0, N_BANDS + 1)
    f = np.fft.rfftfreq(n_fft, 1.0 / rate)
    return np.stack([(f >= lo) & (f < hi) for lo, hi in zip(edges[:-1], edges[1:])], 1).astype(np.float32)


_BANDS = _band_matrix(FRAME, ANALYSIS_RATE)


def fingerprint(x: np.ndarray, rate: int) -> Fingerprint:
    if rate != ANALYSIS_RATE:
        from fractions import Fraction

        fr = Fraction(ANALYSIS_RATE, rate).limit_denominator(1000)
        x = resample_poly(x.astype(np.float64), fr.numerator, fr.denominator)
    x = np.asarray(x, np.float32)
    if len(x) < FRAME:
        x = np.pad(x, (0, FRAME - len(x)))
    n = 1 + (len(x) - FRAME) // HOP
    idx = np.arange(FRAME)[None, :] + HOP * np.arange(n)[:, None]
    spec = np.abs(np.fft.rfft(x[idx] * np.hanning(FRAME).astype(np.float32), axis=1)) ** 2
    frames = np.log10(spec @ _BANDS + 1e-10).astype(np.float32)
    coarse = frames.mean(0)
    coarse = coarse - coarse.mean()
    coarse /= max(float(np.linalg.norm(coarse)), 1e-9)
    return Fingerprint(frames, coarse.astype(np.float32))


def similarity(a: Fingerprint, b: Fingerprint, max_lag: int = 3) -> float:
    """Best Pearson correlation of the time-band patterns over lags of ±``max_lag`` frames."""
    best = -1.0
    za, zb = a.frames - a.frames.mean(0), b.frames - b.frames.mean(0)
    for lag in range(-max_lag, max_lag + 1):
        fa = za[max(lag, 0):]
        fb = zb[max(-lag, 0):]
        n = min(len(fa), len(fb))
        if n < 2:
            continue
        u, v = fa[:n].ravel().astype(np.float64), fb[:n].ravel().astype(np.float64)
        u, v = u - u.mean(), v - v.mean()
        den = np.linalg.norm(u) * np.linalg.norm(v)
        if den > 0:
            best = max(best, float(u @ v / den))
    return best


class UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)


def waveform_similarity(x: np.ndarray, y: np.ndarray, rate: int, max_lag_s: float = 0.05,
                        seconds: float = 6.0) -> float:
    """Peak normalised cross-correlation of the first ``seconds`` of two waveforms (8 kHz)."""
    from fractions import Fraction

    fr = Fraction(8000, rate).limit_denominator(1000)
    x = resample_poly(np.asarray(x[: int(seconds * rate)], np.float64), fr.numerator, fr.denominator)
    y = resample_poly(np.asarray(y[: int(seconds * rate)], np.float64), fr.numerator, fr.denominator)
    n = min(len(x), len(y))
    if n < 16:
        return 0.0
    lag = int(max_lag_s * 8000)
    nfft = 1 << int(np.ceil(np.log2(len(x) + len(y))))
    cc = np.fft.irfft(np.fft.rfft(x, nfft) * np.conj(np.fft.rfft(y, nfft)), nfft)
    cc = np.concatenate([cc[-lag:], cc[: lag + 1]])
    return float(np.max(np.abs(cc)) / max(np.linalg.norm(x) * np.linalg.norm(y), 1e-12))


def duplicate_clusters(hashes: list[str], prints: list[Fingerprint], *, groups: list[str] | None = None,
                       confirm=None, duration_tol: float = 0.03, coarse_min: float = 0.97,
                       threshold: float = 0.9) -> list[list[int]]:
    """Clusters (index lists, first = lowest index) of items that are copies of each other.

    Identical hashes always merge. Spectral candidates merge only across different ``groups``
    (related files of one group share a split anyway) and only if ``confirm(i, j)`` agrees.
    """
    n = len(hashes)
    uf = UnionFind(n)
    first: dict[str, int] = {}
    for i, h in enumerate(hashes):
        if h in first:
            uf.union(first[h], i)
        else:
            first[h] = i
    lengths = np.array([p.n_frames for p in prints])
    order = np.argsort(lengths, kind="stable")
    coarse = np.stack([p.coarse for p in prints]) if n else np.zeros((0, N_BANDS))
    for a_pos, i in enumerate(order):
        hi = lengths[i] * (1 + duration_tol) + 2
        j_pos = a_pos + 1
        while j_pos < n and lengths[order[j_pos]] <= hi:
            j_pos += 1
        cand = order[a_pos + 1:j_pos]
        if len(cand) == 0:
            continue
        cos = coarse[cand] @ coarse[i]
        for j in cand[cos >= coarse_min]:
            if uf.find(i) == uf.find(j) or (groups is not None and groups[i] == groups[j]):
                continue
            if similarity(prints[i], prints[j]) >= threshold and (confirm is None or confirm(int(i), int(j))):
                uf.union(i, j)
    clusters: dict[int, list[int]] = {}
    for i in range(n):
        clusters.setdefault(uf.find(i), []).append(i)
    return [sorted(c) for c in clusters.values()]
