"""Training and validation data behind one small interface, resumable without iterator state.

An *item set* maps a key to one mixture ``{mixture (4, L), dry (n, L), labels [n]}`` and says
which keys make up the batch of optimizer step ``s`` on rank ``r``. Keys are a pure function of
(seed, step, rank), so a resumed run re-creates its data stream from the step counter alone:

* ``SynthItems``  on-the-fly scenes from the synthesizer (#3), per curriculum stage;
* ``FolderItems`` mixtures in the official layout (``soundscape/``, ``oracle_target/``), e.g.
  ``dev_set/test`` or a ``synth`` output; training visits them in a seeded order per epoch;
* ``RandomItems`` toy tone scenes (tests, benchmarks): no files needed.

``make_loader`` wraps any item set in a multi-process ``DataLoader`` (workers ignore SIGINT and
SIGTERM: the training process decides when to stop) and collates to a ``Batch`` with slots padded
to ``SCENE_SLOTS`` (silence: label -1, zero waveform).
"""
from __future__ import annotations

import re
import signal
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

import numpy as np
import torch

from ..audio import read_audio
from ..errors import DataError
from ..labels import CLASS_INDEX, CLASSES

SCENE_SLOTS = 3


@dataclass
class Batch:
    mixture: torch.Tensor       # [B, 4, L]
    dry: torch.Tensor           # [B, S, L]  reference per slot (zeros for silence)
    labels: torch.Tensor        # [B, S]     class index per slot, -1 = silence

    def to(self, device, non_blocking: bool = False) -> "Batch":
        return Batch(*(t.to(device, non_blocking=non_blocking) for t in (self.mixture, self.dry, self.labels)))

    def pin_memory(self) -> "Batch":
        return Batch(self.mixture.pin_memory(), self.dry.pin_memory(), self.labels.pin_memory())

    def __len__(self) -> int:
        return self.mixture.shape[0]


def _slot_order(idx: list[int], slot_order: str):
    if len(idx) > SCENE_SLOTS:
        raise DataError(f"a mixture has {len(idx)} target events; at most {SCENE_SLOTS} are supported")
    return sorted(range(len(idx)), key=lambda k: idx[k]) if slot_order == "class" else range(len(idx))


def collate(items: list, slot_order: str = "onset"):
    """Stack items; slots in event order (``onset``) or class-index order (``class``). Prepared
    scenes (``data.render: torch``) are packed for the device renderer instead (``render_batch``)."""
    if items and not isinstance(items[0], dict):
        from ..synth.torch_render import pack_scenes

        return pack_scenes(items)
    B, L = len(items), items[0]["mixture"].shape[-1]
    mixture = torch.from_numpy(np.stack([it["mixture"] for it in items]).astype(np.float32))
    dry = torch.zeros(B, SCENE_SLOTS, L)
    labels = torch.full((B, SCENE_SLOTS), -1, dtype=torch.long)
    for b, it in enumerate(items):
        idx = [CLASS_INDEX[lab] for lab in it["labels"]]
        for s, k in enumerate(_slot_order(idx, slot_order)):
            labels[b, s] = idx[k]
            dry[b, s] = torch.from_numpy(np.asarray(it["dry"][k], np.float32))
    return Batch(mixture, dry, labels)


def render_batch(renderer, scenes, slot_order: str = "onset") -> Batch:
    """A training ``Batch`` on the renderer's device from a packed ``SceneBatch`` (``collate``)."""
    out = renderer.render(scenes)
    B, L = out.mixture.shape[0], out.mixture.shape[-1]
    dry = torch.zeros(B, SCENE_SLOTS, L, device=out.mixture.device)
    labels = torch.full((B, SCENE_SLOTS), -1, dtype=torch.long)
    for b, labs in enumerate(out.labels):
        idx = [CLASS_INDEX[lab] for lab in labs]
        for s, k in enumerate(_slot_order(idx, slot_order)):
            labels[b, s] = idx[k]
            dry[b, s] = out.dry[b, k]
    return Batch(out.mixture, dry, labels.to(out.mixture.device))


def step_keys(step: int, rank: int, world: int, batch: int) -> range:
    """Global item positions of one step on one rank: disjoint across steps and ranks."""
    start = (step * world + rank) * batch
    return range(start, start + batch)


class SynthItems:
    """On-the-fly scenes; one ``SceneDataset`` per curriculum stage, all sharing one seed.

    ``render``: ``numpy`` renders whole items in the workers; ``torch`` / ``torch-exact`` make the
    workers hand over prepared scenes (``synth/torch_render.py``) that the training process renders
    a batch at a time on its device (``render_batch``); ``torch-exact`` draws procedural
    backgrounds and microphone self-noise with numpy in the workers (the numpy path's scenes),
    ``torch`` on the device (same levels and spectra, other realisations)."""

    RENDER_MODES = ("numpy", "torch", "torch-exact")

    def __init__(self, datasets: list, until_steps: list[int | None], augment=None, view: dict | None = None,
                 render: str = "numpy"):
        if render not in self.RENDER_MODES:
            raise ValueError(f"render={render!r}; accepted: {', '.join(self.RENDER_MODES)}")
        if render != "numpy" and view is not None:
            raise ValueError("the single_source view is rendered by the numpy path only (data.render: numpy)")
        self.datasets, self.until_steps, self.augment, self.view = datasets, until_steps, augment, view
        self.render = render

    def stage(self, step: int) -> int:
        for k, until in enumerate(self.until_steps):
            if until is None or step < until:
                return k
        return len(self.datasets) - 1

    def train_keys(self, step: int, rank: int, world: int, batch: int) -> list:
        k = self.stage(step)
        return [(k, i) for i in step_keys(step, rank, world, batch)]

    def val_keys(self, n: int) -> list:
        return [(0, i) for i in range(n)]

    def get(self, key):
        stage, index = key
        if self.render != "numpy":
            scene = self.datasets[stage].prepare(index, "device" if self.render == "torch" else "cpu")
            scene.spec = None                          # not needed by the device: smaller pickles
            if self.augment is not None and index >= 0:
                from .augment import augment_params
                scene.augment = augment_params(self.augment, key)
            return scene
        item = self.datasets[stage][index]
        item = {"mixture": item["mixture"], "dry": item["dry"], "labels": item["labels"]}
        if self.augment is not None and index >= 0:
            from .augment import augment_item
            item = augment_item(item, self.augment, self.datasets[stage].cfg.rate, key)
        if self.view is not None:              # same view for training and validation items
            from .augment import single_source_item
            item = single_source_item(item, key, **self.view)
        return item


class FolderItems:
    """Mixtures in the official layout; oracle files ``<name>_<Label>.wav`` or ``<name>_<i>_<Label>.wav``."""

    def __init__(self, folder, rate: int, samples: int, seed: int = 0):
        self.folder, self.rate, self.samples, self.seed = Path(folder), rate, samples, seed
        mixes = sorted((self.folder / "soundscape").glob("*.wav"))
        if not mixes:
            raise DataError(f"{self.folder} has no soundscape/*.wav (official layout: soundscape/, oracle_target/)")
        oracle = sorted(p.name for p in (self.folder / "oracle_target").glob("*.wav"))
        self.entries = []
        for mix in mixes:
            pat = re.compile(rf"^{re.escape(mix.stem)}(?:_(\d+))?_(.+)\.wav$")
            refs = []
            for name in oracle:
                m = pat.match(name)
                if m and m.group(2) in CLASS_INDEX:
                    refs.append((int(m.group(1)) if m.group(1) else CLASS_INDEX[m.group(2)], m.group(2), name))
            self.entries.append((mix, [r[1:] for r in sorted(refs)]))
        self._perm = lru_cache(maxsize=2)(self._perm_uncached)

    def __len__(self) -> int:
        return len(self.entries)

    def _perm_uncached(self, epoch: int) -> np.ndarray:
        return np.random.default_rng([self.seed, epoch]).permutation(len(self.entries))

    def train_keys(self, step: int, rank: int, world: int, batch: int) -> list:
        n = len(self.entries)
        return [int(self._perm(g // n)[g % n]) for g in step_keys(step, rank, world, batch)]

    def val_keys(self, n: int) -> list:
        return list(range(min(n, len(self.entries))))

    def _read(self, path: Path, channels: int | None) -> np.ndarray:
        x, rate = read_audio(path)
        if rate != self.rate:
            raise DataError(f"{path} is {rate} Hz; the model needs {self.rate} Hz")
        x = x if x.ndim == 2 else x[None]
        if channels is not None and x.shape[0] != channels:
            raise DataError(f"{path} has {x.shape[0]} channels; expected {channels}")
        out = np.zeros((x.shape[0], self.samples), np.float32)
        n = min(self.samples, x.shape[1])
        out[:, :n] = x[:, :n]
        return out

    def get(self, key: int) -> dict:
        mix, refs = self.entries[key]
        dry = [self._read(self.folder / "oracle_target" / name, 1)[0] for _lab, name in refs]
        return {"mixture": self._read(mix, 4), "dry": np.stack(dry) if dry else np.zeros((0, self.samples), np.float32),
                "labels": [lab for lab, _name in refs]}


class RandomItems:
    """Toy scenes: each target is a class-pitched tone burst, mixed into 4 channels with noise."""

    def __init__(self, rate: int, samples: int, nevent_range=(1, 3), seed: int = 0):
        self.rate, self.samples, self.nevent_range, self.seed = rate, samples, tuple(nevent_range), seed

    def train_keys(self, step: int, rank: int, world: int, batch: int) -> list:
        return list(step_keys(step, rank, world, batch))

    def val_keys(self, n: int) -> list:
        return [-1 - i for i in range(n)]          # negative keys: never drawn in training

    def get(self, key: int) -> dict:
        rng = np.random.default_rng([self.seed, abs(key), int(key < 0)])
        n = int(rng.integers(self.nevent_range[0], self.nevent_range[1] + 1))
        classes = rng.choice(len(CLASSES), n, replace=False).tolist()
        t = np.arange(self.samples) / self.rate
        dry = np.zeros((n, self.samples), np.float32)
        for k, c in enumerate(classes):
            f0 = min(150.0 + 90.0 * c, 0.45 * self.rate)
            on, off = sorted(rng.uniform(0, self.samples, 2).astype(int))
            env = np.zeros(self.samples)
            env[on:max(off, on + self.samples // 4)] = 1.0
            dry[k] = (rng.uniform(0.05, 0.3) * env * np.sin(2 * np.pi * f0 * t + rng.uniform(0, 6.3))).astype(np.float32)
        gains = np.concatenate([np.ones((1, n)), rng.uniform(-1, 1, (3, n))])            # W carries the refs
        mixture = (gains @ dry + 0.01 * rng.standard_normal((4, self.samples))).astype(np.float32)
        return {"mixture": mixture, "dry": dry, "labels": [CLASSES[c] for c in classes]}


class _Keyed(torch.utils.data.Dataset):
    def __init__(self, items):
        self.items = items

    def __getitem__(self, key):
        return self.items.get(key)

    def __len__(self) -> int:                 # keys are not positions; DataLoader never asks
        raise TypeError("keyed dataset has no length")


class _TrainBatches:
    """Batch sampler: the key lists of steps ``start .. stop - 1`` of one rank."""

    def __init__(self, items, start: int, stop: int, rank: int, world: int, batch: int):
        self.items, self.steps, self.rank, self.world, self.batch = items, range(start, stop), rank, world, batch

    def __iter__(self):
        for step in self.steps:
            yield self.items.train_keys(step, self.rank, self.world, self.batch)

    def __len__(self) -> int:
        return len(self.steps)


def _quiet_worker(_worker_id: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    torch.set_num_threads(1)


def _loader(items, batches, workers: int, slot_order: str, pin: bool, seed: int):
    extra = {"worker_init_fn": _quiet_worker, "prefetch_factor": 2} if workers > 0 else {}
    return torch.utils.data.DataLoader(
        _Keyed(items), batch_sampler=batches, num_workers=workers,
        collate_fn=partial(collate, slot_order=slot_order), pin_memory=pin,
        generator=torch.Generator().manual_seed(seed), **extra)   # own generator: global RNG untouched


def train_loader(items, start: int, stop: int, rank: int, world: int, batch: int, workers: int = 0,
                 slot_order: str = "onset", pin: bool = False, seed: int = 0):
    """Batches of steps ``start .. stop - 1`` for ``rank``, in order."""
    return _loader(items, _TrainBatches(items, start, stop, rank, world, batch), workers, slot_order, pin, seed)


def val_loader(items, n: int, batch: int, rank: int = 0, world: int = 1, workers: int = 0,
               slot_order: str = "class", seed: int = 0):
    """This rank's share (every ``world``-th mixture) of the first ``n`` validation mixtures."""
    keys = items.val_keys(n)[rank::world]
    chunks = [keys[i:i + batch] for i in range(0, len(keys), batch)]
    return _loader(items, chunks, workers, slot_order, False, seed)
