"""Procedural generators, event sequencers, fluidsynth renders and background noise."""
import shutil
from pathlib import Path

import numpy as np
import pytest

from s5trainer.generators import fluid
from s5trainer.generators.noise import NOISE_KINDS, diffuse_noise
from s5trainer.generators.registry import GENERATORS, generate, procedural_classes, render
from s5trainer.generators.sequencers import SEQUENCED_CLASSES, sequence

REQUIRED = {"BicycleBell", "Doorbell", "Blender", "HairDryer", "MechanicalFans", "VacuumCleaner",
            "Buzzer", "AlarmClock", "Pour", "Dishes", "Cough"}


def test_every_required_class_has_a_generator():
    assert REQUIRED <= set(procedural_classes())


@pytest.mark.parametrize("gen", GENERATORS, ids=[g.name for g in GENERATORS])
def test_generator_clips_are_valid_and_vary(gen):
    rate, seconds = 16000, 2.5
    clips = [render(gen, seed, rate, seconds) for seed in (1, 2)]
    for x in clips:
        assert x.dtype == np.float32 and x.shape == (int(seconds * rate),)
        assert np.all(np.isfinite(x))
        assert np.sqrt(np.mean(x.astype(np.float64) ** 2)) > 1e-3        # not silent
        assert np.max(np.abs(x)) <= 1.0
    a, b = (c.astype(np.float64) for c in clips)
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.9                            # different content per seed
    np.testing.assert_array_equal(render(gen, 1, rate, seconds), clips[0])   # deterministic


def test_generate_picks_random_lengths_in_range():
    rng = np.random.default_rng(0)
    lengths = {len(generate("Doorbell", rng, 8000)) for _ in range(4)}
    assert len(lengths) > 1 and all(1.5 * 8000 <= n <= 4.5 * 8000 + 1 for n in lengths)
    with pytest.raises(Exception, match="accepted names"):
        generate("Doorbel", rng, 8000)


def _one_shots(rng, rate, n=4):
    shots = []
    for _ in range(n):
        m = int(rng.uniform(0.03, 0.15) * rate)
        shots.append((rng.standard_normal(m) * np.exp(-np.arange(m) / (0.2 * m))).astype(np.float32))
    return shots


@pytest.mark.parametrize("label", SEQUENCED_CLASSES)
def test_sequencers_build_events_of_requested_length(label):
    rate = 16000
    shots = _one_shots(np.random.default_rng(0), rate)
    xs = [sequence(label, shots, np.random.default_rng(s), rate, 4.0) for s in (0, 1)]
    for x in xs:
        assert x.shape == (4 * rate,) and np.all(np.isfinite(x)) and np.max(np.abs(x)) > 0.1
        # several onsets: the 50-ms energy envelope has many peaks
        env = np.add.reduceat(x.astype(np.float64) ** 2, np.arange(0, len(x), rate // 20))
        assert np.sum(env > 0.05 * env.max()) >= 4
    assert not np.allclose(xs[0], xs[1])


def test_midi_writer_and_pieces():
    rng = np.random.default_rng(3)
    kb = fluid.keyboard_piece(rng, 3.0)
    perc = fluid.percussion_piece(rng, 3.0)
    assert kb.notes and perc.notes and perc.channel == 9
    assert all(n[2] != 39 for n in perc.notes), "hand clap belongs to Clapping"
    assert all(0 <= s < 3.0 for s, *_ in kb.notes)


def _soundfont():
    for p in ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/TimGM6mb.sf2"):
        if Path(p).exists():
            return p
    return None


@pytest.mark.skipif(not (shutil.which("fluidsynth") and _soundfont()), reason="fluidsynth or a GM soundfont missing")
def test_fluidsynth_render_is_dry_and_sized(tmp_path):
    rng = np.random.default_rng(1)
    pieces = [fluid.keyboard_piece(rng, 2.0), fluid.percussion_piece(rng, 2.0)]
    out = fluid.render_pieces(pieces, _soundfont(), 16000)
    for x in out:
        assert len(x) == int(2.5 * 16000) and np.max(np.abs(x)) > 1e-3 and np.all(np.isfinite(x))


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_diffuse_noise_has_sn3d_diffuse_ratio(kind):
    x = diffuse_noise(kind, 32000, 16000, np.random.default_rng(0)).astype(np.float64)
    ratio = np.sum(x[1:] ** 2) / np.sum(x[0] ** 2)
    assert abs(ratio - 1.0) < 0.1 and np.all(np.isfinite(x))
