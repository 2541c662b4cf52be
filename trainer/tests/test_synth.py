"""Scene synthesizer checks: sums, SNRs, dry reference, 2026 rates, layout, determinism."""
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import fftconvolve

from conftest import REPO
from s5trainer.labels import CLASSES
from s5trainer.library.records import Clip, Library, write_library
from s5trainer.rooms.bank import RoomBank
from s5trainer.rooms.userir import _write_room, add_rooms_to_bank
from s5trainer.synth import SceneDataset, SynthConfig
from s5trainer.synth.cli import synthesize
from s5trainer.synth.recipe import Pools, sample_scene
from s5trainer.synth.render import SceneRenderer
from s5trainer.testing import make_dummy_bank, make_dummy_library
from s5trainer.audio import write_audio

RATE = 16000


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthdata")
    lib = make_dummy_library(root / "lib", rate=RATE, seconds=(0.3, 4.0), long_clip_every=5)
    rooms = make_dummy_bank(root / "rooms", rate=RATE, n_rooms=10, n_positions=8, max_seconds=0.3)
    return lib, rooms


def _reference_render(dataset, spec):
    """Independent float64 re-implementation of spec §7.3-7.4 for one spec."""
    lib, bank, cfg = Library(dataset.library_dir), RoomBank(dataset.rooms_dir), dataset.cfg
    L = cfg.n_samples
    out, wets = np.zeros((4, L)), []
    for ev in spec["events"] + spec["interferers"]:
        x = lib.load(ev["clip"]).astype(np.float64)
        s = int(ev["source_time_s"] * cfg.rate)
        x = x[s:s + int(ev["duration_s"] * cfg.rate)]
        x = x / np.abs(x).max()
        h = bank.ir(spec["room"], ev["position"]).astype(np.float64)
        h = h / np.mean(np.sqrt(np.sum(h ** 2, axis=1))) if cfg.ir_norm == "mean_norm" else \
            h / np.sqrt(np.mean(np.sum(h ** 2, axis=1)))
        wet = np.stack([fftconvolve(x, hc) for hc in h])
        g = 10 ** ((spec["ref_db"] + ev["snr_db"] - 10 * np.log10(np.mean(wet ** 2))) / 20)
        wet *= g
        wets.append(wet)
        o = ev["onset_sample"]
        n = min(wet.shape[1], L - o)
        out[:, o:o + n] += wet[:, :n]
    return out, wets


@pytest.mark.parametrize("mode", ["2025", "2026"])
def test_mixture_channel0_is_sum_of_components(data, mode):
    lib, rooms = data
    ds = SceneDataset(lib, rooms, SynthConfig.for_mode(mode, rate=RATE, seconds=4.0), "train", seed=3)
    for i in range(6):
        r = ds.render(i, keep_components=True)
        ref, _ = _reference_render(ds, r.spec)
        noise = r.noise.astype(np.float64)
        assert np.isclose(np.mean(noise ** 2), 10 ** (r.spec["ref_db"] / 10), rtol=1e-4)
        expect0 = ref[0] + noise[0]
        assert r.mixture.dtype == np.float32
        np.testing.assert_allclose(r.mixture[0], expect0, atol=1e-5 * np.abs(expect0).max())
        np.testing.assert_allclose(r.mixture, ref + noise, atol=1e-5 * np.abs(expect0).max())


def test_event_snrs_in_configured_ranges(data):
    lib, rooms = data
    cfg = SynthConfig.for_mode("2025", rate=RATE, seconds=4.0)
    ds = SceneDataset(lib, rooms, cfg, "train", seed=4)
    n_checked = 0
    for i in range(10):
        r = ds.render(i, keep_components=True)
        p_noise = np.mean(r.noise.astype(np.float64) ** 2)
        evs = r.spec["events"] + r.spec["interferers"]
        for ev, wet in zip(evs, r.wet):
            snr = 10 * np.log10(np.mean(wet.astype(np.float64) ** 2) / p_noise)
            lo, hi = cfg.target_snr_db if ev["role"] == "target" else cfg.interf_snr_db
            assert lo - 0.5 <= snr <= hi + 0.5
            assert abs(snr - ev["snr_db"]) < 0.5
            n_checked += 1
    assert n_checked >= 20


def _hand_bank(tmp_path, rate):
    """One room, one position: a hand-made IR with known samples on channel 0."""
    h = np.zeros((4, 3000), np.float32)
    h0 = h[0]
    h0[10] = 0.3       # before the window (p - 192 = 58 for the 2025 peak at 250)
    h0[250] = 0.9      # largest positive sample  -> 2025 peak
    h0[260] = -1.2     # largest magnitude        -> 2026 peak
    h0[300] = 0.2
    h0[1850] = 0.05    # p2025 + 1600 (excluded, exclusive end) ; inside 2026 window [68, 1860]
    h0[1860] = 0.07    # p2026 + 1600: only the inclusive 2026 window keeps it
    h0[1861] = 0.4     # after both windows
    h[1:, 250] = [0.2, 0.1, 0.5]
    h[1:, 700] = [0.1, -0.3, 0.05]
    meta = _write_room(tmp_path / "bank", "hand", h[None], rate,
                       [{"index": 0, "xyz_m": [1, 0, 0], "azimuth_deg": 0.0, "elevation_deg": 0.0}], "train",
                       "test", "hand-made")
    add_rooms_to_bank(tmp_path / "bank", [meta], rate)
    return h


def _hand_library(tmp_path, rate):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(4000) * np.hanning(4000)).astype(np.float32) * 0.3
    write_audio(tmp_path / "lib" / "clips" / "a.wav", x, rate)
    write_library(tmp_path / "lib", [Clip("a", "target", "Speech", "train", "clips/a.wav", 4000 / rate, rate, "x")],
                  rate)
    return x


@pytest.mark.parametrize("mode", ["2025", "2026"])
def test_dry_reference_matches_official_construction(tmp_path, mode):
    rate = 32000
    h = _hand_bank(tmp_path, rate)
    x = _hand_library(tmp_path, rate)
    cfg = SynthConfig.for_mode(mode, rate=rate, seconds=1.0)
    renderer = SceneRenderer(Library(tmp_path / "lib"), RoomBank(tmp_path / "bank"), cfg)
    onset = 12345
    spec = {"name": "m", "mode": mode, "ref_db": cfg.ref_db, "room": "hand",
            "events": [{"role": "target", "label": "Speech", "clip": "a", "source_time_s": 0.0,
                        "duration_s": 4000 / rate, "onset_sample": onset, "snr_db": 10.0, "position": 0}],
            "interferers": [], "background": {"kind": "procedural", "noise": "white", "seed": 1, "level_db": cfg.ref_db}}
    r = renderer.render(spec)
    # official construction, written out by hand for this IR
    hn = h.astype(np.float64)
    norms = np.sqrt((hn ** 2).sum(1))
    hn /= norms.mean() if mode == "2025" else np.sqrt((norms ** 2).mean())
    h0 = hn[0]
    if mode == "2025":
        p, keep = 250, np.arange(250 - 192, 250 + 1600)            # [p-192, p+1600)
    else:
        p, keep = 260, np.arange(260 - 192, 260 + 1600 + 1)        # [p-192, p+1600]
    trunc = np.zeros_like(h0)
    trunc[keep] = h0[keep]
    assert trunc[10] == 0 and trunc[1861] == 0 and trunc[250] != 0
    assert (trunc[1850] != 0) == (mode == "2026") and (trunc[1860] != 0) == (mode == "2026")
    xs = x.astype(np.float64) / np.abs(x).max()
    wet = np.stack([np.convolve(xs, hc) for hc in hn])
    g = 10 ** ((cfg.ref_db + 10.0 - 10 * np.log10(np.mean(wet ** 2))) / 20)
    dry_full = g * np.convolve(xs, trunc)
    expect = np.zeros(cfg.n_samples)
    n = min(len(dry_full), cfg.n_samples - onset)
    expect[onset:onset + n] = dry_full[:n]
    np.testing.assert_allclose(r.dry[0], expect, atol=1e-6 * np.abs(expect).max())
    assert r.dry.shape == (1, cfg.n_samples)


def test_dry_window_starts_at_zero_when_peak_is_early(tmp_path):
    from s5trainer.synth.render import dry_window

    h0 = np.zeros(2000, np.float32)
    h0[100] = 1.0
    h0[1699] = 0.5
    h0[1700] = 0.25
    start, kernel = dry_window(h0, SynthConfig.for_mode("2025", rate=32000))
    assert start == 0 and len(kernel) == 1700 and kernel[1699] == 0.5


def test_2026_rates_of_duplicates_and_zero_target_scenes(data):
    lib, rooms = data
    library, bank = Library(lib), RoomBank(rooms)
    pools = Pools.from_library(library, bank, "train")
    cfg = SynthConfig.for_mode("2026", rate=RATE)
    n = 3000
    zero = dup = int_counts = 0
    counts = np.zeros(4)
    for i in range(n):
        spec = sample_scene(cfg, pools, bank, 9, i, "train", f"m{i}")
        evs = spec["events"]
        counts[len(evs)] += 1
        zero += len(evs) == 0
        labels = [e["label"] for e in evs]
        if len(set(labels)) < len(labels):
            dup += 1
            room = bank.meta(spec["room"])
            for lab in set(labels):
                same = [e for e in evs if e["label"] == lab]
                groups = [e["group"] for e in same]
                assert len(set(groups)) == len(groups), "duplicate drawn from the same group"
                for a in range(len(same)):
                    for b in range(a + 1, len(same)):
                        pa, pb = (room["positions"][same[k]["position"]] for k in (a, b))
                        ua = np.array(pa["xyz_m"]) - room["mic_m"]
                        ub = np.array(pb["xyz_m"]) - room["mic_m"]
                        cos = ua @ ub / np.linalg.norm(ua) / np.linalg.norm(ub)
                        assert np.degrees(np.arccos(np.clip(cos, -1, 1))) > 60.0
        int_counts += len(spec["interferers"])
        assert 0 <= len(spec["interferers"]) <= 2
    # configured: n ~ U{0..3} -> P(zero) = 1/4; P(dup) = 0.5 * P(n >= 2) = 1/4
    assert abs(zero / n - 0.25) < 0.03
    assert abs(dup / n - 0.25) < 0.03
    assert spec["ref_db"] == -55.0


def test_2025_recipe_counts(data):
    lib, rooms = data
    library, bank = Library(lib), RoomBank(rooms)
    pools = Pools.from_library(library, bank, "train")
    cfg = SynthConfig.for_mode("2025", rate=RATE)
    seen_long = False
    for i in range(500):
        spec = sample_scene(cfg, pools, bank, 1, i, "train", f"m{i}")
        labels = [e["label"] for e in spec["events"]]
        assert 1 <= len(labels) <= 3 and len(set(labels)) == len(labels)
        assert 1 <= len(spec["interferers"]) <= 2
        for e in spec["events"] + spec["interferers"]:
            assert 0 <= e["onset_s"] <= cfg.seconds - e["duration_s"] + 1e-9
            assert e["duration_s"] <= cfg.max_event_seconds
            seen_long |= e["source_time_s"] > 0
        assert [e["onset_s"] for e in spec["events"]] == sorted(e["onset_s"] for e in spec["events"])
    assert seen_long  # 12-s clips are cropped at a random source offset


def _snr(e, r):
    eps = np.finfo(np.float32).eps
    return 10 * np.log10((np.sum(r.astype(np.float64) ** 2) + eps) / (np.sum((r - e).astype(np.float64) ** 2) + eps))


def _tree_digest(path: Path) -> dict:
    return {str(p.relative_to(path)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def test_layout_and_preset_regeneration(data, tmp_path):
    lib, rooms = data
    cfg = SynthConfig.for_mode("2025", rate=RATE, seconds=3.0)
    a, b = tmp_path / "a", tmp_path / "b"
    synthesize(str(lib), str(rooms), str(a), 6, 250401, "val", cfg, jobs=1, prefix="val2025", preset_name="val")
    synthesize(str(lib), str(rooms), str(b), 6, 250401, "val", cfg, jobs=2, prefix="val2025", preset_name="val")
    da, db = _tree_digest(a), _tree_digest(b)
    assert da == db and len(da) > 6
    meta = json.loads((a / "metadata.json").read_text())
    assert meta["format"] == "s5-synth" and len(meta["mixtures"]) == 6
    for m in meta["mixtures"]:
        mix, sr = sf.read(a / "soundscape" / f"{m['name']}.wav", dtype="float32", always_2d=True)
        assert sr == RATE and mix.shape == (cfg.n_samples, 4)
        refs = {}
        for f in sorted((a / "oracle_target").glob(f"{m['name']}_*.wav")):
            label = f.name[len(m["name"]) + 1:-4]
            assert label in CLASSES
            refs[label] = sf.read(f, dtype="float32")[0]
        assert sorted(refs) == sorted(e["label"] for e in m["events"])
        for ev in m["events"]:
            assert ev["room"] if "room" in ev else m["room"]
            assert {"azimuth_deg", "elevation_deg", "snr_db", "onset_s", "duration_s", "clip"} <= set(ev)
        # oracle as estimate: every CA-SDRi term is SDR(oracle) - SDR(mixture) (finite, positive)
        for r in refs.values():
            term = _snr(r, r) - _snr(mix[:, 0], r)
            assert np.isfinite(term) and term > 0


def test_rerun_refuses_foreign_folder(data, tmp_path):
    from s5trainer.errors import S5Error

    lib, rooms = data
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "precious.txt").write_text("keep")
    with pytest.raises(S5Error, match="not an s5 synth output"):
        synthesize(str(lib), str(rooms), str(tmp_path / "x"), 1, 0, "train",
                   SynthConfig.for_mode("2025", rate=RATE, seconds=2.0))


def test_dataset_is_deterministic_and_picklable(data):
    import pickle

    lib, rooms = data
    cfg = SynthConfig.for_mode("2026", rate=RATE, seconds=2.0)
    a = SceneDataset(lib, rooms, cfg, "train", seed=5)
    b = pickle.loads(pickle.dumps(SceneDataset(lib, rooms, cfg, "train", seed=5)))
    for i in (0, 7):
        ia, ib = a[i], b[i]
        np.testing.assert_array_equal(ia["mixture"], ib["mixture"])
        np.testing.assert_array_equal(ia["dry"], ib["dry"])
        assert ia["labels"] == ib["labels"]


TSX = REPO / "node_modules" / ".bin" / "tsx"
S5_CLI = REPO / "bin" / "s5.cjs"


@pytest.mark.skipif(not (TSX.exists() and S5_CLI.exists() and shutil.which("node")),
                    reason="TypeScript CLI not available (needs node_modules/.bin/tsx and bin/s5.cjs)")
@pytest.mark.parametrize("mode", ["2025", "2026"])
def test_layout_round_trips_through_s5_evaluate(data, tmp_path, mode):
    lib, rooms = data
    cfg = SynthConfig.for_mode(mode, rate=32000, seconds=10.0)
    out = tmp_path / "set"
    bank32 = tmp_path / "rooms32"
    make_dummy_bank(bank32, rate=32000, n_rooms=10, n_positions=8, max_seconds=0.3)
    synthesize(str(lib), str(bank32), str(out), 5, 11, "test", cfg, prefix=f"rt{mode}")
    task = "dcase2025t4" if mode == "2025" else "dcase2026t4"
    proc = subprocess.run(["node", str(S5_CLI), "evaluate", "--task", task, "--soundscapes", str(out / "soundscape"),
                           "--oracle", str(out / "oracle_target"), "--estimates", str(out / "oracle_target"), "--json"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout[proc.stdout.index("{"):])
    meta = json.loads((out / "metadata.json").read_text())
    key = "ca_sdri" if mode == "2025" else "capi_sdri"
    for m in meta["mixtures"]:
        mix = sf.read(out / "soundscape" / f"{m['name']}.wav", dtype="float32")[0][:, 0]
        terms = [(_snr(r, r) - _snr(mix, r)) for r in
                 (sf.read(out / "oracle_target" / f, dtype="float32")[0] for f in m["oracle_files"])]
        got = result["per_mixture"][m["name"]][key]
        if not terms:
            assert got is None
        else:
            assert abs(got - np.mean(terms)) < 1e-2, (m["name"], got, terms)
        assert result["per_mixture"][m["name"]]["labels_correct"] is True


def test_synth_cli_preset_and_errors(data, tmp_path):
    lib, rooms = data
    env = {"PYTHONPATH": str(REPO / "trainer"), "PATH": "/usr/bin:/bin", "S5_DATA_DIR": str(tmp_path / "data")}
    cmd = [__import__("sys").executable, "-m", "s5trainer", "synth", "--library", str(lib), "--rooms", str(rooms),
           "--preset", "test", "--n", "2", "--rate", str(RATE), "--seconds", "2", "--mode", "2026"]
    out1 = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=True)
    line = json.loads(out1.stdout.strip().splitlines()[-1])
    out_dir = Path(line["out"])
    assert out_dir == tmp_path / "data" / "synth" / "test-2026" and line["split"] == "test"
    first = _tree_digest(out_dir)
    subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert _tree_digest(out_dir) == first                      # regenerates identically
    names = sorted(p.name for p in (out_dir / "oracle_target").glob("*.wav"))
    assert all(len(n.split("_")) >= 4 for n in names)          # 2026 naming <name>_<i>_<Label>.wav
    bad = subprocess.run(cmd[:6] + ["--rooms", str(tmp_path / "nowhere"), "--split", "val", "--n", "1",
                                    "--out", str(tmp_path / "o")], cwd=REPO, env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "no room bank" in bad.stderr
