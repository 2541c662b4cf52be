"""Library builder: tiny builds from locally made .deb packages (no network), dedupe, splits,
user folders, manifest validation, the generated README table."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import REPO, TRAINER
from s5trainer.errors import DataError
from s5trainer.labels import CLASSES, UnknownClassError
from s5trainer.library.build import build_library
from s5trainer.library.dedupe import duplicate_clusters, fingerprint, waveform_similarity
from s5trainer.library.manifest import DEFAULT_MANIFEST, load_manifest
from s5trainer.library.records import Library
from s5trainer.library.stats import format_stats, update_readme
from s5trainer.library.userfolder import scan

needs_dpkg = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb not available")


def _clip(rng, seconds=1.2, rate=44100, f0=None):
    n = int(seconds * rate)
    t = np.arange(n) / rate
    f0 = f0 or rng.uniform(200, 900)
    env = np.exp(-t / rng.uniform(0.2, 0.6)) * np.clip(t / 0.005, 0, 1)
    x = 0.6 * env * (np.sin(2 * np.pi * f0 * t) + 0.3 * np.sin(2 * np.pi * 2.7 * f0 * t)) \
        + 0.05 * env * rng.standard_normal(n)
    return x.astype(np.float32)


def _make_deb(tmp: Path, name: str, files: dict, debs: Path):
    root = tmp / f"pkg-{name}"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        f"Package: {name}\nVersion: 1.0-1\nArchitecture: all\nMaintainer: test <t@example.org>\nDescription: test\n")
    for rel, (x, rate, fmt) in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        sf.write(p, x, rate, format=fmt, **({"subtype": "VORBIS"} if fmt == "OGG" else {}))
    debs.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dpkg-deb", "--build", "-Zgzip", str(root), str(debs / f"{name}_1.0-1_all.deb")],
                   check=True, capture_output=True)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb not available")
    tmp = tmp_path_factory.mktemp("tinylib")
    rng = np.random.default_rng(0)
    debs = tmp / "cache" / "debs"
    cough = _clip(rng, 1.0)
    a_files = {f"usr/share/a/cough{i}.wav": (_clip(rng, 0.8 + 0.1 * i), 44100, "WAV") for i in range(6)}
    a_files["usr/share/a/original.wav"] = (cough, 44100, "WAV")
    a_files.update({f"usr/share/a/keys/k{i:02d}.wav": (_clip(rng, 0.08, f0=2000 + 100 * i), 44100, "WAV")
                    for i in range(12)})
    a_files["usr/share/a/dog.wav"] = (_clip(rng, 1.0), 44100, "WAV")
    a_files["usr/share/a/rain.wav"] = (rng.standard_normal(44100 * 3).astype(np.float32) * 0.2, 44100, "WAV")
    _make_deb(tmp, "pkg-a", a_files, debs)
    # package B ships a lossy, resampled re-encode of package A's original.wav, plus a distinct
    # "take" with the same envelope and pitch but different noise (must not count as a copy)
    other = cough.copy()
    other += 0.05 * np.random.default_rng(9).standard_normal(len(other)).astype(np.float32) * np.abs(cough).max()
    from scipy.signal import resample_poly
    b_files = {"usr/share/b/copy.ogg": (resample_poly(cough, 1, 2).astype(np.float32), 22050, "OGG"),
               "usr/share/b/extra.wav": (_clip(rng, 1.5), 44100, "WAV")}
    _make_deb(tmp, "pkg-b", b_files, debs)
    manifest = {
        "format": "s5-library-manifest", "version": 1,
        "deny_interference_keywords": {"Cough": ["cough"], "Typing": ["key"]},
        "sources": [
            {"package": "pkg-a", "version": "1.0*", "licence": "CC0-1.0", "files": [
                {"glob": "usr/share/a/cough*.wav", "role": "target", "class": "Cough"},
                {"glob": "usr/share/a/original.wav", "role": "target", "class": "Cough"},
                {"glob": "usr/share/a/keys/*.wav", "role": "oneshot", "class": "Typing", "min_seconds": 0.04},
                {"glob": "usr/share/a/dog.wav", "role": "interference", "class": "Dog"},
                {"glob": "usr/share/a/rain.wav", "role": "background", "class": "Rain"}]},
            {"package": "pkg-b", "version": "1.0*", "licence": "CC0-1.0", "files": [
                {"glob": "usr/share/b/*", "role": "target", "class": "Cough"}]},
        ],
        "derived": {"procedural": {"counts": {"train": 2, "val": 1, "test": 1}, "classes": {"Doorbell": 1.0}},
                    "sequenced": {"counts": {"train": 2, "val": 1, "test": 1}, "classes": ["Typing"]}},
    }
    mpath = tmp / "manifest.json"
    mpath.write_text(json.dumps(manifest))
    out = tmp / "lib"
    logs = []
    summary = build_library(out, rate=16000, manifest=mpath, cache_dir=tmp / "cache", jobs=1, log=logs.append)
    return {"tmp": tmp, "out": out, "manifest": mpath, "summary": summary, "logs": logs}


@needs_dpkg
def test_dedupe_catches_reencoded_copy(tiny):
    lib = json.loads((tiny["out"] / "library.json").read_text())
    dups = [d for d in lib["dropped"] if d["reason"].startswith("duplicate")]
    assert [(d["package"], d["path"]) for d in dups] == [("pkg-a", "usr/share/a/original.wav")] or \
        [(d["package"], d["path"]) for d in dups] == [("pkg-b", "usr/share/b/copy.ogg")]
    paths = {c["path"] for c in lib["clips"]}
    assert "usr/share/b/extra.wav" in paths


def test_dedupe_keeps_distinct_takes():
    rng = np.random.default_rng(3)
    base = _clip(rng, 1.0, 16000, f0=440)
    take2 = _clip(np.random.default_rng(4), 1.0, 16000, f0=440)        # same recipe, other noise/decay
    copy = (base + 0.001 * rng.standard_normal(len(base))).astype(np.float32)
    prints = [fingerprint(x, 16000) for x in (base, take2, copy)]
    wav = {0: base, 1: take2, 2: copy}
    clusters = duplicate_clusters(["a", "b", "c"], prints, groups=["g0", "g1", "g2"],
                                  confirm=lambda i, j: waveform_similarity(wav[i], wav[j], 16000) >= 0.8)
    assert sorted(map(sorted, clusters)) == [[0, 2], [1]]
    # bit-identical PCM always merges, whatever the groups
    assert duplicate_clusters(["h", "h"], prints[:2], groups=["g", "g"]) == [[0, 1]]


@needs_dpkg
def test_splits_are_disjoint_by_group_and_sequences_stay_in_split(tiny):
    lib = Library(tiny["out"])
    split_of_group = {}
    for c in lib.records:
        assert split_of_group.setdefault((c.role, c.group), c.split) == c.split
    for c in lib.records:
        if c.origin == "sequenced":
            assert all(lib.by_id[s].split == c.split for s in c.extra["sources"])
    # every split has one-shots (fix-up) and hence sequenced Typing events
    seq = {c.split for c in lib.records if c.origin == "sequenced"}
    assert seq == {"train", "val", "test"}
    procedural = [c for c in lib.records if c.origin == "procedural"]
    assert {c.split for c in procedural} == {"train", "val", "test"} and all(c.label == "Doorbell" for c in procedural)
    # records carry provenance and a PCM hash; audio matches the stored duration/rate
    c = lib.clips("target", label="Cough")[0]
    x = lib.load(c)
    assert c.package == "pkg-a" or c.package == "pkg-b"
    assert c.licence == "CC0-1.0" and c.version == "1.0-1" and len(c.sha1) == 40
    assert abs(len(x) / lib.rate - c.duration_s) < 1e-3 and lib.rate == 16000
    assert lib.clips("interference") and lib.clips("background")
    assert "Cough" in format_stats(lib)


@needs_dpkg
def test_second_build_is_incremental(tiny):
    logs = []
    before = json.loads((tiny["out"] / "library.json").read_text())
    build_library(tiny["out"], rate=16000, manifest=tiny["manifest"], cache_dir=tiny["tmp"] / "cache", jobs=1,
                  log=logs.append)
    assert any("converting 0 new files" in line for line in logs), logs
    assert any("(0 new)" in line for line in logs if line.startswith("procedural")), logs
    after = json.loads((tiny["out"] / "library.json").read_text())
    assert before["clips"] == after["clips"]


def test_user_folder_with_wrong_class_lists_accepted_names(tmp_path):
    (tmp_path / "Speech").mkdir()
    (tmp_path / "Doorbel").mkdir()
    sf.write(tmp_path / "Speech" / "a.wav", np.zeros(100) + 0.1, 16000)
    sf.write(tmp_path / "Doorbel" / "b.wav", np.zeros(100) + 0.1, 16000)
    with pytest.raises(UnknownClassError) as err:
        scan(tmp_path)
    msg = str(err.value)
    assert "Doorbel" in msg and all(c in msg for c in CLASSES)
    # the CLI reports it as an error, exit code 2
    proc = subprocess.run([sys.executable, "-m", "s5trainer", "library", "build", "--out", str(tmp_path / "lib"),
                           "--user", str(tmp_path), "--classes", "Speech", "--manifest", str(tmp_path / "m.json")],
                          cwd=REPO, env={"PYTHONPATH": str(TRAINER), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True)
    assert proc.returncode == 2


@needs_dpkg
def test_user_folder_clips_join_the_library(tiny, tmp_path):
    user = tmp_path / "mine"
    (user / "Cough").mkdir(parents=True)
    rng = np.random.default_rng(5)
    for i in range(3):
        sf.write(user / "Cough" / f"c{i}.flac", _clip(rng, 0.7), 48000)
    out = tmp_path / "lib"
    shutil.copytree(tiny["out"], out)
    build_library(out, rate=16000, manifest=tiny["manifest"], cache_dir=tiny["tmp"] / "cache", jobs=1,
                  user_folders=[(str(user), "target")], log=lambda m: None)
    users = [c for c in Library(out).records if c.origin == "user"]
    assert len(users) == 3 and all(c.label == "Cough" and c.rate == 16000 for c in users)


def test_manifest_rejects_interference_named_like_a_target(tmp_path):
    m = json.loads(DEFAULT_MANIFEST.read_text())
    m["sources"][0]["files"].append({"glob": "usr/share/x/doorbell.wav", "role": "interference", "class": "Bell"})
    p = tmp_path / "m.json"
    p.write_text(json.dumps(m))
    with pytest.raises(DataError, match="disjoint"):
        load_manifest(p)
    m = json.loads(DEFAULT_MANIFEST.read_text())
    m["sources"][0]["files"].append({"glob": "usr/share/x/y.wav", "role": "interference", "class": "Speech"})
    p.write_text(json.dumps(m))
    with pytest.raises(DataError, match="target class"):
        load_manifest(p)
    m["sources"][0]["files"][-1] = {"glob": "usr/share/x/y.wav", "role": "target", "class": "Speach"}
    p.write_text(json.dumps(m))
    with pytest.raises(UnknownClassError, match="accepted names"):
        load_manifest(p)


def test_default_manifest_is_valid_and_covers_every_class():
    m = load_manifest()
    covered = {f.label for s in m.sources for f in s.files if f.role in ("target", "oneshot")}
    covered |= set(m.derived["procedural"]["classes"]) | set(m.derived["fluidsynth"]["classes"])
    assert covered == set(CLASSES)
    inter = {f.label for s in m.sources for f in s.files if f.role == "interference"}
    assert inter and not inter & set(CLASSES)


def test_readme_sources_table_matches_manifest(tmp_path):
    copy = tmp_path / "README.md"
    shutil.copy(TRAINER / "README.md", copy)
    assert update_readme(copy, load_manifest()) is False, \
        "trainer/README.md is stale: run `python3 -m s5trainer library sources --update-readme trainer/README.md`"


def _default_library():
    from s5trainer.paths import default_library_dir
    p = default_library_dir()
    return p if (p / "library.json").exists() else None


@pytest.mark.skipif(_default_library() is None, reason="no full library built in the data folder")
def test_full_library_has_30_train_clips_per_class():
    from s5trainer.library.build import min_train_counts

    counts = min_train_counts(Library(_default_library()))
    assert all(n >= 30 for n in counts.values()), counts
