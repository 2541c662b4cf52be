"""``library pack``: a capped, compressed copy that is still a library the synthesizer can read."""
import json

import numpy as np

from s5trainer.library.pack import pack_library, parse_budgets
from s5trainer.library.records import Library
from s5trainer.testing import make_dummy_library


def test_pack_keeps_budgeted_targets_and_all_other_roles(tmp_path):
    make_dummy_library(tmp_path / "lib", rate=16000, per_split=(3, 2, 2))
    src = Library(tmp_path / "lib")
    budget = 2.0
    summary = pack_library(tmp_path / "lib", tmp_path / "pack", rate=8000,
                           max_seconds={"train": budget, "val": 0.001}, codec="flac")
    packed = Library(tmp_path / "pack")
    assert packed.rate == 8000 and summary["clips"] == len(packed.records)
    for label, clips in packed.by_label("target", "train").items():
        durations = [src.by_id[c.id].duration_s for c in clips]
        everything = len(clips) == len(src.clips("target", "train", label))
        # clips are added until the budget is reached: without the last one it was still short
        assert sum(durations) >= budget or everything, label
        assert sum(durations) - max(durations) < budget, label
    for label, clips in packed.by_label("target", "val").items():
        assert len(clips) == 1, label
    assert not packed.clips("target", "test")
    others = [c for c in src.records if c.role != "target" and c.split in ("train", "val")]
    assert {c.id for c in others} <= {c.id for c in packed.records}
    # audio survives: the packed clip equals the source resampled to the pack rate (16-bit FLAC)
    c = packed.clips("target", "train")[0]
    x = packed.load(c)
    y = src.load(src.by_id[c.id], 8000)
    n = min(len(x), len(y))
    assert np.sqrt(np.mean((x[:n] - y[:n]) ** 2)) < 1e-4
    assert json.loads((tmp_path / "pack" / "library.json").read_text())["packed_from"]["fingerprint"] == src.fingerprint()


def test_vorbis_pack_is_readable(tmp_path):
    make_dummy_library(tmp_path / "lib", rate=16000, per_split=(1, 1, 1))
    pack_library(tmp_path / "lib", tmp_path / "pack", rate=16000, max_seconds=parse_budgets("train=10"),
                 codec="vorbis")
    packed = Library(tmp_path / "pack")
    x = packed.load(packed.clips("target", "train")[0])
    assert x.dtype == np.float32 and len(x) > 0 and np.isfinite(x).all()
