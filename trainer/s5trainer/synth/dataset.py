"""On-the-fly scene source for training: map-style, deterministic per index, multi-process safe.

``SceneDataset(library_dir, rooms_dir, cfg, split, seed)[i]`` draws spec ``i`` and renders it;
the library and the bank are opened lazily in each worker process, so the object can be handed
to a PyTorch ``DataLoader`` (``num_workers > 0``) or to ``iter_scenes`` (a process pool).
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

from ..library.records import Library
from ..rooms.bank import RoomBank
from .config import SynthConfig
from .recipe import Pools, sample_scene
from .render import RenderedScene, SceneRenderer


def scene_name(prefix: str, index: int) -> str:
    """Fixed-width names keep prefix matching of oracle files unambiguous."""
    return f"{prefix}_{index:06d}"


class SceneDataset:
    def __init__(self, library_dir, rooms_dir, cfg: SynthConfig, split: str = "train", seed: int = 0,
                 length: int = 100_000, room_split: str | None = None, name_prefix: str | None = None,
                 classes: list[str] | None = None):
        self.library_dir, self.rooms_dir = str(library_dir), str(rooms_dir)
        self.cfg, self.split, self.seed, self.length = cfg, split, seed, length
        self.room_split = room_split
        self.prefix = name_prefix or f"{split}"
        self.classes = classes
        self._state = None

    def _open(self):
        if self._state is None or self._state[0] != os.getpid():
            library, bank = Library(self.library_dir), RoomBank(self.rooms_dir)
            pools = Pools.from_library(library, bank, self.split, self.room_split, self.classes)
            self._state = (os.getpid(), library, bank, pools, SceneRenderer(library, bank, self.cfg))
        return self._state

    def __getstate__(self):
        d = dict(self.__dict__)
        d["_state"] = None
        return d

    def __len__(self) -> int:
        return self.length

    def spec(self, index: int) -> dict:
        _, _library, bank, pools, _ = self._open()
        return sample_scene(self.cfg, pools, bank, self.seed, index, self.split, scene_name(self.prefix, index))

    def render(self, index: int, keep_components: bool = False) -> RenderedScene:
        renderer = self._open()[4]
        return renderer.render(self.spec(index), keep_components)

    def prepare(self, index: int, noise: str = "device"):
        """The CPU part of item ``index`` for the batched torch renderer (``torch_render.py``)."""
        from .torch_render import prepare_scene

        return prepare_scene(self._open()[4], self.spec(index), self.rooms_dir, noise)

    def __getitem__(self, index: int) -> dict:
        """Training item: ``mixture (4, L)``, ``dry (n, L)``, ``labels`` and the spec."""
        r = self.render(index)
        return {"mixture": r.mixture, "dry": r.dry, "labels": r.labels, "spec": r.spec}


def _render_range(args):
    dataset, start, stop, fn = args
    return [fn(dataset, i) for i in range(start, stop)]


def map_scenes(dataset: SceneDataset, indices: range, fn, jobs: int = 1, chunk: int = 8):
    """Yield ``fn(dataset, i)`` for ``i`` in order, computed in ``jobs`` worker processes."""
    if jobs <= 1:
        for i in indices:
            yield fn(dataset, i)
        return
    chunks = [(dataset, s, min(s + chunk, indices.stop), fn) for s in range(indices.start, indices.stop, chunk)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for results in pool.map(_render_range, chunks):
            yield from results


def _item(dataset: SceneDataset, i: int) -> dict:
    return dataset[i]


def iter_scenes(dataset: SceneDataset, start: int, stop: int, jobs: int = 1):
    """Rendered training items ``start .. stop - 1`` in order (multi-process when ``jobs > 1``)."""
    yield from map_scenes(dataset, range(start, stop), _item, jobs)
