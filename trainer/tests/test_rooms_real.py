"""Rooms and microphones that look like real ones: the ``real`` bank profile, the plane-wave tail,
simulated A-format microphones (aliasing frequency, conversion), FOA rotation vs the intensity
vector (simulated and real responses), rotated real IRs as a bank, and the unchanged default."""
import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import butter, sosfiltfilt

from conftest import REPO
from s5trainer.rooms.afmt import CAPSULE_DIRS, alias_frequency, plane_wave_response, self_noise
from s5trainer.rooms.analysis import (angle_between_deg, clarity_db, direct_path_index, intensity_doa, t60_mid)
from s5trainer.rooms.arrays import direction_of, parse_array, unit_vector
from s5trainer.rooms.bank import BankParams, RoomBank, build_bank, simulate_room
from s5trainer.rooms.materials import SPEED_OF_SOUND
from s5trainer.rooms.profiles import (REAL_ROOM_CLASSES, sample_position_real, sample_receiver, sample_room_real,
                                      t60_range_for_volume)
from s5trainer.rooms.rotation import foa_rotation, rotate_foa
from s5trainer.rooms.simulate import design_room, simulate_ir
from s5trainer.rooms.userir import import_rotated, to_acn_sn3d

REAL_IR = Path(os.environ.get("S5_REAL_IR") or REPO.parent / "shared" / "realdata" / "jsambisonics_room_1_bf_wxyz_44k.wav")


# --- the default profile is untouched -----------------------------------------------------------

def test_default_bank_params_keep_their_v1_form():
    p = BankParams(0, 32000, 16, "foa", 0.2, 1.0, 2.0)
    assert p.as_dict() == {"seed": 0, "rate": 32000, "n_positions": 16, "array": "foa", "t60_min": 0.2,
                           "t60_max": 1.0, "max_seconds": 2.0, "simulator": 2}
    assert "profile" in BankParams(0, 32000, 16, "foa", 0.2, 3.0, 3.0, profile="real").as_dict()


def test_default_bank_matches_the_v1_simulator(tmp_path):
    # golden values computed with the code before the real profile existed (commit 71ce744)
    build_bank(tmp_path / "b", 3, seed=5, rate=8000, n_positions=2, max_seconds=0.25, jobs=1)
    b = RoomBank(tmp_path / "b")
    assert b.fingerprint() == "0f8b1592b0d59fb8"
    energy = [[np.sum(np.asarray(b.irs(r), np.float64)[k] ** 2) for k in range(2)] for r in b.ids()]
    np.testing.assert_allclose(energy, [[0.0220614565, 0.0100789043], [0.0251055543, 0.0271518988],
                                        [0.100234256, 0.106478125]], rtol=1e-6)


# --- real profile: distribution ----------------------------------------------------------------

def test_real_profile_room_distribution():
    rng = np.random.default_rng(0)
    rooms = [sample_room_real(rng) for _ in range(3000)]
    vol = np.array([np.prod(d) for d, _, _ in rooms])
    t60 = np.array([t for _, t, _ in rooms])
    assert vol.min() >= 20.0 - 1e-6 and vol.max() <= 15000.0 + 1e-6 and vol.max() > 10000.0
    hall_share = REAL_ROOM_CLASSES[-1][0]
    assert abs(np.mean(vol >= 5000.0) - hall_share) < 0.02
    assert abs(np.mean(vol < 150.0) - REAL_ROOM_CLASSES[0][0]) < 0.03
    assert t60.min() >= 0.2 - 1e-9 and t60.max() <= 3.0 and t60.max() >= 2.5
    assert np.median(t60) < 1.0                                   # ordinary rooms dominate
    for v, t in zip(vol, t60):                                    # each T60 inside its volume's law
        v20 = max(v, 20.0) / 20.0
        assert 0.2 * v20 ** 0.2 - 1e-9 <= t <= min(3.0, v20 ** 0.17) + 1e-9
    assert t60_range_for_volume(12000.0)[1] > 2.5
    for dims, _, mic in rooms[:500]:
        assert 1.0 <= mic[2] <= min(2.0, dims[2] - 0.5) + 1e-9
        assert np.all(mic[:2] >= np.minimum(1.0, 0.2 * dims[:2]) - 1e-9)


def test_real_profile_positions_are_inside_and_reach_ten_metres():
    rng = np.random.default_rng(1)
    for dims, mic, far in (([40.0, 25.0, 12.0], [20.0, 12.5, 1.5], True), ([3.5, 2.8, 2.5], [1.7, 1.4, 1.2], False)):
        dims, mic = np.array(dims), np.array(mic)
        dist = []
        for k in range(16 * 20):
            p = sample_position_real(rng, dims, mic, k % 16, 16, 0.0)
            assert np.all(p >= 0.3 - 1e-9) and np.all(p <= dims - 0.3 + 1e-9)
            dist.append(np.linalg.norm(p - mic))
        dist = np.array(dist)
        assert dist.max() <= 10.0 + 1e-9
        assert dist.min() >= 0.5 - 1e-9 or not far
        if far:
            assert dist.max() > 9.0 and np.mean(dist > 5.0) > 0.3


def test_real_receiver_draws():
    kinds = [sample_receiver(np.random.default_rng(i), 0.5)["kind"] for i in range(400)]
    assert abs(kinds.count("afmt") / 400 - 0.5) < 0.08
    rec = sample_receiver(np.random.default_rng(0), 1.0)
    assert 0.01 <= rec["radius_m"] <= 0.02 and 0.45 <= rec["directivity"] <= 0.6
    assert all(abs(g) <= 1.0 for g in rec["capsule_gain_db"]) and -30 <= rec["self_noise_db"] <= -10
    assert parse_array(rec["array"]).kind == "afmt"
    fixed = sample_receiver(np.random.default_rng(0), 0.0, "afmt:0.012:0.5")
    assert fixed["radius_m"] == pytest.approx(0.012) and fixed["kind"] == "afmt"
    assert sample_receiver(np.random.default_rng(0), 0.0)["kind"] == "foa"


# --- real profile: acoustics -------------------------------------------------------------------

@pytest.mark.parametrize("t60", [1.5, 2.5])
def test_hall_t60_is_reached_with_a_three_second_ir(t60):
    rng = np.random.default_rng(3)
    room = design_room([40, 25, 12], t60, rng)
    mic = np.array([20.0, 12.5, 1.5])
    res = simulate_ir(room, mic + 8.0 * unit_vector(20.0, 5.0), mic, 16000, rng, tail="directional", max_seconds=3.0)
    assert res.ir.shape[1] <= 3 * 16000
    measured = t60_mid(res.ir[0], 16000)
    assert abs(measured - t60) / t60 < 0.15, measured


def test_directional_tail_keeps_the_diffuse_ratio_and_follows_the_room():
    # reflective walls, absorbing floor and ceiling: the late field is mostly horizontal, so Z
    # carries less than its isotropic third; the independent-channel tail cannot show that
    mats = ("concrete",) * 4 + ("carpet_thick", "acoustic_tile")
    share = {"iid": [], "directional": []}
    for tail in share:
        for seed in range(4):
            rng = np.random.default_rng(seed)
            room = design_room([8, 6, 3], 0.8, rng, materials=mats)
            r = simulate_ir(room, [6, 4.5, 1.6], [2.5, 2.2, 1.3], 16000, rng, tail=tail, max_seconds=2.0)
            seg = r.ir[:, r.mixing_samples:].astype(np.float64)
            ratio = (seg[1:] ** 2).sum(1) / (seg[0] ** 2).sum()
            assert 0.9 < ratio.sum() < 1.1, (tail, ratio)
            share[tail].append(ratio[1] / ratio.sum())
    assert abs(np.mean(share["iid"]) - 1 / 3) < 0.01
    assert np.mean(share["directional"]) < 0.31


def test_real_profile_rooms_reach_low_drr_and_store_c50(tmp_path):
    params = BankParams(3, 8000, 4, "foa", 0.2, 3.0, 1.0, profile="real", afmt_share=0.5)
    metas = [simulate_room(params, i, str(tmp_path)) for i in range(8)]
    drr = [p["drr_db"] for m in metas for p in m["positions"]]
    assert min(drr) <= -10.0
    for m in metas:
        assert m["id"].startswith("real3_") and m["profile"] == "real" and m["array"] == "foa"
        assert m["receiver"]["kind"] in ("foa", "afmt")
        irs = np.load(tmp_path / m["file"])
        for i, p in enumerate(m["positions"]):
            assert 0.5 - 1e-6 <= p["distance_m"] <= 10.0 + 1e-6
            assert p["c50_db"] == pytest.approx(clarity_db(irs[i, 0], 8000, p["delay_samples"]), abs=0.01)
    # a stored room is reused only with the same parameters
    again = simulate_room(params, 0, str(tmp_path))
    assert again == metas[0]


# --- A-format microphones ----------------------------------------------------------------------

def test_a2b_conversion_is_exact_sn3d_at_low_frequency():
    rng = np.random.default_rng(0)
    for a in (0.4, 0.5, 0.6):
        for u in rng.standard_normal((20, 3)):
            u /= np.linalg.norm(u)
            b = plane_wave_response(u, [0.0], 0.015, a)[:, 0]
            np.testing.assert_allclose(b.real, [1.0, u[1], u[2], u[0]], atol=1e-12)


@pytest.mark.parametrize("radius", [0.01, 0.015, 0.02])
def test_afmt_simulation_reproduces_the_aliasing_frequency(radius):
    """W response for a plane wave from a capsule direction over the one from the opposite face:
    |cos(2kr/3)| for cardioids, -3 dB at 3c/(16r) and a null at 3c/(8r) (afmt.py docstring)."""
    rate = 32000
    spectra = []
    for u in (CAPSULE_DIRS[0], -CAPSULE_DIRS[0]):
        rng = np.random.default_rng(0)
        room = design_room([30, 30, 20], 0.3, rng)          # first reflection > 20 ms after the direct sound
        mic = np.array([15.0, 15.0, 10.0])
        res = simulate_ir(room, mic + 2.0 * u, mic, rate, rng, array=parse_array(f"afmt:{radius}"), max_seconds=0.3)
        d, half = int(round(res.delay_samples)), int(0.004 * rate)
        spectra.append(np.abs(np.fft.rfft(res.ir[0, d - half: d + half] * np.hanning(2 * half), 8192)))
    f = np.fft.rfftfreq(8192, 1 / rate)
    ratio = 20 * np.log10(spectra[0] / spectra[1])
    f3 = f[np.argmax(ratio < -3.0)]
    closed = 3 * SPEED_OF_SOUND / (16 * radius)
    assert closed == pytest.approx(alias_frequency(radius))
    assert abs(f3 - closed) / closed < 0.10, (f3, closed)
    band = (f > 0.5 * closed) & (f < 2.5 * closed)
    null = f[band][np.argmin(ratio[band])]
    assert abs(null - 2 * closed) / (2 * closed) < 0.10
    assert abs(ratio[(f > 100) & (f < 400)].mean()) < 0.1        # no directional error at low frequency


def test_afmt_matches_ideal_foa_below_aliasing():
    rate = 32000
    out = {}
    for spec in ("foa", "afmt:0.015"):
        rng = np.random.default_rng(1)
        room = design_room([6, 5, 3], 0.5, rng)
        res = simulate_ir(room, [4.5, 3.7, 1.9], [2, 2.2, 1.4], rate, rng, array=parse_array(spec), max_seconds=0.5)
        low = sosfiltfilt(butter(4, 1000, fs=rate, output="sos"), res.ir)
        p = int(round(res.delay_samples))
        out[spec] = (intensity_doa(low, p, half_window=16), np.sum(low[0, p - 40: p + 40] ** 2), res)
    (az0, el0), e0, ideal = out["foa"]
    (az1, el1), e1, _ = out["afmt:0.015"]
    assert angle_between_deg(az0, el0, ideal.azimuth_deg, ideal.elevation_deg) < 0.5
    assert angle_between_deg(az1, el1, ideal.azimuth_deg, ideal.elevation_deg) < 1.0
    assert abs(10 * np.log10(e1 / e0)) < 0.5


def test_afmt_self_noise_has_noisy_dipoles():
    # unequalised, unit capsule variance: W = sum/(4a) -> 4/(16a²); dipoles sqrt(3)/(4(1-a)) * (±1 sum)
    # -> 4 * 3/(16(1-a)²) = 3/(4(1-a)²)
    for a in (0.5, 0.6):
        x = self_noise(200_000, 16000, np.random.default_rng(0), 0.015, a, eq=False)
        var = x.var(axis=1)
        assert var[0] == pytest.approx(1 / (4 * a * a), rel=0.03)
        np.testing.assert_allclose(var[1:], 3 / (4 * (1 - a) ** 2), rtol=0.03)
        c = np.corrcoef(x)
        assert np.max(np.abs(c - np.eye(4))) < 0.02                 # independent B-format channels


def test_capsule_mismatch_reaches_the_b_format_as_predicted():
    # +1 dB on the FLU capsule: for a plane wave from u at low frequency, W = sum_i g_i s_i / (4a)
    rate, a = 16000, 0.5
    u = unit_vector(-30.0, 10.0)
    g = np.array([10 ** (1 / 20), 1.0, 1.0, 1.0])
    s = a + (1 - a) * CAPSULE_DIRS @ u
    expect_w = np.sum(g * s) / (4 * a)
    levels = []
    for gains in (None, g):
        rng = np.random.default_rng(2)
        room = design_room([30, 30, 20], 0.3, rng)
        mic = np.array([15.0, 15.0, 10.0])
        res = simulate_ir(room, mic + 4.0 * u, mic, rate, rng, array=parse_array("afmt:0.015:0.5:flat"),
                          max_seconds=0.3, capsule_gain=gains)
        low = sosfiltfilt(butter(4, 500, fs=rate, output="sos"), res.ir[0])
        d = int(res.delay_samples)                                  # 187 samples; reflections > 900 later
        levels.append(np.sum(low[d - 150: d + 150] ** 2))
    assert 10 * np.log10(levels[1] / levels[0]) == pytest.approx(20 * np.log10(expect_w), abs=0.05)


# --- rotation moves the intensity-vector direction by the rotation (issue: ±1°) -----------------

def _doa(ir, rate):
    p = direct_path_index(ir[0], rate)
    return intensity_doa(ir, p)


def _check_rotations(ir, rate):
    az0, el0 = _doa(ir, rate)
    # yaw: azimuth + yaw, elevation unchanged
    for yaw in (30.0, -75.0, 150.0):
        az, el = _doa(rotate_foa(ir, foa_rotation(yaw)), rate)
        assert angle_between_deg(az, el, az0 + yaw, el0) < 1.0
    # move the direct sound to the front, pitch it up/down, turn it to a new azimuth: (az0 + y, p)
    for yaw, pitch in ((40.0, 20.0), (-120.0, -15.0), (200.0, 35.0)):
        r = foa_rotation(az0 + yaw) @ foa_rotation(0.0, pitch) @ foa_rotation(0.0, -el0) @ foa_rotation(-az0)
        az, el = _doa(rotate_foa(ir, r), rate)
        assert angle_between_deg(az, el, az0 + yaw, pitch) < 1.0, (yaw, pitch, az, el)
    # roll about x turns +y towards +z: a source at azimuth 90 gets elevation = roll
    to_y = foa_rotation(90.0) @ foa_rotation(0.0, -el0) @ foa_rotation(-az0)
    for roll in (25.0, -40.0):
        az, el = _doa(rotate_foa(ir, foa_rotation(0.0, 0.0, roll) @ to_y), rate)
        assert angle_between_deg(az, el, 90.0, roll) < 1.0


def test_rotation_moves_the_intensity_direction_of_a_simulated_ir():
    rng = np.random.default_rng(6)
    room = design_room([7, 5, 3], 0.6, rng)
    res = simulate_ir(room, [5.2, 3.9, 1.8], [2.1, 1.7, 1.4], 16000, rng, max_seconds=0.6)
    assert angle_between_deg(*_doa(res.ir, 16000), res.azimuth_deg, res.elevation_deg) < 1.0
    _check_rotations(res.ir.astype(np.float64), 16000)


@pytest.mark.skipif(not REAL_IR.exists(), reason=f"real FOA IR not available ({REAL_IR})")
def test_rotation_moves_the_intensity_direction_of_the_real_ir():
    x, rate = sf.read(REAL_IR, always_2d=True)
    ir = to_acn_sn3d(x.T.astype(np.float64), "fuma")
    az0, el0 = _doa(ir, rate)
    assert abs(az0 - 13.8) < 1.0 and abs(el0) < 1.0                 # the file's note: ~14°, 0°
    _check_rotations(ir, rate)


# --- a measured IR rotated into a bank ---------------------------------------------------------

def test_import_rotated_places_the_direct_sound_at_each_target(tmp_path):
    rng = np.random.default_rng(2)
    room = design_room([6, 5, 3], 0.4, rng)
    res = simulate_ir(room, [4.4, 3.1, 1.9], [2.0, 1.5, 1.4], 16000, rng, max_seconds=0.3)
    fuma = np.stack([res.ir[0] / np.sqrt(2), res.ir[3], res.ir[1], res.ir[2]])
    path = tmp_path / "room.wav"
    sf.write(path, fuma.T, 16000, subtype="FLOAT")
    meta = import_rotated(path, tmp_path / "bank", fmt="fuma", rate=16000, rotations=12, seed=3, split="val")
    arr = np.load(tmp_path / "bank" / meta["file"])
    assert arr.shape == (12, 4, res.ir.shape[1]) and meta["split"] == "val"
    assert angle_between_deg(*meta["source_direction_deg"], res.azimuth_deg, res.elevation_deg) < 1.0
    az = []
    for i, p in enumerate(meta["positions"]):
        np.testing.assert_allclose(arr[i, 0], res.ir[0], atol=1e-6)          # W is unchanged
        assert angle_between_deg(*_doa(arr[i].astype(np.float64), 16000), p["azimuth_deg"], p["elevation_deg"]) < 1.0
        assert -20.0 - 1e-6 <= p["elevation_deg"] <= 40.0 + 1e-6
        r = np.array(p["rotation"])
        np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-5)
        az.append(p["azimuth_deg"])
    assert len({int((a + 180) // 90) for a in az}) == 4                   # all four quadrants


def test_rooms_import_cli_with_rotations(tmp_path):
    import subprocess
    import sys

    rng = np.random.default_rng(4)
    room = design_room([5, 4, 3], 0.3, rng)
    res = simulate_ir(room, [3.5, 3.0, 1.5], [2.0, 1.5, 1.5], 16000, rng, max_seconds=0.2)
    sf.write(tmp_path / "ir.wav", res.ir.T, 16000, subtype="FLOAT")
    proc = subprocess.run([sys.executable, "-m", "s5trainer", "rooms", "import", "--wav", str(tmp_path / "ir.wav"),
                           "--rotations", "6", "--rate", "16000", "--split", "test", "--out", str(tmp_path / "b")],
                          cwd=REPO, env={"PYTHONPATH": str(REPO / "trainer"), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, check=True)
    line = json.loads(proc.stdout.strip().splitlines()[-1])
    assert line["positions"] == 6
    bank = RoomBank(tmp_path / "b")
    assert bank.ids("test") == ["rot_ir"] and bank.irs("rot_ir").shape[0] == 6
    assert direction_of(bank.meta("rot_ir")["positions"][0]["xyz_m"])[0] == pytest.approx(
        bank.meta("rot_ir")["positions"][0]["azimuth_deg"], abs=0.01)
