"""Room simulator checks: direct-path DOA, Schroeder T60, diffuse-tail energy ratio, arrays, IO."""
import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from conftest import REPO, TRAINER
from s5trainer.rooms import bands
from s5trainer.rooms.analysis import (angle_between_deg, diffuse_energy_ratio, intensity_doa, t60_mid)
from s5trainer.rooms.arrays import parse_array, square, tetrahedral
from s5trainer.rooms.bank import RoomBank, build_bank
from s5trainer.rooms.materials import SPEED_OF_SOUND
from s5trainer.rooms.simulate import design_room, simulate_ir
from s5trainer.rooms.userir import import_wav_folder, to_acn_sn3d


def _random_config(rng):
    dims = rng.uniform([3.0, 3.0, 2.4], [10.0, 8.0, 4.0])
    mic = rng.uniform(0.5, dims - 0.5)
    while True:
        src = rng.uniform(0.5, dims - 0.5)
        if np.linalg.norm(src - mic) > 0.7:
            return dims, src, mic


def test_filterbank_bands_sum_to_impulse():
    for rate in (8000, 16000, 32000, 48000):
        fb = bands.filterbank(rate)
        total = fb.sum(0)
        expect = np.zeros_like(total)
        expect[len(total) // 2] = 1.0
        np.testing.assert_allclose(total, expect, atol=1e-12)


def test_direct_path_doa_within_2_degrees_for_100_configurations():
    rng = np.random.default_rng(7)
    errors = []
    for _ in range(100):
        dims, src, mic = _random_config(rng)
        room = design_room(dims, rng.uniform(0.2, 1.0), rng)
        res = simulate_ir(room, src, mic, 16000, rng, max_seconds=0.3)
        az, el = intensity_doa(res.ir, int(round(res.delay_samples)))
        errors.append(angle_between_deg(az, el, res.azimuth_deg, res.elevation_deg))
        # the reported geometry matches the positions
        u = (src - mic) / np.linalg.norm(src - mic)
        assert np.isclose(np.degrees(np.arcsin(u[2])), res.elevation_deg, atol=1e-6)
        assert np.isclose(res.delay_samples, np.linalg.norm(src - mic) / SPEED_OF_SOUND * 16000)
    assert max(errors) < 2.0, f"worst DOA error {max(errors):.2f} deg"


@pytest.mark.parametrize("rate", [16000, 32000])
def test_schroeder_t60_within_15_percent(rate):
    rng = np.random.default_rng(11 + rate)
    for t60 in (0.2, 0.3, 0.45, 0.6, 0.8, 1.0):
        dims, src, mic = _random_config(rng)
        room = design_room(dims, t60, rng)
        assert abs(room.t60_mid - t60) / t60 < 0.01  # the designer reaches the target (Eyring)
        res = simulate_ir(room, src, mic, rate, rng)
        measured = t60_mid(res.ir[0], rate)
        assert abs(measured - t60) / t60 < 0.15, (t60, measured, room.materials)


def test_diffuse_tail_energy_ratio_is_one():
    rng = np.random.default_rng(3)
    ratios = []
    for _ in range(20):
        dims, src, mic = _random_config(rng)
        room = design_room(dims, rng.uniform(0.2, 1.0), rng)
        res = simulate_ir(room, src, mic, 16000, rng)
        ratios.append(diffuse_energy_ratio(res.ir, res.mixing_samples))   # the whole diffuse tail
    assert abs(np.mean(ratios) - 1.0) < 0.03, ratios
    assert all(abs(r - 1.0) < 0.12 for r in ratios), ratios


@pytest.mark.parametrize("spec", ["tetra", "square:0.2", "geom:0.1,0,0,-0.1,0,0,0,0.1,0,0,-0.1,0.05"])
def test_omni_array_arrival_times_follow_geometry(spec):
    array = parse_array(spec)
    rng = np.random.default_rng(5)
    room = design_room([6, 5, 3], 0.4, rng)
    src, mic = np.array([4.5, 3.7, 1.9]), np.array([2.0, 2.2, 1.4])
    res = simulate_ir(room, src, mic, 32000, rng, array=array, max_seconds=0.3)
    for i, off in enumerate(array.offsets):
        expect = np.linalg.norm(src - mic - off) / SPEED_OF_SOUND * 32000
        peak = int(np.argmax(np.abs(res.ir[i])))
        assert abs(peak - expect) <= 0.6, (i, peak, expect)
    # omni capsules: no channel is a dipole, every channel's direct peak is positive
    assert all(res.ir[i, int(np.argmax(np.abs(res.ir[i])))] > 0 for i in range(4))


def test_array_layouts():
    t = tetrahedral(0.05)
    assert np.allclose(np.linalg.norm(t.offsets, axis=1), 0.05)
    assert np.allclose(t.offsets.sum(0), 0.0, atol=1e-12)
    s = square(0.2)
    assert np.allclose(np.linalg.norm(s.offsets[0] - s.offsets[1]), 0.2)


def test_format_conversion_fuma_and_n3d():
    rng = np.random.default_rng(0)
    acn = rng.standard_normal((4, 100))
    fuma = np.stack([acn[0] / np.sqrt(2), acn[3], acn[1], acn[2]])
    np.testing.assert_allclose(to_acn_sn3d(fuma, "fuma"), acn, atol=1e-12)
    n3d = acn * np.array([1, np.sqrt(3), np.sqrt(3), np.sqrt(3)])[:, None]
    np.testing.assert_allclose(to_acn_sn3d(n3d, "acn-n3d"), acn, atol=1e-12)


def test_bank_is_deterministic_and_parallel_safe(tmp_path):
    a = build_bank(tmp_path / "a", 3, seed=5, rate=8000, n_positions=2, max_seconds=0.25, jobs=1)
    b = build_bank(tmp_path / "b", 3, seed=5, rate=8000, n_positions=2, max_seconds=0.25, jobs=2)
    assert [r["positions"] for r in a["rooms"]] == [r["positions"] for r in b["rooms"]]
    ba, bb = RoomBank(tmp_path / "a"), RoomBank(tmp_path / "b")
    for rid in ba.ids():
        np.testing.assert_array_equal(ba.irs(rid), bb.irs(rid))
    meta = ba.meta(ba.ids()[0])
    assert set(meta["t60_bands_s"]) >= {"125", "500", "1000", "2000"}
    assert {"azimuth_deg", "elevation_deg", "drr_db", "xyz_m"} <= set(meta["positions"][0])
    # incremental: a second build reuses the stored rooms
    c = build_bank(tmp_path / "a", 3, seed=5, rate=8000, n_positions=2, max_seconds=0.25, jobs=1)
    assert c["rooms"] == a["rooms"]


def test_wav_folder_import_estimates_direction(tmp_path):
    rng = np.random.default_rng(2)
    room = design_room([5, 4, 3], 0.3, rng)
    folder = tmp_path / "myroom"
    folder.mkdir()
    src, mic = np.array([3.5, 3.0, 1.5]), np.array([2.0, 1.5, 1.5])
    res = simulate_ir(room, src, mic, 16000, rng, max_seconds=0.2)
    fuma = np.stack([res.ir[0] / np.sqrt(2), res.ir[3], res.ir[1], res.ir[2]])
    sf.write(folder / "pos0.wav", fuma.T, 16000, subtype="FLOAT")
    meta = import_wav_folder(folder, tmp_path / "bank", fmt="fuma", rate=16000)
    p = meta["positions"][0]
    assert abs(p["azimuth_deg"] - res.azimuth_deg) < 2 and abs(p["elevation_deg"] - res.elevation_deg) < 2


def test_sofa_import(tmp_path):
    h5py = pytest.importorskip("h5py", reason="python3-h5py not installed")
    from s5trainer.rooms.userir import import_sofa

    rng = np.random.default_rng(4)
    room = design_room([6, 5, 3], 0.4, rng)
    mic = np.array([3.0, 2.5, 1.5])
    srcs = [np.array([4.5, 2.5, 1.5]), np.array([3.0, 4.0, 2.0])]
    irs = [simulate_ir(room, s, mic, 16000, rng, max_seconds=0.2).ir for s in srcs]
    path = tmp_path / "room.sofa"
    with h5py.File(path, "w") as f:
        f.attrs["Conventions"] = "SOFA"
        f.attrs["ChannelOrdering"] = "acn"
        f.attrs["Normalization"] = "n3d"
        n3d = np.stack(irs) * np.array([1, np.sqrt(3), np.sqrt(3), np.sqrt(3)])[:, None]
        f["Data.IR"] = n3d
        f["Data.SamplingRate"] = np.array([16000.0])
        f["SourcePosition"] = np.stack(srcs)
        f["SourcePosition"].attrs["Type"] = "cartesian"
        f["ListenerPosition"] = mic[None, :]
    meta = import_sofa(path, tmp_path / "bank", rate=32000)
    arr = np.load(tmp_path / "bank" / meta["file"])
    assert arr.shape[0] == 2 and meta["rate"] == 32000
    assert abs(meta["positions"][0]["azimuth_deg"]) < 1e-6
    assert abs(meta["positions"][1]["azimuth_deg"] - 90.0) < 1e-6
    # N3D -> SN3D: intensity DOA of the converted IR agrees with the stored position
    az, el = intensity_doa(arr[1])
    assert angle_between_deg(az, el, 90.0, np.degrees(np.arctan2(0.5, 1.5))) < 2.0


def test_cli_simulate_prints_direct_path(tmp_path):
    out = tmp_path / "ir.wav"
    proc = subprocess.run(
        [sys.executable, "-m", "s5trainer", "rooms", "simulate", "--room", "6x5x3", "--src", "4,3.5,1.5",
         "--mic", "3,2.5,1.5", "--t60", "0.5", "--rate", "16000", "--out", str(out)],
        cwd=REPO, env={"PYTHONPATH": str(TRAINER), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
        check=True)
    line = json.loads(proc.stdout.strip().splitlines()[-1])
    assert abs(line["direct_azimuth_deg"] - 45.0) < 1e-6 and abs(line["direct_elevation_deg"]) < 1e-6
    assert abs(line["t60_s"] - 0.5) / 0.5 < 0.15
    assert abs(line["delay_samples"] - np.sqrt(2) / SPEED_OF_SOUND * 16000) < 1e-3
    data, rate = sf.read(out)
    assert rate == 16000 and data.shape[1] == 4 and sf.info(out).subtype == "FLOAT"


def test_geom_spec_name_round_trips_so_a_bank_can_be_built(tmp_path):
    from s5trainer.rooms.bank import build_bank

    spec = "geom:0.03,0.02,0,-0.02,0.03,0.005,-0.03,-0.02,0,0.02,-0.03,-0.005"
    array = parse_array(spec)
    assert array.name == spec
    assert np.allclose(parse_array(array.name).offsets, array.offsets)
    index = build_bank(tmp_path / "bank", 2, 0, rate=8000, n_positions=2, array=spec, max_seconds=0.2, jobs=1)
    assert index["array"] == spec and all(r["array"] == spec for r in index["rooms"])
