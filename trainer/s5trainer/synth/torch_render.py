"""Batched scene rendering in torch: the numbers of ``render.py`` for a whole batch on one device.

``render.py`` renders one scene at a time in numpy (a DataLoader worker per core); at GPU speed
that is the bottleneck. Here the work is split where it is cheap to split:

* **CPU, per scene** (``prepare_scene``, in DataLoader workers): the spec, the peak-normalised
  source excerpts (file-bound, cached), the mono ambience excerpt and its plane-wave draws, an
  FOA-file background, the A-format self-noise (numpy-seeded, exact) and the augmentation draws
  (``train/augment.augment_params``). ``pack_scenes`` (the collate function) concatenates a batch
  into a few flat tensors (pinned by the loader's pin thread on CUDA).
* **device, per batch** (``TorchSceneRenderer.render``): every event convolved with its room's 4
  IR channels (one rfft per event, IR spectra cached on the device, one batched irfft), the gain
  rule of ``render.py`` (mean power over the whole convolved length, 4 channels, float64
  accumulation), placement at the onset and truncation (the source is placed before the FFT, so
  the result *is* the placed wet signal), dry references (the truncated channel-0 kernel is a 5th
  IR row, placed at its window start), the background (diffuse plane waves from the mono excerpt,
  procedural noise, tilt, level), mixing in spec order, and the augmentation (rotation, tilt, gain).

Semantics are those of ``render.py`` (its docstring; spec §7.3-7.4, §1.2) with one deliberate
difference in the default mode (``noise="device"``): **procedural backgrounds** (half the scenes)
and the **self-noise of A-format rooms** are drawn on the device from torch generators seeded by
the spec: same kind, spectrum, conversion, channel ratios and level, another noise realisation
(numpy's draws cost 20-40 ms and ~70 ms of CPU per scene: more than everything else together).
``noise="cpu"`` draws them with numpy in the workers instead, and then a batch equals
``SceneRenderer.render`` up to float32 rounding (``tests/test_torch_render.py``).
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy import fft as sfft

from .background import N_PLANE_WAVES, excerpt, render_background
from .config import SynthConfig
from .render import SceneRenderer

NOISE_MODES = ("device", "cpu")
_NOISE_CODE = {"white": 0, "pink": 1, "brown": 2, "hvac": 3, "babble_like": 4}


@dataclass
class PreparedScene:
    """What a worker hands over for one scene: small, picklable, numpy only."""
    rooms: str                          # room bank folder
    cfg: SynthConfig
    labels: list                        # target labels in spec order
    sources: list                       # per kept event: peak-normalised float32 excerpt
    events: list                        # per kept event: (room, position, onset, target_db, target index or -1)
    background: dict                    # kind "mono" | "rendered" | "procedural", plus level_db and tilt
    self_noise: np.ndarray | dict | None = None   # numpy-drawn (4, L), or self_noise_params() for the device
    augment: dict | None = None         # augment_params() of the item key
    spec: dict | None = field(default=None, repr=False)


def prepare_scene(renderer: SceneRenderer, spec: dict, rooms: str, noise: str = "device") -> PreparedScene:
    """The CPU part of rendering ``spec`` (``renderer`` supplies clip loading and the self-noise).
    ``noise="device"``: procedural backgrounds and microphone self-noise are drawn by the device;
    ``"cpu"``: by numpy here, exactly as ``render.py``."""
    if noise not in NOISE_MODES:
        raise ValueError(f"noise={noise!r}; accepted: {', '.join(NOISE_MODES)}")
    cfg, n = renderer.cfg, renderer.cfg.n_samples
    targets = spec["events"]
    sources, events = [], []
    for k, ev in enumerate(targets + spec["interferers"]):
        x = renderer.source(ev)
        if len(x) == 0 or not np.any(x):
            continue                                    # as render.py: no sound, no gain, zero reference
        sources.append(np.ascontiguousarray(x, np.float32))
        events.append((spec["room"], int(ev["position"]), int(ev["onset_sample"]),
                       float(spec["ref_db"] + ev["snr_db"]), k if k < len(targets) else -1))
    bg = spec["background"]
    out = {"level_db": float(bg["level_db"]), "tilt": bg.get("tilt_db_per_octave") or None}
    if bg["kind"] == "clip":
        # diffuse_from_mono's draws (numpy, as render.py); the 8 shifted copies are summed on the device
        rng = np.random.default_rng(bg["seed"])
        x = excerpt(renderer._load(bg["clip"]), n, int(bg["offset_s"] * cfg.rate), cfg.background_tile)
        dirs = rng.standard_normal((N_PLANE_WAVES, 3))
        dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
        from ..rooms.arrays import foa_gains

        out.update(kind="mono", x=np.ascontiguousarray(x, np.float32),
                   gains=foa_gains(dirs).astype(np.float32), shifts=rng.integers(0, len(x), N_PLANE_WAVES))
    elif bg["kind"] == "procedural" and noise == "device":
        out.update(kind="procedural", noise=bg["noise"], seed=int(bg["seed"]))
    else:                                               # FOA file (cheap) or numpy-exact procedural noise
        plain = {k: v for k, v in bg.items() if k != "tilt_db_per_octave"}
        out.update(kind="rendered", x=render_background(plain, n, cfg.rate, renderer._load, cfg.background_tile))
    if noise == "device":
        mic = self_noise_params(renderer, spec)
    else:
        mic = renderer.self_noise(spec, n)
    return PreparedScene(str(rooms), cfg, [e["label"] for e in targets], sources, events, out, mic, None, spec)


def self_noise_params(renderer: SceneRenderer, spec: dict) -> dict | None:
    """What the device needs to draw ``SceneRenderer.self_noise`` itself (None: no self-noise)."""
    rec = renderer.bank.meta(spec["room"]).get("receiver") or {}
    if rec.get("kind") != "afmt" or rec.get("self_noise_db") is None:
        return None
    return {"radius": float(rec["radius_m"]), "a": float(rec["directivity"]), "eq": bool(rec.get("eq", True)),
            "gains": [float(g) for g in 10 ** (np.asarray(rec.get("capsule_gain_db", [0.0] * 4), float) / 20)],
            "power": float(10 ** ((spec["ref_db"] + rec["self_noise_db"]) / 10)),
            "seed": [int(spec["seed"]), int(spec["index"])]}


class SceneBatch:
    """A collated batch of prepared scenes: flat tensors (pinned on request) plus small metadata."""

    def __init__(self, scenes: list[PreparedScene]):
        if not scenes:
            raise ValueError("an empty batch")
        cfg = scenes[0].cfg
        for s in scenes:
            if (s.cfg.rate, s.cfg.n_samples) != (cfg.rate, cfg.n_samples):
                raise ValueError("a batch mixes scene rates or lengths")
        self.n, self.rate, self.length = len(scenes), cfg.rate, cfg.n_samples
        self.cfgs = [s.cfg for s in scenes]
        self.rooms = [s.rooms for s in scenes]
        self.labels = [list(s.labels) for s in scenes]
        self.specs = [s.spec for s in scenes]
        ev = [(b, j, e) for b, s in enumerate(scenes) for j, e in enumerate(s.events)]
        srcs = [x for s in scenes for x in s.sources]
        self.ir_keys = [(scenes[b].rooms, e[0], e[1]) for b, _j, e in ev]
        self.ir_cfg = [b for b, _j, _e in ev]                    # the scene whose cfg normalises the IR
        self.t = {
            "scene": torch.tensor([b for b, _j, _e in ev], dtype=torch.long),
            "slot": torch.tensor([j for _b, j, _e in ev], dtype=torch.long),
            "onset": torch.tensor([e[2] for _b, _j, e in ev], dtype=torch.long),
            "target_db": torch.tensor([e[3] for _b, _j, e in ev], dtype=torch.float64),
            "target": torch.tensor([e[4] for _b, _j, e in ev], dtype=torch.long),
            "length": torch.tensor([len(x) for x in srcs], dtype=torch.long),
            "sources": torch.from_numpy(np.concatenate(srcs) if srcs else np.zeros(0, np.float32)),
            "level_db": torch.tensor([s.background["level_db"] for s in scenes], dtype=torch.float64),
        }
        bgs = [s.background for s in scenes]
        mono = [b for b, g in enumerate(bgs) if g["kind"] == "mono"]
        rend = [b for b, g in enumerate(bgs) if g["kind"] == "rendered"]
        self.procedural = [(b, g["noise"], g["seed"]) for b, g in enumerate(bgs) if g["kind"] == "procedural"]
        self.tilt = [(b, float(g["tilt"])) for b, g in enumerate(bgs) if g["tilt"]]
        self.t["mono_idx"] = torch.tensor(mono, dtype=torch.long)
        if mono:
            self.t["mono_x"] = torch.from_numpy(np.stack([bgs[b]["x"] for b in mono]))
            self.t["mono_gains"] = torch.from_numpy(np.stack([bgs[b]["gains"] for b in mono]))
            self.t["mono_shifts"] = torch.from_numpy(np.stack([bgs[b]["shifts"] for b in mono]).astype(np.int64))
        self.t["rend_idx"] = torch.tensor(rend, dtype=torch.long)
        if rend:
            self.t["rend_x"] = torch.from_numpy(np.stack([np.asarray(bgs[b]["x"], np.float32) for b in rend]))
        noisy = [b for b, s in enumerate(scenes) if isinstance(s.self_noise, np.ndarray)]
        self.mic_device = [(b, s.self_noise) for b, s in enumerate(scenes) if isinstance(s.self_noise, dict)]
        self.t["mic_idx"] = torch.tensor(noisy, dtype=torch.long)
        if noisy:
            self.t["mic_x"] = torch.from_numpy(np.stack([scenes[b].self_noise for b in noisy]))
        self.augment = [s.augment for s in scenes]

    def pin_memory(self) -> "SceneBatch":
        self.t = {k: v.pin_memory() for k, v in self.t.items()}
        return self

    def __len__(self) -> int:
        return self.n


def pack_scenes(scenes: list[PreparedScene]) -> SceneBatch:
    return SceneBatch(scenes)


@dataclass
class RenderedBatch:
    mixture: torch.Tensor               # [B, 4, L]
    dry: torch.Tensor                   # [B, T, L] references in spec order (T = most targets in the batch)
    labels: list                        # per scene, spec order


def _tilt_gain(n: int, rate: int, slope: torch.Tensor, lo: float, hi: float, device) -> torch.Tensor:
    """``[len(slope), n // 2 + 1]`` float64 tilt responses (``background.tilt`` / ``augment._tilt``)."""
    f = torch.fft.rfftfreq(n, 1.0 / rate, dtype=torch.float64, device=device)
    octaves = torch.clamp(torch.log2(torch.clamp(f, min=20.0) / 1000.0), lo, hi)
    return 10.0 ** (slope[:, None] * octaves[None, :] / 20.0)


def _apply_tilt(x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """Tilt ``x [N, C, L]`` by ``h [N, F]`` in float64, as numpy does; float32 out."""
    n = x.shape[-1]
    return torch.fft.irfft(torch.fft.rfft(x.double(), dim=-1) * h[:, None, :], n=n, dim=-1).float()


def procedural_noise(kind: str, seed: int, n: int, rate: int, device) -> torch.Tensor:
    """``generators.noise.diffuse_noise`` on the device: the same spectra, channel ratios and
    modulations from a torch generator seeded by ``seed`` (float32, ``[4, n]``)."""
    base = int(seed) * 2654435761 % 2**62 + 0x5EED
    gen = torch.Generator(device=device)           # the normals, drawn where they are used
    gen.manual_seed(base)
    scalars = torch.Generator().manual_seed(base + 1)   # the few scalars on the CPU: no device syncs
    nfft = sfft.next_fast_len(n, real=True)
    f = torch.fft.rfftfreq(nfft, 1.0 / rate, device=device)
    fk = torch.clamp(f, min=20.0)

    def uniform(lo, hi):
        return float(lo + (hi - lo) * torch.rand((), generator=scalars))

    if kind == "white":
        mag = torch.ones_like(f)
    elif kind == "pink":
        mag = fk.rsqrt()
    elif kind == "brown":
        mag = 1.0 / fk
    elif kind == "hvac":
        corner = uniform(300.0, 900.0)
        mag = fk.rsqrt() / torch.sqrt(1 + (f / corner) ** 2)
    elif kind == "babble_like":
        mag = (fk / 500.0) / (1 + (fk / 500.0) ** 2) ** 1.2
    else:
        raise ValueError(f"unknown noise kind {kind!r}; accepted: {', '.join(_NOISE_CODE)}")
    z = torch.randn((2, 4, len(f)), generator=gen, device=device)
    spec = torch.complex(z[0], z[1]) * mag
    spec[:, 0] = 0
    x = torch.fft.irfft(spec, nfft, dim=-1)[:, :n]
    t = torch.arange(n, device=device, dtype=torch.float64) / rate
    if kind == "hvac":
        mains = 50.0 if float(torch.rand((), generator=scalars)) < 0.5 else 60.0
        hum = sum(torch.sin(2 * np.pi * mains * k * t + uniform(0, 2 * np.pi)) / k for k in (1, 2, 3))
        x = x + (0.3 * x.std(unbiased=False) * hum.float())[None, :]
    if kind == "babble_like":
        x = x * (1 + 0.3 * torch.sin(2 * np.pi * uniform(0.2, 1.0) * t)).float()[None, :]
    x = x / x.std(dim=1, keepdim=True, unbiased=False)
    x[1:] /= np.sqrt(3.0)
    return x


def fft_length(n: int) -> int:
    """The smallest of 2^k, 3 * 2^k, 5 * 2^k that holds ``n`` (few sizes: FFT plans and IR spectra
    are reused; at most a third of padding)."""
    best = 1 << max(int(n) - 1, 1).bit_length()
    for c in (3, 5):
        m = c
        while m < n:
            m *= 2
        best = min(best, m)
    return best


class TorchSceneRenderer:
    """Renders ``SceneBatch``es on ``device``; IRs (and their spectra) are cached on the device.

    ``chunk`` events are convolved at a time (memory: ~``chunk * 4 * nfft * 16`` bytes, plus the
    placed events ``[events, 4, L]``); chunks hold events of similar length (``fft_length``).
    IR spectra are kept per FFT length up to ``spectrum_cache_bytes`` (LRU).
    """

    def __init__(self, device="cpu", chunk: int = 32, spectrum_cache_bytes: int | None = None):
        self.device = torch.device(device)
        self.chunk = int(chunk)
        if spectrum_cache_bytes is None:
            spectrum_cache_bytes = (4 << 30) if self.device.type == "cuda" else (256 << 20)
        self.cache_bytes = int(spectrum_cache_bytes)
        self._ir_loaders: dict = {}
        self._irs: dict = {}                 # key -> (h [5, lh] float32 on device: 4 IR rows + dry kernel row, lh)
        self._spectra: OrderedDict = OrderedDict()
        self._spectra_bytes = 0
        self._a2b: dict = {}                 # self-noise conversion (A->B matrix with gains, EQ) per receiver

    # -- IRs -------------------------------------------------------------------------------------
    def _ir(self, rooms: str, room: str, position: int, cfg: SynthConfig):
        ck = (cfg.rate, cfg.ir_norm, cfg.dry_peak, cfg.dry_window_inclusive, cfg.dry_window_samples)
        key = (rooms, room, int(position), ck)
        got = self._irs.get(key)
        if got is None:
            loader = self._ir_loaders.get((rooms, ck))
            if loader is None:
                from ..rooms.bank import RoomBank

                loader = self._ir_loaders[(rooms, ck)] = SceneRenderer(None, RoomBank(rooms), cfg)
            h, start, kernel = loader._ir(room, int(position))
            rows = np.zeros((5, h.shape[-1]), np.float32)
            rows[:4] = h
            rows[4, start:start + len(kernel)] = kernel          # the dry kernel, placed at its start
            got = self._irs[key] = (torch.from_numpy(rows).to(self.device), h.shape[-1])
        return key, got

    def _spectrum(self, key, h: torch.Tensor, nfft: int) -> torch.Tensor:
        k = (key, nfft)
        s = self._spectra.get(k)
        if s is not None:
            self._spectra.move_to_end(k)
            return s
        s = torch.fft.rfft(h, nfft, dim=-1)
        size = s.numel() * s.element_size()
        while self._spectra and self._spectra_bytes + size > self.cache_bytes:
            _k, old = self._spectra.popitem(last=False)
            self._spectra_bytes -= old.numel() * old.element_size()
        if size <= self.cache_bytes:
            self._spectra[k] = s
            self._spectra_bytes += size
        return s

    def _self_noise(self, p: dict, n: int, rate: int) -> torch.Tensor:
        """``SceneRenderer.self_noise`` on the device: white capsule noise from a torch generator
        seeded by the scene, through the room's A->B matrix, capsule gains and diffuse-field EQ
        (numpy's, cached), W scaled to the receiver's level."""
        from ..rooms.afmt import a2b_matrix, diffuse_eq

        dev = self.device
        nfft = sfft.next_fast_len(n, real=True)
        key = (p["radius"], p["a"], p["eq"], tuple(p["gains"]), rate, nfft)
        conv = self._a2b.get(key)
        if conv is None:
            m = a2b_matrix(p["a"]) * np.asarray(p["gains"], float)[None, :]
            eq = diffuse_eq(p["radius"], p["a"], rate, nfft) if p["eq"] else np.ones((4, nfft // 2 + 1))
            conv = self._a2b[key] = (torch.from_numpy(m).to(dev, torch.complex64), torch.from_numpy(eq).to(dev, torch.float32))
        gen = torch.Generator(device=dev)
        gen.manual_seed((p["seed"][0] * 1_000_003 + p["seed"][1]) % 2**62 + 0x5E1F)
        caps = torch.randn((4, n), generator=gen, device=dev)
        b = (conv[0] @ torch.fft.rfft(caps, nfft, dim=-1)) * conv[1]
        x = torch.fft.irfft(b, nfft, dim=-1)[:, :n]
        return x * torch.sqrt(p["power"] / torch.mean(x[0].double() ** 2)).float()

    # -- rendering -------------------------------------------------------------------------------
    def render(self, batch) -> RenderedBatch:
        """Render a ``SceneBatch`` (or a list of ``PreparedScene``)."""
        if not isinstance(batch, SceneBatch):
            batch = SceneBatch(list(batch))
        dev, B, L = self.device, batch.n, batch.length
        t = {k: v.to(dev, non_blocking=True) for k, v in batch.t.items()}
        irs = [self._ir(r, room, pos, batch.cfgs[b]) for (r, room, pos), b in zip(batch.ir_keys, batch.ir_cfg)]
        E = len(irs)
        n_targets = [len(lab) for lab in batch.labels]
        mix = torch.zeros(B, 4, L, device=dev)
        dry = torch.zeros(B, max(n_targets, default=0), L, device=dev)
        if E:
            # render.py's convolved length per event; events sorted by it into chunks, each chunk at
            # its own FFT length (a short event is not padded to the clip)
            length_c, onset_c = batch.t["length"], batch.t["onset"]
            conv_c = length_c + torch.tensor([g[1] for _k, g in irs]) - 1
            src_start = torch.cumsum(length_c, 0) - length_c
            scene_c, target_c = batch.t["scene"].tolist(), batch.t["target"].tolist()
            order = torch.argsort(conv_c)
            placed = []                                   # (event, wet [4, nfft] * g), added in spec order
            for c0 in range(0, E, self.chunk):
                ev = order[c0:c0 + self.chunk]
                C, nfft = len(ev), fft_length(int(conv_c[ev].max()))
                lens = length_c[ev]
                rows = torch.repeat_interleave(torch.arange(C), lens)
                cols = torch.arange(int(lens.sum())) - (torch.cumsum(lens, 0) - lens)[rows]
                buf = torch.zeros(C, nfft, device=dev)
                buf[rows.to(dev), cols.to(dev)] = t["sources"][(src_start[ev][rows] + cols).to(dev)]
                X = torch.fft.rfft(buf, dim=-1)
                del buf
                H = torch.stack([self._spectrum(irs[e][0], irs[e][1][0], nfft) for e in ev.tolist()])  # [C, 5, F]
                wet = torch.fft.irfft(X[:, None, :] * H[:, :4], nfft, dim=-1)                      # [C, 4, nfft]
                # render.py: mean power over the 4 channels and the whole convolved length, in float64
                # (past the convolved length the FFT leaves only rounding noise, ~1e-14 of the power)
                evd = ev.to(dev)
                power = torch.linalg.vector_norm(wet, dim=(1, 2), dtype=torch.float64) ** 2 / (4.0 * conv_c[ev].to(dev))
                g = (10.0 ** ((t["target_db"][evd] - 10.0 * torch.log10(power)) / 20.0)).float()
                wet *= g[:, None, None]
                tgt = [c for c, e in enumerate(ev.tolist()) if target_c[e] >= 0]
                if tgt:                                    # dry: the kernel row, same gain and placement
                    tg = torch.tensor(tgt, device=dev)
                    d = torch.fft.irfft(X[tg] * H[tg, 4], nfft, dim=-1) * g[tg, None]
                    for c, row in zip(tgt, d):
                        e = int(ev[c])
                        o, n = int(onset_c[e]), min(int(conv_c[e]), L - int(onset_c[e]))
                        if n > 0:
                            dry[scene_c[e], target_c[e], o:o + n] = row[:n]
                placed.extend(zip(ev.tolist(), wet))
                del X, H
            # placed at the onset and truncated (clip end, convolved length), added in spec order
            for e, w in sorted(placed, key=lambda p: p[0]):
                o, n = int(onset_c[e]), min(int(conv_c[e]), L - int(onset_c[e]))
                if n > 0:
                    mix[scene_c[e], :, o:o + n] += w[:, :n]
            del placed
        mix += self._background(batch, t)
        if len(t["mic_idx"]):
            mix.index_add_(0, t["mic_idx"], t["mic_x"])
        for b, params in batch.mic_device:
            mix[b] += self._self_noise(params, L, batch.rate)
        mix, dry = self._augment(batch, mix, dry)
        return RenderedBatch(mix, dry, batch.labels)

    def _background(self, batch: SceneBatch, t: dict) -> torch.Tensor:
        dev, B, L = self.device, batch.n, batch.length
        noise = torch.zeros(B, 4, L, device=dev)
        if len(t["mono_idx"]):
            x, gains, shifts = t["mono_x"], t["mono_gains"], t["mono_shifts"]              # [M, L], [M, 8, 4], [M, 8]
            xx = torch.cat([x, x], dim=1)                      # np.roll(x, s)[i] = xx[i - s + L]
            ar = torch.arange(L, device=dev)[None, :] + L
            out = torch.zeros(len(x), 4, L, device=dev)
            for k in range(shifts.shape[1]):                   # float32 sum in wave order, as numpy
                rolled = torch.gather(xx, 1, ar - shifts[:, k, None])
                out += gains[:, k, :, None] * rolled[:, None, :]
            noise[t["mono_idx"]] = out / np.float32(np.sqrt(shifts.shape[1]))
        if len(t["rend_idx"]):
            noise[t["rend_idx"]] = t["rend_x"]
        for b, kind, seed in batch.procedural:
            noise[b] = procedural_noise(kind, seed, L, batch.rate, dev)
        if batch.tilt:
            idx = torch.tensor([b for b, _s in batch.tilt], device=dev)
            h = _tilt_gain(L, batch.rate, torch.tensor([s for _b, s in batch.tilt], dtype=torch.float64, device=dev),
                           -5.6, 4.0, dev)
            noise[idx] = _apply_tilt(noise[idx], h)
        power = torch.linalg.vector_norm(noise, dim=(1, 2), dtype=torch.float64) ** 2 / (4.0 * L)
        scale = torch.sqrt(10.0 ** (t["level_db"] / 10.0) / power).float()
        return noise * scale[:, None, None]

    def _augment(self, batch: SceneBatch, mix: torch.Tensor, dry: torch.Tensor):
        aug = batch.augment
        if not any(a is not None for a in aug):
            return mix, dry
        dev = self.device
        rot = [b for b, a in enumerate(aug) if a is not None and a["rotation"] is not None]
        if rot:
            r = torch.from_numpy(np.stack([aug[b]["rotation"] for b in rot])).to(dev)                 # float64
            idx = torch.tensor(rot, device=dev)
            xyz = mix[idx][:, [3, 1, 2]].double()
            out = torch.bmm(r, xyz).float()
            mix = mix.clone()
            mix[idx[:, None], torch.tensor([3, 1, 2], device=dev)[None, :]] = out
        tilt = [b for b, a in enumerate(aug) if a is not None and a["tilt"] is not None]
        if tilt:
            idx = torch.tensor(tilt, device=dev)
            h = _tilt_gain(mix.shape[-1], batch.rate,
                           torch.tensor([aug[b]["tilt"] for b in tilt], dtype=torch.float64, device=dev), -5.0, 4.0, dev)
            mix = mix.clone()
            mix[idx] = _apply_tilt(mix[idx], h)
            if dry.shape[1]:
                dry = dry.clone()
                dry[idx] = _apply_tilt(dry[idx], h)
        gain = torch.tensor([a["gain"] if a is not None and a["gain"] is not None else 1.0 for a in aug],
                            dtype=torch.float32, device=dev)
        if any(a is not None and a["gain"] is not None for a in aug):
            mix = mix * gain[:, None, None]
            dry = dry * gain[:, None, None]
        return mix, dry
