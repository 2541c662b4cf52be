"""Scenes for real recordings: unchanged default synthesis, A-format self-noise, real FOA ambience
backgrounds, background colour, presets that name their room bank, and the real-IR preset."""
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import REPO
from s5trainer.errors import DataError
from s5trainer.rooms.bank import RoomBank
from s5trainer.synth import SceneDataset, SynthConfig
from s5trainer.synth import presets as P
from s5trainer.synth.cli import synthesize
from s5trainer.testing import make_dummy_bank, make_dummy_library

RATE = 8000
REAL_IR = Path(os.environ.get("S5_REAL_IR") or REPO.parent / "shared" / "realdata" / P.REAL_IR_FILE)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("realsynth")
    lib = make_dummy_library(root / "lib", rate=RATE, seconds=(0.3, 2.0), long_clip_every=5)
    rooms = make_dummy_bank(root / "rooms", rate=RATE, n_rooms=10, n_positions=4, max_seconds=0.2)
    return lib, rooms


def test_default_synthesis_matches_v1(data):
    # golden values computed with the code before these options existed (commit 71ce744)
    lib, rooms = data
    golden = {"2025": ("03b2d9a8e6b3af17eb49eae640f46c7e22d67c6f", [20.889227, 25.7345602, 35.7439554, 22.805269]),
              "2026": ("2af9534a89e1acdff554fc9a6283022f9f07022e", [5.03837984, 11.1242443, 1.36482673, 4.53833398])}
    for mode, (spec_sha, energy) in golden.items():
        cfg = SynthConfig.for_mode(mode, rate=RATE, seconds=3.0)
        assert set(cfg.to_json()) == {"mode", "rate", "seconds", "ref_db", "nevent_range", "target_snr_db",
                                      "ninterf_range", "interf_snr_db", "max_event_seconds", "dupse_rate",
                                      "max_n_dupse", "dupse_min_angle_deg", "dry_window_ms", "dry_peak",
                                      "dry_window_inclusive", "ir_norm", "background_tile",
                                      "procedural_background_prob"}
        ds = SceneDataset(lib, rooms, cfg, "train", 7, length=4)
        h, e = hashlib.sha1(), []
        for i in range(4):
            r = ds.render(i)
            e.append(np.sum(r.mixture.astype(np.float64) ** 2))
            h.update(json.dumps(r.spec, sort_keys=True).encode())
        assert h.hexdigest() == spec_sha
        np.testing.assert_allclose(e, energy, rtol=1e-6)


def _bank_with_afmt_room(src: Path, dst: Path, rec: dict) -> Path:
    import shutil

    shutil.copytree(src, dst)
    index = json.loads((dst / "rooms.json").read_text())
    for r in index["rooms"]:
        r["receiver"] = dict(rec)
    (dst / "rooms.json").write_text(json.dumps(index))
    return dst


def test_afmt_rooms_add_capsule_self_noise_at_its_level(data, tmp_path):
    lib, rooms = data
    rec = {"kind": "afmt", "array": "afmt:0.015:0.5:flat", "radius_m": 0.015, "directivity": 0.5, "eq": False,
           "capsule_gain_db": [0.0, 0.0, 0.0, 0.0], "self_noise_db": -12.0}
    noisy = _bank_with_afmt_room(rooms, tmp_path / "afmt", rec)
    cfg = SynthConfig.for_mode("2025", rate=RATE, seconds=3.0)
    plain = SceneDataset(lib, rooms, cfg, "train", 3, length=3)
    mic = SceneDataset(lib, noisy, cfg, "train", 3, length=3)
    for i in range(3):
        a, b = plain.render(i), mic.render(i)
        assert a.spec == b.spec
        np.testing.assert_array_equal(a.dry, b.dry)                         # references stay clean
        diff = (b.mixture - a.mixture).astype(np.float64)
        assert 10 * np.log10(np.mean(diff[0] ** 2)) == pytest.approx(a.spec["ref_db"] - 12.0, abs=0.05)
        # unequalised cardioid tetrahedron: each dipole carries 3x the W noise power, uncorrelated
        np.testing.assert_allclose(np.mean(diff[1:] ** 2, axis=1) / np.mean(diff[0] ** 2), 3.0, rtol=0.1)
        assert abs(np.corrcoef(diff[0], diff[3])[0, 1]) < 0.05
        np.testing.assert_array_equal(mic.render(i).mixture, b.mixture)    # seeded by the scene


def _write_ambience(path: Path, seconds: float = 4.0, rate: int = 16000) -> np.ndarray:
    rng = np.random.default_rng(9)
    n = int(seconds * rate)
    w = rng.standard_normal(n)
    # a source from azimuth 0 plus a diffuse part: X correlated with W, Y/Z independent
    x = np.stack([w, 0.3 * rng.standard_normal(n), 0.3 * rng.standard_normal(n), 0.8 * w]) * 0.1
    sf.write(path, x.T, rate, subtype="FLOAT")
    return x


def test_real_foa_ambience_is_used_as_it_is_and_rotated(data, tmp_path):
    lib, rooms = data
    amb = tmp_path / "amb.wav"
    _write_ambience(amb)
    cfg = SynthConfig.for_mode("2025", rate=RATE, seconds=2.0, foa_ambience=(str(amb),), foa_ambience_prob=1.0)
    assert cfg.to_json()["foa_ambience"] == [str(amb)]
    ds = SceneDataset(lib, rooms, cfg, "train", 5, length=4)
    from s5trainer.audio import read_audio, resample
    from s5trainer.synth.background import render_background

    ref, sr = read_audio(amb)
    ref = resample(ref, sr, RATE).astype(np.float64)
    n = cfg.n_samples
    for i in range(4):
        bg = ds.spec(i)["background"]
        assert bg["kind"] == "foa_file" and bg["file"] == str(amb)
        out = render_background(bg, n, RATE, None).astype(np.float64)
        off = int(bg["offset_frac"] * (ref.shape[1] - n))
        seg = ref[:, off:off + n]
        np.testing.assert_allclose(out[0], seg[0], atol=1e-5)                # W untouched
        np.testing.assert_allclose(out[2], seg[2], atol=1e-5)                # yaw keeps Z
        # the X/W correlation of the azimuth-0 source now points to the drawn yaw
        az = np.degrees(np.arctan2(np.dot(out[0], out[1]), np.dot(out[0], out[3])))
        assert abs((az - bg["yaw_deg"] + 180) % 360 - 180) < 3.0
        r = ds.render(i, keep_components=True)
        assert 10 * np.log10(np.mean(r.noise.astype(np.float64) ** 2)) == pytest.approx(cfg.ref_db, abs=0.01)


def test_background_tilt_colours_the_background(data):
    lib, rooms = data
    base = SynthConfig.for_mode("2025", rate=RATE, seconds=3.0)
    tilted = SynthConfig.for_mode("2025", rate=RATE, seconds=3.0, background_tilt_db=4.0)
    from s5trainer.synth.background import render_background

    n = base.n_samples
    slopes = []
    for i in range(6):
        s0 = SceneDataset(lib, rooms, base, "train", 2, length=8).spec(i)
        s1 = SceneDataset(lib, rooms, tilted, "train", 2, length=8).spec(i)
        t = s1["background"].pop("tilt_db_per_octave")
        assert -4.0 <= t <= 4.0 and s0 == s1                                 # the only change: one extra draw
        s1["background"]["tilt_db_per_octave"] = t
        a = np.fft.rfft(render_background(s0["background"], n, RATE, SceneDataset(lib, rooms, base)._open()[1].load))
        b = np.fft.rfft(render_background(s1["background"], n, RATE, SceneDataset(lib, rooms, base)._open()[1].load))
        f = np.fft.rfftfreq(n, 1 / RATE)
        band = (f > 250) & (f < 3000)
        gain_db = 10 * np.log10(np.mean(np.abs(b[:, band]) ** 2, 0) / np.mean(np.abs(a[:, band]) ** 2, 0))
        slope = np.polyfit(np.log2(f[band] / 1000.0), gain_db, 1)[0]
        assert slope == pytest.approx(t, abs=0.05)
        slopes.append(t)
    assert len(set(np.sign(slopes))) == 2


# --- presets name their room bank ---------------------------------------------------------------

def test_presets_name_their_banks():
    assert P.PRESETS["val"]["seed"] == 250_401 and P.PRESETS["test"]["seed"] == 250_402      # content as before
    assert P.PRESETS["val"]["split"] == "val" and P.PRESETS["test"]["split"] == "test"
    sim = P.ROOM_BANKS["sim100"]
    # `rooms bank --n 100 --seed 0 --rate 32000` with the defaults: the bank of the v1 cards and demo scenes
    assert (sim["n"], sim["seed"], sim["rate"], sim["positions"], sim["max_seconds"], sim["t60"], sim["profile"]) == \
        (100, 0, 32000, 16, 2.0, [0.2, 1.0], "default")
    demo = json.loads((REPO / "resources" / "demo" / "metadata.json").read_text())
    assert sim["fingerprint"] == demo["rooms"]["fingerprint"]
    for name, p in P.PRESETS.items():
        assert p["rooms"] in P.ROOM_BANKS
        q = P.preset(name, "2026")
        assert q["seed"] == p["seed"] + 1000 and q["room_split"] == p["split"]


def test_preset_bank_is_built_once_in_a_named_folder_and_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("S5_DATA_DIR", str(tmp_path))
    tiny = {"kind": "simulated", "n": 3, "seed": 4, "rate": 8000, "positions": 2, "max_seconds": 0.2,
            "t60": [0.2, 0.5], "profile": "default", "array": "foa", "fingerprint": None}
    monkeypatch.setitem(P.ROOM_BANKS, "tiny", tiny)
    out = P.ensure_bank("tiny")
    assert out.parent == tmp_path / "rooms" and out.name.startswith("preset-tiny-")
    fp = RoomBank(out).fingerprint()
    from s5trainer.rooms.bank import build_bank

    build_bank(tmp_path / "manual", 3, 4, rate=8000, n_positions=2, t60_range=(0.2, 0.5), max_seconds=0.2, jobs=1)
    assert RoomBank(tmp_path / "manual").fingerprint() == fp                 # = the CLI command it names
    monkeypatch.setitem(P.ROOM_BANKS, "tiny", dict(tiny, fingerprint=fp))
    mtime = (out / "rooms.json").stat().st_mtime_ns
    assert P.ensure_bank("tiny") == out and (out / "rooms.json").stat().st_mtime_ns == mtime   # reused
    # another definition, another folder
    monkeypatch.setitem(P.ROOM_BANKS, "tiny", dict(tiny, n=2, fingerprint=fp))
    assert P.bank_dir("tiny") != out
    # a bank that changed under the name is refused
    monkeypatch.setitem(P.ROOM_BANKS, "tiny", dict(tiny, fingerprint=fp))
    index = json.loads((out / "rooms.json").read_text())
    index["rooms"][0]["positions"][0]["drr_db"] += 1.0
    (out / "rooms.json").write_text(json.dumps(index))
    with pytest.raises(DataError, match="fingerprint"):
        P.ensure_bank("tiny")


def test_synth_preset_uses_the_preset_bank(data, tmp_path, monkeypatch):
    lib, _rooms = data
    monkeypatch.setenv("S5_DATA_DIR", str(tmp_path))
    monkeypatch.setitem(P.ROOM_BANKS, "tiny", {"kind": "simulated", "n": 10, "seed": 1, "rate": 8000, "positions": 4,
                                               "max_seconds": 0.2, "t60": [0.2, 0.5], "profile": "default",
                                               "array": "foa", "fingerprint": None})
    monkeypatch.setitem(P.PRESETS, "tinyval", {"split": "val", "n": 3, "seed": 11, "rooms": "tiny"})
    from argparse import Namespace

    from s5trainer.synth.cli import cmd_synth

    args = Namespace(preset="tinyval", mode="2025", n=None, out=str(tmp_path / "o"), library=str(lib), rooms=None,
                     room_split=None, seed=0, split=None, prefix=None, rate=RATE, seconds=2.0, nevent_range=None,
                     ninterf_range=None, jobs=1, ir=None, foa_ambience=None, foa_ambience_prob=None,
                     background_tilt_db=0.0)
    assert cmd_synth(args) == 0
    meta = json.loads((tmp_path / "o" / "metadata.json").read_text())
    bank = P.bank_dir("tiny")
    assert meta["rooms"]["path"] == str(bank) and meta["rooms"]["fingerprint"] == RoomBank(bank).fingerprint()
    assert meta["seed"] == 11 and meta["n"] == 3
    assert all(m["room"] in RoomBank(bank).ids("val") for m in meta["mixtures"])


def test_val_items_validate_on_the_preset_bank(data, tmp_path, monkeypatch):
    pytest.importorskip("torch")
    from s5trainer.train.config import load_config
    from s5trainer.train.sources import Clip, val_items

    lib, rooms = data
    monkeypatch.setenv("S5_DATA_DIR", str(tmp_path))
    monkeypatch.setitem(P.ROOM_BANKS, "tiny", {"kind": "simulated", "n": 10, "seed": 1, "rate": 8000, "positions": 4,
                                               "max_seconds": 0.2, "t60": [0.2, 0.5], "profile": "default",
                                               "array": "foa", "fingerprint": None})
    monkeypatch.setitem(P.PRESETS, "tinyval", {"split": "val", "n": 3, "seed": 11, "rooms": "tiny"})
    clip = Clip(RATE, 2.0, "separator")
    # explicit training bank and no preset bank yet: validation stays on the training bank
    cfg = load_config(None, ["data.source=synth", f"data.library={lib}", f"data.rooms={rooms}",
                             "validation.preset=tinyval"])
    items, n = val_items(cfg, clip)
    assert n == 3 and Path(items.datasets[0].rooms_dir) == Path(rooms)
    P.ensure_bank("tiny")
    items, n = val_items(cfg, clip)
    assert Path(items.datasets[0].rooms_dir) == P.bank_dir("tiny")


@pytest.mark.skipif(not REAL_IR.exists(), reason=f"real FOA IR not available ({REAL_IR})")
def test_real_ir_preset_bank(data, tmp_path, monkeypatch):
    monkeypatch.setenv("S5_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("S5_REAL_IR", str(REAL_IR))
    out = P.ensure_bank("real-ir")                               # checks the recorded fingerprint
    bank = RoomBank(out)
    assert bank.rate == 32000 and bank.ids("val") == ["real_ir_val"] and bank.ids("test") == ["real_ir_test"]
    val, test = bank.meta("real_ir_val"), bank.meta("real_ir_test")
    assert len(val["positions"]) == 24 and val["source"] == "rotated-ir"
    assert {(p["azimuth_deg"], p["elevation_deg"]) for p in val["positions"]}.isdisjoint(
        {(p["azimuth_deg"], p["elevation_deg"]) for p in test["positions"]})
    # W of every rotation is the converted file's W (FuMa W * sqrt(2)), resampled to 32 kHz
    x, sr = sf.read(REAL_IR, always_2d=True)
    from s5trainer.audio import resample

    w = resample(np.sqrt(2.0) * x[:, 0][None, :], sr, 32000)[0]
    np.testing.assert_allclose(bank.ir("real_ir_val", 5)[0], w, atol=1e-5)
    # scenes: the preset's split and rooms
    lib, _ = data
    p = P.preset("real-ir", "2025")
    ds = SceneDataset(lib, out, SynthConfig.for_mode("2025", rate=RATE, seconds=2.0), p["split"], p["seed"],
                      length=3, room_split=p["room_split"], name_prefix=p["prefix"])
    assert {ds.spec(i)["room"] for i in range(3)} == {"real_ir_val"}
