"""The batched torch renderer (``synth/torch_render.py``) on the CPU device against the numpy
``SceneRenderer``: the same specs give the same mixtures and dry references (interferers, mono and
FOA-file backgrounds, background tilt, A-format self-noise, augmentation), the device-drawn
procedural backgrounds and A-format self-noise have numpy's level, channel ratios and colour, and
a training run renders its batches with it."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from s5trainer.synth import SceneDataset, SynthConfig
from s5trainer.synth.torch_render import TorchSceneRenderer, fft_length, procedural_noise
from s5trainer.testing import make_dummy_bank, make_dummy_library
from s5trainer.train.augment import augment_item, augment_params
from s5trainer.train.config import AugmentCfg

RATE = 8000
TOL = 1e-5          # max abs error relative to the reference's peak


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("torchrender")
    lib = make_dummy_library(root / "lib", rate=RATE, seconds=(0.3, 2.0), long_clip_every=5)
    rooms = make_dummy_bank(root / "rooms", rate=RATE, n_rooms=10, n_positions=4, max_seconds=0.2)
    # the same bank with A-format receivers (capsule self-noise at scene level)
    afmt = root / "afmt"
    shutil.copytree(rooms, afmt)
    index = json.loads((afmt / "rooms.json").read_text())
    for r in index["rooms"]:
        r["receiver"] = {"kind": "afmt", "array": "afmt:0.015:0.5", "radius_m": 0.015, "directivity": 0.5,
                         "eq": True, "capsule_gain_db": [0.3, -0.2, 0.0, 0.1], "self_noise_db": -15.0}
    (afmt / "rooms.json").write_text(json.dumps(index))
    amb = root / "amb.wav"
    rng = np.random.default_rng(9)
    w = rng.standard_normal(4 * 16000)
    sf.write(amb, (np.stack([w, 0.3 * rng.standard_normal(len(w)), 0.3 * rng.standard_normal(len(w)), 0.8 * w])
                   * 0.1).T, 16000, subtype="FLOAT")
    return lib, rooms, afmt, amb


def _numpy(ds, i, aug=None):
    r = ds.render(i, keep_components=True)
    item = {"mixture": r.mixture, "dry": r.dry, "labels": r.labels}
    if aug is not None:
        item = augment_item(item, aug, ds.cfg.rate, (0, i))
    return item, r


def _check(got_mix, got_dry, want, tol=TOL):
    peak = float(np.max(np.abs(want["mixture"])))
    err = float(np.max(np.abs(got_mix - want["mixture"])))
    assert err < tol * peak, (err, peak)
    n = len(want["labels"])
    assert not np.any(got_dry[n:])
    for k in range(n):
        ref = want["dry"][k]
        scale = max(float(np.max(np.abs(ref))), 1e-30)
        assert float(np.max(np.abs(got_dry[k] - ref))) < tol * scale, (k, float(np.max(np.abs(got_dry[k] - ref))), scale)
    return err / peak


def _render(renderer, ds, indices, aug=None, noise="cpu"):
    scenes = []
    for i in indices:
        s = ds.prepare(i, noise)
        if aug is not None:
            s.augment = augment_params(aug, (0, i))
        scenes.append(s)
    out = renderer.render(scenes)
    return out, out.mixture.numpy(), out.dry.numpy()


@pytest.mark.parametrize("mode", ["2025", "2026"])
def test_torch_renderer_equals_numpy_renderer(data, mode):
    lib, rooms, _afmt, _amb = data
    cfg = SynthConfig.for_mode(mode, rate=RATE, seconds=3.0, background_tilt_db=3.0)
    ds = SceneDataset(lib, rooms, cfg, "train", 11, length=12)
    renderer = TorchSceneRenderer("cpu", chunk=5)          # several event chunks per batch
    out, mix, dry = _render(renderer, ds, range(8))
    kinds, n_interf, worst = set(), 0, 0.0
    for b, i in enumerate(range(8)):
        want, r = _numpy(ds, i)
        assert out.labels[b] == want["labels"]
        worst = max(worst, _check(mix[b], dry[b], want))
        kinds.add(r.spec["background"]["kind"])
        n_interf += len(r.spec["interferers"])
        # the tolerance would catch a one-sample shift or a 0.1-dB gain error of the events
        events = want["mixture"] - r.noise
        peak = np.max(np.abs(want["mixture"]))
        assert np.max(np.abs(np.roll(events, 1, axis=-1) - events)) > 100 * TOL * peak
        assert np.max(np.abs(events * (10 ** (0.1 / 20) - 1))) > 100 * TOL * peak
    assert kinds == {"clip", "procedural"} and n_interf > 0
    assert mix.dtype == np.float32 and worst < TOL


def test_self_noise_foa_ambience_and_augmentation(data):
    lib, _rooms, afmt, amb = data
    cfg = SynthConfig.for_mode("2025", rate=RATE, seconds=2.0, foa_ambience=(str(amb),), foa_ambience_prob=0.5)
    ds = SceneDataset(lib, afmt, cfg, "train", 4, length=8)
    aug = AugmentCfg(rotate=True, gain_db=[-6.0, 6.0], tilt_db=2.0, seed=3)
    out, mix, dry = _render(TorchSceneRenderer("cpu"), ds, range(6), aug)
    kinds = set()
    for b, i in enumerate(range(6)):
        want, r = _numpy(ds, i, aug)
        kinds.add(r.spec["background"]["kind"])
        _check(mix[b], dry[b], want)
        plain, _ = _numpy(ds, i)
        assert np.max(np.abs(want["mixture"] - plain["mixture"])) > 0.1 * np.max(np.abs(plain["mixture"]))
    assert "foa_file" in kinds
    assert isinstance(ds.prepare(0, "cpu").self_noise, np.ndarray)       # numpy-drawn, added by the device


def test_device_self_noise_has_the_receivers_level_and_conversion(data):
    lib, _rooms, afmt, _amb = data
    cfg = SynthConfig.for_mode("2025", rate=RATE, seconds=3.0, procedural_background_prob=0.0)
    ds = SceneDataset(lib, afmt, cfg, "train", 6, length=8)
    renderer = TorchSceneRenderer("cpu")
    out, mix, dry = _render(renderer, ds, range(5), noise="device")
    np.testing.assert_array_equal(mix, _render(renderer, ds, range(5), noise="device")[1])
    numpy_renderer = ds._open()[4]
    for b in range(5):
        want, r = _numpy(ds, b)
        ref = numpy_renderer.self_noise(r.spec, cfg.n_samples).astype(np.float64)   # numpy's draw
        got = mix[b] - (want["mixture"] - ref)                                      # the device's draw
        for k in range(len(want["labels"])):
            np.testing.assert_allclose(dry[b][k], want["dry"][k], atol=TOL * np.max(np.abs(want["dry"][k])))
        assert 10 * np.log10(np.mean(got[0] ** 2)) == pytest.approx(r.spec["ref_db"] - 15.0, abs=0.01)
        # the same conversion (EQ, capsule mismatch): channel powers and the W/X coherence as numpy's
        np.testing.assert_allclose(np.mean(got ** 2, 1) / np.mean(got[0] ** 2),
                                   np.mean(ref ** 2, 1) / np.mean(ref[0] ** 2), rtol=0.05)
        assert abs(np.corrcoef(got[0], got[3])[0, 1] - np.corrcoef(ref[0], ref[3])[0, 1]) < 0.05
        assert np.max(np.abs(got - ref)) > 0.5 * np.max(np.abs(ref))               # another realisation


def test_device_procedural_backgrounds_match_numpy_level_ratios_and_colour(data):
    lib, rooms, _afmt, _amb = data
    cfg = SynthConfig.for_mode("2025", rate=RATE, seconds=4.0, procedural_background_prob=1.0)
    ds = SceneDataset(lib, rooms, cfg, "train", 21, length=40)
    idx = [i for i in range(40) if ds.spec(i)["background"]["kind"] == "procedural"][:10]
    renderer = TorchSceneRenderer("cpu")
    out, mix, dry = _render(renderer, ds, idx, noise="device")
    again = _render(renderer, ds, idx, noise="device")[1]
    np.testing.assert_array_equal(mix, again)                         # a pure function of the spec
    f = np.fft.rfftfreq(cfg.n_samples, 1 / RATE)
    lo, hi = (f > 100) & (f < 500), (f > 1500) & (f < 3500)
    kinds = set()
    for b, i in enumerate(idx):
        want, r = _numpy(ds, i)
        kinds.add(r.spec["background"]["noise"])
        for k in range(len(want["labels"])):                          # references do not depend on it
            np.testing.assert_allclose(dry[b][k], want["dry"][k], atol=TOL * np.max(np.abs(want["dry"][k])))
        bg = (mix[b] - (want["mixture"] - r.noise)).astype(np.float64)  # the device's background
        ref = r.noise.astype(np.float64)
        assert 10 * np.log10(np.mean(bg ** 2)) == pytest.approx(cfg.ref_db, abs=0.02)
        np.testing.assert_allclose(np.mean(bg[1:] ** 2, 1) / np.mean(bg[0] ** 2), 1 / 3, rtol=0.02)
        assert np.max(np.abs(bg - ref)) > 0.1 * np.max(np.abs(ref))       # another realisation
        tilt = [10 * np.log10(np.mean(np.abs(np.fft.rfft(x[0])[lo]) ** 2) / np.mean(np.abs(np.fft.rfft(x[0])[hi]) ** 2))
                for x in (bg, ref)]
        if r.spec["background"]["noise"] == "hvac":                      # random corner 300-900 Hz: low-pass
            assert min(tilt) > 10
        else:
            assert tilt[0] == pytest.approx(tilt[1], abs=1.5), r.spec["background"]["noise"]
    assert len(kinds) >= 3
    with pytest.raises(ValueError, match="unknown noise kind"):
        procedural_noise("purple", 1, 100, RATE, "cpu")


def test_training_renders_batches_with_torch(data, tmp_path):
    from s5trainer.train.config import load_config
    from test_train_run import check_event, run_inprocess

    lib, rooms, _afmt, _amb = data
    from conftest import TRAINER

    cfg = load_config(TRAINER / "configs" / "tiny.yaml", [
        "data.source=synth", f"data.library={lib}", f"data.rooms={rooms}", "data.render=torch", "data.workers=1",
        "data.augment.rotate=true", "data.augment.gain_db=[-3, 3]", "validation.source=none", "train.steps=4",
        "train.log_every=1", "train.checkpoint_every=2"])
    events = run_inprocess(cfg, tmp_path / "run")
    for e in events:
        check_event(e)
    assert [e["step"] for e in events if e["event"] == "progress"] == [1, 2, 3, 4]
    assert events[-1]["event"] == "finished"
    # torch-exact gives the numpy path's batches (same keys, same scenes, same slots)
    from s5trainer.synth.torch_render import SceneBatch
    from s5trainer.train import sources
    from s5trainer.train.data import collate, render_batch, train_loader

    clip = sources.Clip(RATE, 1.0, "separator")
    items = {}
    for mode in ("numpy", "torch-exact"):
        cfg.data.render = mode
        items[mode] = sources.train_items(cfg, clip)
    for order in ("onset", "class"):
        keys = items["numpy"].train_keys(3, 0, 1, 4)
        want = collate([items["numpy"].get(k) for k in keys], order)
        packed = collate([items["torch-exact"].get(k) for k in keys], order)
        assert isinstance(packed, SceneBatch)
        got = render_batch(TorchSceneRenderer("cpu"), packed, order)
        assert torch.equal(got.labels, want.labels) and (want.labels >= 0).sum() > 4
        assert float((got.mixture - want.mixture).abs().max()) < TOL * float(want.mixture.abs().max())
        assert float((got.dry - want.dry).abs().max()) < TOL * float(want.dry.abs().max())
    # through worker processes (scenes prepared and packed there, pinned tensors come back)
    renderer = TorchSceneRenderer("cpu")
    for step, packed in enumerate(train_loader(items["torch-exact"], 2, 4, 0, 1, 4, workers=1), start=2):
        got = render_batch(renderer, packed, "onset")
        want = collate([items["numpy"].get(k) for k in items["numpy"].train_keys(step, 0, 1, 4)])
        assert float((got.mixture - want.mixture).abs().max()) < TOL * float(want.mixture.abs().max())


def test_fft_lengths_are_few_and_large_enough():
    for n in (1, 2, 3, 7, 100, 12_345, 160_000, 184_001):
        m = fft_length(n)
        assert n <= m <= 4 * n / 3 + 1
        while m % 2 == 0:
            m //= 2
        assert m in (1, 3, 5)


def test_bench_synth_times_both_render_paths(data):
    from s5trainer.bench import bench_synth

    lib, rooms, _afmt, _amb = data
    out = bench_synth((RATE,), seconds=2.0, n=4, library=str(lib), rooms=str(rooms), render=("numpy", "torch"),
                      device="cpu", batch_size=2, threads=1)
    r = out["results"][str(RATE)]
    assert r["mixtures_per_s_per_core"] > 0 and r["torch"]["prepare_ms_per_mixture_cpu"] > 0
    assert r["torch_vs_numpy"] == pytest.approx(r["torch"]["mixtures_per_s_per_core"] / r["mixtures_per_s_per_core"],
                                                rel=0.01)


def test_torch_rendered_run_resumes_bit_for_bit(data, tmp_path):
    """SIGTERM, then --resume: the batches rendered on the device (noise drawn there, rotation
    augmentation) are a function of the step, so the losses continue exactly."""
    import signal

    from conftest import TRAINER
    from test_train_resume import _losses, _train

    lib, rooms, _afmt, _amb = data
    config = ["--config", str(TRAINER / "configs" / "tiny.yaml"), "--device", "cpu"]
    for kv in ("data.source=synth", f"data.library={lib}", f"data.rooms={rooms}", "data.render=torch",
               "data.workers=1", "data.augment.rotate=true", "validation.source=none", "train.steps=8",
               "train.checkpoint_every=2"):
        config += ["--set", kv]
    straight = _train(tmp_path / "straight", *config)
    victim = _train(tmp_path / "victim", *config)
    first = []
    for line in victim.stdout:
        first.append(json.loads(line))
        if first[-1]["event"] == "progress" and first[-1]["step"] == 2:
            victim.send_signal(signal.SIGTERM)
    assert victim.wait(timeout=300) == 0 and first[-1]["event"] == "cancelled"
    k = first[-1]["step"]
    assert 2 <= k < 8
    resumed = _train(tmp_path / "victim", "--resume", "--device", "cpu")
    second = [json.loads(line) for line in resumed.stdout]
    assert resumed.wait(timeout=300) == 0 and second[-1]["event"] == "finished"
    reference = [json.loads(line) for line in straight.stdout]
    assert straight.wait(timeout=300) == 0
    assert second[0]["config"]["data"]["render"] == "torch"
    want, got = _losses(reference), _losses(second)
    assert sorted(got) == list(range(k + 1, 9))
    assert {s: want[s] for s in got} == got                      # exact float equality
