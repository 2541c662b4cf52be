"""One room impulse response: image sources (early part) + stochastic diffuse tail, per octave band.

Pipeline for a source/receiver pair in a shoebox:
1. images within ``t_early`` after the direct sound (``ism.image_sources``); per band, amplitude
   ``prod(beta_wall ** reflections) * exp(-m_air r / 2) / (4 pi r)`` with ``beta = sqrt(1 - alpha)``;
2. each image is placed with a windowed-sinc fractional delay and encoded to ACN/SN3D (W, Y, Z, X)
   from its direction, or received by each omni capsule of a 4-mic array at its own distance;
3. after the mixing time a Gaussian tail per band decays with that band's Eyring T60, starting at
   the energy density of the images just before it (energy cross-fade over 5 ms); FOA tails are
   diffuse (independent channels, Y/Z/X scaled by 1/sqrt(3) so (Y²+Z²+X²)/W² = 1), array tails
   are sums of plane waves (correct inter-capsule coherence);
4. the per-band signals go through a linear-phase filterbank whose bands sum to an impulse.

Options used by the ``real`` bank profile (``profiles.py``; the defaults reproduce the original
output bit for bit):
* ``tail="directional"``: the FOA tail is a sum of ``N_TAIL_WAVES`` independent plane waves, half
  of them from uniform directions (scattering) and half drawn from the specular late field of the
  shoebox: a wave travelling along ``u`` meets the walls of axis ``i`` ``c |u_i| / L_i`` times a
  second, so its energy decays as ``exp(-c t sum_i |u_i| a_i / L_i)`` with ``a_i`` the mean
  ``-ln(1 - alpha)`` (mid bands) of that axis' two walls, evaluated at the tail's energy centroid
  ``t_mix + T60 / 13.8``. The tail keeps (Y²+Z²+X²)/W² = 1 but has the room's anisotropy (less
  vertical energy over an absorbing floor/ceiling or in a low, wide room) and a small residual
  intensity, as measured responses show;
* ``array`` of kind ``afmt``: every image reaches each of the 4 first-order capsules at its own
  distance with the capsule's directivity gain, the tail is a plane-wave field at the capsules,
  and the capsule signals go through the A->B conversion (``afmt.py``, optional per-capsule gain
  mismatch ``capsule_gain``): the IR is B-format "as a real microphone gives it".
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import fft as sfft

from . import afmt as _afmt
from . import bands as _bands
from .arrays import FOA, ArraySpec, direction_of, foa_gains
from .ism import fractional_delay_matrix, image_sources
from .materials import (AIR_ABSORPTION_PER_M, MID_BANDS, SPEED_OF_SOUND, absorption_for_t60,
                        eyring_t60, random_materials)

FADE_S = 0.005
LEVEL_WINDOW_S = 0.02
N_TAIL_WAVES = 64


@dataclass(frozen=True)
class Room:
    """A shoebox: dimensions (m), materials and absorption ``(6, 7)`` per surface and band."""

    dims: tuple[float, float, float]
    materials: tuple[str, ...]
    absorption: np.ndarray = field(repr=False)

    @property
    def t60_bands(self) -> np.ndarray:
        return eyring_t60(self.dims, self.absorption)

    @property
    def t60_mid(self) -> float:
        return float(np.mean(self.t60_bands[list(MID_BANDS)]))


def design_room(dims, t60_mid: float, rng: np.random.Generator | None = None,
                materials: tuple[str, ...] | None = None) -> Room:
    """A room of ``dims`` whose Eyring mid-band (500 Hz/1 kHz) T60 equals ``t60_mid`` if feasible."""
    if materials is None:
        materials = random_materials(rng if rng is not None else np.random.default_rng(0))
    absorption, _ = absorption_for_t60(dims, materials, t60_mid)
    return Room(tuple(float(v) for v in dims), tuple(materials), absorption)


@dataclass
class SimulatedIR:
    ir: np.ndarray                 # (4, N) float32
    rate: int
    delay_samples: float           # direct-path arrival (fractional samples)
    azimuth_deg: float             # direct-path direction, CCW from +x
    elevation_deg: float           # up from the x-y plane
    distance_m: float
    drr_db: float                  # direct-to-reverberant ratio of channel 0
    t60_bands: np.ndarray          # design T60 per active band (s)
    mixing_samples: int = 0        # start of the pure diffuse tail (images fade out before it)


def _diffuse_noise(array: ArraySpec, n: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Stationary diffuse noise ``(4, n)``: independent channels for FOA (the SN3D gains are applied
    by the caller), a sum of plane waves with the capsules' mutual coherence for omni arrays."""
    if array.kind == "foa":
        return rng.standard_normal((4, n))
    n_waves = 64
    dirs = rng.standard_normal((n_waves, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    nfft = sfft.next_fast_len(n)
    freqs = np.fft.rfftfreq(nfft, 1.0 / rate)
    spec = (rng.standard_normal((n_waves, len(freqs))) + 1j * rng.standard_normal((n_waves, len(freqs))))
    lead = dirs @ array.offsets.T / SPEED_OF_SOUND  # (waves, mics): plane wave reaches mic earlier
    phase = np.exp(2j * np.pi * lead[:, :, None] * freqs[None, None, :])
    out = sfft.irfft(np.einsum("wf,wmf->mf", spec, phase), nfft, axis=-1)[:, :n]
    return out / out[0].std()


def _tail_directions(rng: np.random.Generator, axis_rate: np.ndarray | None, t_ref: float = 0.0,
                     n_waves: int = N_TAIL_WAVES, isotropic_share: float = 0.5) -> np.ndarray:
    """Unit directions of the tail's plane waves: ``isotropic_share`` uniform on the sphere, the rest
    drawn with weight ``exp(-t_ref * |u| @ axis_rate)`` (directional decay of the specular late
    field, module docstring); ``axis_rate=None`` gives all uniform."""
    out = rng.standard_normal((n_waves, 3))
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    n_dir = 0 if axis_rate is None else int(round(n_waves * (1.0 - isotropic_share)))
    if n_dir:
        cand = rng.standard_normal((2048, 3))
        cand /= np.linalg.norm(cand, axis=1, keepdims=True)
        logw = -t_ref * (np.abs(cand) @ axis_rate)
        w = np.exp(logw - logw.max())
        out[:n_dir] = cand[rng.choice(len(cand), n_dir, p=w / w.sum())]
    return out


def _plane_wave_noise(array: ArraySpec, dirs: np.ndarray, n: int, rate: int,
                      rng: np.random.Generator) -> np.ndarray:
    """``(4, n)`` field of independent white plane waves from ``dirs``: FOA gains (coincident
    receiver) or, for capsule arrays, each capsule with its own lead time and directivity."""
    if array.kind == "foa":
        s = rng.standard_normal((len(dirs), n))
        return foa_gains(dirs).T @ s
    nfft = sfft.next_fast_len(n)
    freqs = np.fft.rfftfreq(nfft, 1.0 / rate)
    spec = (rng.standard_normal((len(dirs), len(freqs))) + 1j * rng.standard_normal((len(dirs), len(freqs))))
    lead = dirs @ array.offsets.T / SPEED_OF_SOUND
    gain = np.ones_like(lead) if array.kind != "afmt" else _afmt.capsule_gains(array.directivity, dirs)
    # single precision for the (waves x bins) phase terms: the tail is noise, 1e-7 errors are moot
    spec = spec.astype(np.complex64)
    f32 = (2 * np.pi * freqs).astype(np.float32)
    out = np.empty((4, len(freqs)), np.complex64)
    for m in range(4):
        ph = np.outer(lead[:, m].astype(np.float32), f32)
        out[m] = (gain[:, m].astype(np.float32) @ (spec * (np.cos(ph) + 1j * np.sin(ph)).astype(np.complex64)))
    return sfft.irfft(out.astype(np.complex128), nfft, axis=-1)[:, :n]


class TailField:
    """One plane-wave tail field per room, shared by its source positions (``simulate_ir(...,
    tail_field=...)``): the first call draws the waves
    over ``length`` samples; every call returns an excerpt at a random circular offset. Offsets of
    a white field more than a few samples apart are uncorrelated, so the positions' tails stay
    independent in practice, at a fraction of the cost of drawing 64 waves per position."""

    def __init__(self, length: int):
        self.length = int(length)
        self.field: np.ndarray | None = None

    def get(self, array: ArraySpec, dirs_fn, n: int, rate: int, rng: np.random.Generator) -> np.ndarray:
        if self.field is None or self.field.shape[1] < n:
            self.field = _plane_wave_noise(array, dirs_fn(), max(self.length, n), rate, rng)
        shift = int(rng.integers(self.field.shape[1]))
        return np.roll(self.field, -shift, axis=1)[:, :n]


def _decay_correction(t_arr: np.ndarray, log_amp: np.ndarray, t_direct: float, t_mix: float,
                      t60: np.ndarray, bin_s: float = 0.004) -> np.ndarray:
    """Per-band amplitude decay rate (1/s) that makes the image energy decay at the band's T60.

    With non-uniform absorption a shoebox image set decays non-exponentially and not at the
    Eyring rate (grazing paths between reflective walls linger). The energy envelope of the images
    (summed per ``bin_s`` bin, excluding the direct sound) is fitted with a line in log energy;
    every image then gets ``exp(rate * (t - t_direct))`` so the early part joins the diffuse tail
    without a change of slope. Early, low-order reflections are barely changed.
    """
    start = t_direct + 0.01
    sel = (t_arr >= start) & (t_arr < t_mix)
    target = -13.8155 / t60                      # ln-energy slope per second
    if sel.sum() < 20:
        return np.zeros_like(t60)
    idx = ((t_arr[sel] - start) / bin_s).astype(int)
    n_bins = int(idx.max()) + 1
    energy = np.zeros((n_bins, len(t60)))
    np.add.at(energy, idx, np.exp(2 * log_amp[sel]))
    ok = energy[:, 0] > 0
    if ok.sum() < 4:
        return np.zeros_like(t60)
    tb = (np.arange(n_bins)[ok] + 0.5) * bin_s
    slope = np.polyfit(tb, np.log(energy[ok]), 1)[0]   # (B,)
    return (target - slope) / 2.0


def simulate_ir(room: Room, src, mic, rate: int, rng: np.random.Generator, *,
                array: ArraySpec = FOA, t_early: float | None = None, max_seconds: float = 2.0,
                length_factor: float = 1.0, tail: str = "iid", capsule_gain=None,
                tail_field: TailField | None = None) -> SimulatedIR:
    """Simulate the 4-channel impulse response from ``src`` to the receiver centred at ``mic``.

    The IR lasts ``direct delay + length_factor * max(T60)`` (capped at ``max_seconds``). Images
    are kept for ``t_early`` after the direct sound (default ``0.15 * T60_mid`` within [20, 80] ms:
    in short, unevenly damped rooms a longer image part would dominate the decay curve).
    ``tail``: ``iid`` (independent FOA channels; omni arrays: isotropic plane waves) or
    ``directional`` (plane waves with the room's late anisotropy, module docstring). ``capsule_gain``:
    linear per-capsule gains of an ``afmt`` receiver (mismatch), applied before the conversion.
    ``tail_field``: a ``TailField`` shared by the positions of one room (plane-wave tails only).
    """
    if tail not in ("iid", "directional"):
        raise ValueError(f"unknown tail model {tail!r}; accepted: iid, directional")
    if t_early is None:
        t_early = float(np.clip(0.15 * room.t60_mid, 0.02, 0.08))
    c = SPEED_OF_SOUND
    src, mic = np.asarray(src, float), np.asarray(mic, float)
    dims = np.asarray(room.dims, float)
    if np.any(src <= 0) or np.any(src >= dims) or np.any(mic <= 0) or np.any(mic >= dims):
        raise ValueError(f"source {src} and receiver {mic} must lie inside the room {dims}")
    n_bands = _bands.n_active_bands(rate)
    t60 = room.t60_bands[:n_bands]
    log_beta = 0.5 * np.log1p(-room.absorption[:, :n_bands])         # (6, B)
    air = AIR_ABSORPTION_PER_M[:n_bands]

    direct = np.linalg.norm(src - mic)
    t_mix = direct / c + t_early
    n_out = int(np.ceil(min(max_seconds, max(direct / c + length_factor * t60.max(),
                                               t_mix + FADE_S + 0.05)) * rate))
    images, refl = image_sources(dims, src, c * (t_mix + FADE_S) + array.max_radius, mic)
    log_refl = refl @ log_beta                                         # (K, B)

    r_center = np.maximum(np.linalg.norm(images - mic, axis=1), 1e-3)
    log_refl = log_refl + _decay_correction(r_center / c, log_refl - np.log(r_center)[:, None],
                                            direct / c, t_mix, t60)[None, :] * (r_center / c - direct / c)[:, None]

    receivers = [np.zeros(3)] if array.kind == "foa" else list(array.offsets)
    afmt = array.kind == "afmt"
    per_channel = []   # list of (B, N) arrays, one per output channel
    level_ref = None
    for i, off in enumerate(receivers):
        rel = images - (mic + off)
        r = np.maximum(np.linalg.norm(rel, axis=1), 1e-3)
        t_arr = r / c
        amp = np.exp(log_refl - np.outer(r, air) / 2.0) / (4 * np.pi * r[:, None])   # (K, B)
        fade = np.clip((t_arr - t_mix) / FADE_S, 0.0, 1.0)
        amp_w = amp * np.cos(0.5 * np.pi * fade)[:, None]
        delay_mat = fractional_delay_matrix(t_arr * rate, n_out)
        if i == 0:
            win = (t_arr >= t_mix - LEVEL_WINDOW_S) & (t_arr < t_mix)
            level_ref = (amp[win] ** 2).sum(0)                          # energy per band in window
        if array.kind == "foa":
            gains = foa_gains(rel / r[:, None])                         # (K, 4)
            for ch in range(4):
                per_channel.append(np.asarray((delay_mat.T @ (amp_w * gains[:, ch:ch + 1])).T))
        elif afmt:   # first-order capsule pointing along its offset, arrival direction rel / r
            g = _afmt.capsule_gains(array.directivity, rel / r[:, None])[:, i]
            per_channel.append(np.asarray((delay_mat.T @ (amp_w * g[:, None])).T))
        else:
            per_channel.append(np.asarray((delay_mat.T @ amp_w).T))
    sig = np.stack(per_channel, 1)                                      # (B, 4, N)

    # Diffuse tail, level-matched per band to the image energy density just before t_mix. The
    # noise is split into bands first and every band/channel is normalised over the tail, so each
    # band decays exactly with its T60 and the SN3D energy ratio holds per band.
    x = 13.8155 * LEVEL_WINDOW_S / t60
    density = level_ref / (LEVEL_WINDOW_S * rate) * x / np.expm1(x)   # energy per sample at t_mix
    t = np.arange(n_out) / rate
    ramp = np.sin(0.5 * np.pi * np.clip((t - t_mix) / FADE_S, 0.0, 1.0))
    fb = _bands.filterbank(rate)
    taps = fb.shape[1]
    nfft = sfft.next_fast_len(n_out + taps - 1, real=True)
    fb_spec = sfft.rfft(fb, nfft, axis=-1)                              # (B, F)
    joint = tail == "directional" or afmt
    if joint:   # a plane-wave field: one scale per band for all channels keeps their relations
        a_surf = -np.log1p(-np.mean(room.absorption[:, list(MID_BANDS)], axis=1))      # (6,)
        axis_rate = c * np.array([a_surf[0] + a_surf[1], a_surf[2] + a_surf[3], a_surf[4] + a_surf[5]]) / 2 / dims
        t_ref = t_mix + room.t60_mid / 13.8155

        def dirs_fn():
            return _tail_directions(rng, axis_rate if tail == "directional" else None, t_ref)
        if tail_field is not None:
            noise = tail_field.get(array, dirs_fn, n_out, rate, rng)
        else:
            noise = _plane_wave_noise(array, dirs_fn(), n_out, rate, rng)
    else:
        noise = _diffuse_noise(array, n_out, rate, rng)
    band_noise = sfft.irfft(sfft.rfft(noise, nfft, axis=-1)[None] * fb_spec[:, None], nfft,
                            axis=-1)[:, :, taps // 2: taps // 2 + n_out]  # (B, 4, N)
    gains = np.array([1.0, 1 / np.sqrt(3), 1 / np.sqrt(3), 1 / np.sqrt(3)]) if array.kind == "foa" else np.ones(4)
    band_fraction = np.sum(fb ** 2, axis=1)                             # white-noise power in each band
    tail = np.zeros((4, n_out))
    for b in range(n_bands):
        decay = np.exp(-6.9078 * np.maximum(t - t_mix, 0.0) / t60[b]) * ramp
        w = decay ** 2                                                   # normalise where the energy is
        if joint:
            # FOA: W carries the pressure; afmt: the mean capsule power of a diffuse field is
            # a² + (1 - a)²/3 times the pressure power, whatever the field's anisotropy
            if afmt:
                ref = array.directivity ** 2 + (1 - array.directivity) ** 2 / 3.0
                rms = np.sqrt(np.mean((band_noise[b] ** 2) @ w) / w.sum() / ref) + 1e-30
            else:
                rms = np.sqrt((band_noise[b, 0] ** 2 @ w) / w.sum()) + 1e-30
            tail += (np.sqrt(density[b] * band_fraction[b]) / rms) * decay[None, :] * band_noise[b]
            continue
        rms = np.sqrt((band_noise[b] ** 2 @ w) / w.sum()) + 1e-30        # (4,)
        tail += (np.sqrt(density[b] * band_fraction[b]) * gains / rms)[:, None] * decay[None, :] * band_noise[b]

    spec = sfft.rfft(sig, nfft, axis=-1)
    spec = np.einsum("bcf,bf->cf", spec, fb_spec)
    ir = sfft.irfft(spec, nfft, axis=-1)[:, taps // 2: taps // 2 + n_out] + tail
    if afmt:   # capsule signals -> B-format, like the microphone's converter
        nfft_b = sfft.next_fast_len(n_out + 1024, real=True)
        spec_b = _afmt.a_to_b(sfft.rfft(ir, nfft_b, axis=-1), float(np.linalg.norm(array.offsets[0])),
                              array.directivity, rate, nfft_b, array.eq, capsule_gain)
        ir = sfft.irfft(spec_b, nfft_b, axis=-1)[:, :n_out]

    delay = direct / c * rate
    az, el = direction_of(src - mic)
    d0 = int(round(delay))
    half = int(round(0.0025 * rate))
    direct_e = float(np.sum(ir[0, max(d0 - half, 0): d0 + half + 1] ** 2))
    drr = 10 * np.log10(direct_e / max(float(np.sum(ir[0] ** 2)) - direct_e, 1e-30))
    return SimulatedIR(ir.astype(np.float32), rate, float(delay), az, el, float(direct), float(drr),
                       t60.copy(), int(np.ceil((t_mix + FADE_S) * rate)))
