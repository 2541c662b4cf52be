"""Training data: step keys, collate, toy and synth item sets, official-layout folders, loaders."""
import numpy as np
import pytest
import torch

from s5trainer.labels import CLASS_INDEX
from s5trainer.synth import SceneDataset, SynthConfig
from s5trainer.synth.cli import synthesize
from s5trainer.testing import make_dummy_bank, make_dummy_library
from s5trainer.train.data import (FolderItems, RandomItems, SynthItems, collate, step_keys, train_loader,
                                  val_loader)

RATE = 8000


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("traindata")
    lib = make_dummy_library(root / "lib", rate=RATE, per_split=(2, 1, 1), seconds=(0.2, 1.0),
                             n_interference=(2, 1, 1), n_background=(1, 1, 1))
    rooms = make_dummy_bank(root / "rooms", rate=RATE, n_rooms=10, n_positions=6, max_seconds=0.1)
    return root, lib, rooms


def test_step_keys_are_disjoint_over_steps_and_ranks():
    seen = [k for step in range(5) for rank in range(3) for k in step_keys(step, rank, 3, 4)]
    assert sorted(seen) == list(range(60))


def test_collate_pads_silence_and_orders_slots():
    item = {"mixture": np.zeros((4, 10), np.float32), "dry": np.stack([np.full(10, 1.0), np.full(10, 2.0)]),
            "labels": ["Typing", "Buzzer"]}
    onset = collate([item], "onset")
    assert onset.labels.tolist() == [[CLASS_INDEX["Typing"], CLASS_INDEX["Buzzer"], -1]]
    assert onset.dry[0, :, 0].tolist() == [1.0, 2.0, 0.0]
    by_class = collate([item], "class")
    assert by_class.labels.tolist() == [[CLASS_INDEX["Buzzer"], CLASS_INDEX["Typing"], -1]]
    assert by_class.dry[0, :, 0].tolist() == [2.0, 1.0, 0.0]


def test_random_items_are_a_function_of_the_key():
    items = RandomItems(RATE, 800, (1, 3), seed=3)
    a, b = items.get(5), items.get(5)
    assert np.array_equal(a["mixture"], b["mixture"]) and a["labels"] == b["labels"]
    assert not np.array_equal(items.get(6)["mixture"], a["mixture"])
    assert set(items.val_keys(4)).isdisjoint(items.train_keys(0, 0, 1, 100))


def test_loader_batches_do_not_depend_on_workers_or_start(data):
    items = RandomItems(RATE, 400, (1, 3), seed=0)
    full = [b.mixture for b in train_loader(items, 0, 6, 0, 1, 2, workers=0)]
    late = [b.mixture for b in train_loader(items, 3, 6, 0, 1, 2, workers=2)]
    assert all(torch.equal(x, y) for x, y in zip(full[3:], late)) and len(late) == 3


def test_synth_curriculum_stages(data):
    _root, lib, rooms = data
    cfg = lambda r: SynthConfig.for_mode("2025", rate=RATE, seconds=0.5, nevent_range=r)  # noqa: E731
    items = SynthItems([SceneDataset(lib, rooms, cfg((1, 1)), "train", 0), SceneDataset(lib, rooms, cfg((3, 3)), "train", 0)],
                       [2, None])
    assert [items.stage(s) for s in (0, 1, 2, 50)] == [0, 0, 1, 1]
    first = collate([items.get(k) for k in items.train_keys(1, 0, 1, 3)])
    later = collate([items.get(k) for k in items.train_keys(2, 0, 1, 3)])
    assert (first.labels >= 0).sum(1).tolist() == [1, 1, 1]
    assert (later.labels >= 0).sum(1).tolist() == [3, 3, 3]
    assert first.mixture.shape == (3, 4, RATE // 2)


@pytest.mark.parametrize("mode", ["2025", "2026"])
def test_folder_items_read_the_official_layout(data, mode):
    root, lib, rooms = data
    out = root / f"val{mode}"
    cfg = SynthConfig.for_mode(mode, rate=RATE, seconds=0.5, nevent_range=(2, 3))
    synthesize(str(lib), str(rooms), str(out), 3, 7, "val", cfg)
    ds = SceneDataset(lib, rooms, cfg, "val", 7, length=3)
    items = FolderItems(out, RATE, RATE // 2)
    assert len(items) == 3
    for k in range(3):
        got, want = items.get(k), ds[k]
        assert sorted(got["labels"]) == sorted(want["labels"])
        assert np.allclose(got["mixture"], want["mixture"], atol=1e-6)
        for lab, dry in zip(got["labels"], got["dry"]):
            assert any(np.allclose(dry, w, atol=1e-6) for wl, w in zip(want["labels"], want["dry"]) if wl == lab)
    batches = list(val_loader(items, 3, 2))
    assert [len(b) for b in batches] == [2, 1]
    order = [items.train_keys(s, 0, 1, 3) for s in range(2)]
    assert sorted(order[0]) == [0, 1, 2] and sorted(order[1]) == [0, 1, 2]
