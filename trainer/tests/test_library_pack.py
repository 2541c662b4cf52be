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


def test_mulaw_pack_reads_the_same_without_libsndfile(tmp_path):
    """The numpy WAV reader (for machines without soundfile) decodes μ-law like libsndfile."""
    import soundfile as sf

    from s5trainer.wavfallback import read_wav

    make_dummy_library(tmp_path / "lib", rate=16000, per_split=(1, 0, 0))
    pack_library(tmp_path / "lib", tmp_path / "pack", rate=16000, max_seconds={"train": 5}, codec="mulaw")
    for c in Library(tmp_path / "pack").records[:5]:
        ours, rate = read_wav(str(tmp_path / "pack" / c.file))
        ref, ref_rate = sf.read(str(tmp_path / "pack" / c.file), dtype="float32", always_2d=True)
        assert rate == ref_rate == 16000
        np.testing.assert_allclose(ours, ref.T, atol=1e-6)


def test_numpy_wav_reader_matches_libsndfile_for_pcm_and_float(tmp_path, rng):
    import soundfile as sf

    from s5trainer.wavfallback import read_wav

    x = (rng.standard_normal((3, 1001)) * 0.3).clip(-1, 1).astype(np.float32)
    for subtype in ("PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"):
        p = tmp_path / f"{subtype}.wav"
        sf.write(str(p), x.T, 22050, subtype=subtype)
        ours, rate = read_wav(str(p))
        ref, _ = sf.read(str(p), dtype="float32", always_2d=True)
        assert rate == 22050 and ours.shape == (3, 1001), subtype
        np.testing.assert_allclose(ours, ref.T, atol=1e-6, err_msg=subtype)
