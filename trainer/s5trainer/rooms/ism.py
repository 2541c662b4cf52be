"""Shoebox image-source enumeration (Allen & Berkley) and fractional-delay scattering."""
from __future__ import annotations

import numpy as np
from scipy import sparse


def image_sources(dims, src, max_distance: float, center) -> tuple[np.ndarray, np.ndarray]:
    """Images of ``src`` within ``max_distance`` of ``center``.

    Returns absolute image positions ``(K, 3)`` and per-surface reflection counts ``(K, 6)`` in
    the surface order x=0, x=Lx, y=0, y=Ly, z=0, z=Lz. Along an axis of length L, image
    ``(n, p)`` sits at ``(1 - 2p) * s + 2 n L`` after ``|n - p|`` reflections on the wall at 0 and
    ``|n|`` on the wall at L.
    """
    dims = np.asarray(dims, float)
    src = np.asarray(src, float)
    center = np.asarray(center, float)
    coords, counts = [], []
    for ax in range(3):
        nmax = int(np.ceil(max_distance / (2.0 * dims[ax]))) + 1
        n = np.repeat(np.arange(-nmax, nmax + 1), 2)
        p = np.tile([0, 1], 2 * nmax + 1)
        x = (1 - 2 * p) * src[ax] + 2 * n * dims[ax]
        keep = np.abs(x - center[ax]) <= max_distance
        coords.append(x[keep])
        counts.append(np.stack([np.abs(n - p), np.abs(n)], 1)[keep])
    ix, iy, iz = np.meshgrid(*(np.arange(len(c)) for c in coords), indexing="ij")
    ix, iy, iz = ix.ravel(), iy.ravel(), iz.ravel()
    pos = np.stack([coords[0][ix], coords[1][iy], coords[2][iz]], 1)
    refl = np.concatenate([counts[0][ix], counts[1][iy], counts[2][iz]], 1)
    keep = np.linalg.norm(pos - center, axis=1) <= max_distance
    return pos[keep], refl[keep]


def fractional_delay_matrix(delays: np.ndarray, n_out: int, taps: int = 32) -> sparse.csr_matrix:
    """Sparse ``(K, n_out)`` matrix whose row k is a Hann-windowed sinc centred at ``delays[k]``.

    Multiplying per-image weights ``(M, K)`` by it places every image at its exact (fractional)
    arrival time. Taps falling outside ``[0, n_out)`` are dropped.
    """
    delays = np.asarray(delays, float)
    k = len(delays)
    base = np.floor(delays).astype(np.int64) - taps // 2 + 1
    idx = base[:, None] + np.arange(taps)[None, :]
    t = idx - delays[:, None]
    kernel = np.sinc(t) * (0.5 + 0.5 * np.cos(np.pi * t / (taps / 2.0)))
    ok = (idx >= 0) & (idx < n_out)
    rows = np.broadcast_to(np.arange(k)[:, None], idx.shape)
    return sparse.csr_matrix((kernel[ok], (rows[ok], idx[ok])), shape=(k, n_out))
