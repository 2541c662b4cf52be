"""Library builder: Debian packages + derived clips + user folders -> ``library.json`` + clips.

Steps (each incremental: converted clips, fingerprints and derived clips are reused when their
inputs did not change):
1. fetch every manifest package (``apt-get download``), list its files, match the entries;
2. extract only the matched files, convert them (mono, target rate, trimmed, checked);
3. drop duplicates (PCM hash and spectral similarity); copies inherit the kept clip's group;
4. assign splits by group (``splits.py``);
5. add procedural clips, sequenced events (from one-shots of the same split) and fluidsynth renders;
6. add user folders ``ClassName/*.wav``; write ``library.json`` (+ dropped files with reasons).
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import read_audio, write_audio
from ..labels import CLASSES, check_class
from ..paths import default_cache_dir
from ..generators import fluid
from . import debian, derived, splits
from .convert import CONVERT_VERSION, convert, pcm_sha1, trim_silence
from .dedupe import Fingerprint, duplicate_clusters, fingerprint, waveform_similarity
from .manifest import FileEntry, Manifest, check_disjoint, load_manifest, select
from .records import Clip, Library, write_library
from .userfolder import scan, user_clips

AUDIO_EXT = (".wav", ".ogg", ".oga", ".flac", ".mp3", ".au", ".aif", ".aiff")


@dataclass
class Candidate:
    package: str
    version: str
    path: str
    entry: FileEntry
    licence: str
    src: Path

    @property
    def id(self) -> str:
        short = self.package.split("-")[0][:12]
        return f"{short}-{hashlib.sha1(f'{self.package}:{self.path}'.encode()).hexdigest()[:10]}"

    @property
    def role(self) -> str:
        return "oneshot" if self.entry.role == "oneshot" and not self.entry.also_target else \
            ("target" if self.entry.role == "oneshot" else self.entry.role)


def _store(lib_dir: Path, role: str, label: str, cid: str, x: np.ndarray, rate: int) -> tuple[str, str]:
    rel = f"clips/{role}/{label}/{cid}.wav"
    write_audio(lib_dir / rel, x, rate, subtype="PCM_16")
    return rel, pcm_sha1(x)


def _fp_path(lib_dir: Path, cid: str) -> Path:
    return lib_dir / ".cache" / "fingerprints" / f"{cid}.npz"


def _save_fp(lib_dir: Path, cid: str, fp: Fingerprint) -> None:
    p = _fp_path(lib_dir, cid)
    p.parent.mkdir(parents=True, exist_ok=True)
    np.savez(p, frames=fp.frames.astype(np.float16), coarse=fp.coarse)


def _load_fp(lib_dir: Path, cid: str) -> Fingerprint | None:
    p = _fp_path(lib_dir, cid)
    if not p.exists():
        return None
    d = np.load(p)
    return Fingerprint(d["frames"].astype(np.float32), d["coarse"])


def _convert_job(args):
    """Worker: convert one extracted file; returns (id, record-dict | None, reason)."""
    cand, lib_dir, rate = args
    conv = convert(cand.src, rate, min_seconds=cand.entry.min_seconds)
    if conv.audio is None:
        return cand.id, None, conv.reason
    rel, sha = _store(Path(lib_dir), cand.role, cand.entry.label, cand.id, conv.audio, rate)
    _save_fp(Path(lib_dir), cand.id, fingerprint(conv.audio, rate))
    rec = Clip(id=cand.id, role=cand.role, label=cand.entry.label, split="", file=rel,
               duration_s=round(len(conv.audio) / rate, 4), rate=rate, sha1=sha, package=cand.package,
               version=cand.version, path=cand.path, licence=cand.licence, origin="real",
               group=cand.entry.group_of(cand.package, cand.path),
               extra={"native_rate": conv.native_rate, "channels": conv.channels, "convert": CONVERT_VERSION,
                      **({"oneshot": True} if cand.entry.role == "oneshot" else {})})
    return cand.id, rec.to_json(), ""


def _derived_job(args):
    kind, job, lib_dir, rate = args
    lib_dir = Path(lib_dir)
    if kind == "proc":
        x = derived.render_procedural(job, rate)
        rel, sha = _store(lib_dir, "target", job["label"], job["id"], x, rate)
        return derived.procedural_record(job, rel, x, rate, sha).to_json()
    raise ValueError(kind)


def _pool_map(fn, jobs: list, workers: int):
    if workers <= 1 or len(jobs) < 4:
        return [fn(j) for j in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, jobs, chunksize=max(1, len(jobs) // (workers * 8))))


@dataclass
class _Build:
    """One build: where, at which rate, the classes asked for, and what is gathered so far."""
    out: Path
    rate: int
    cache: Path
    jobs: int
    wanted: set
    log: object
    previous: dict            # clip id -> record of the last build (same rate)
    prev_dropped: dict        # clip id -> dropped entry of the last build
    records: dict             # clip id -> Clip
    dropped: list


def build_library(out, *, rate: int = 32000, manifest=None, classes: list[str] | None = None,
                  cache_dir=None, jobs: int | None = None, user_folders: list[tuple[str, str]] = (),
                  derived_scale: float = 1.0, log=print) -> dict:
    """Build (or update) the library in ``out``; returns a summary dict."""
    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for folder, role in user_folders:      # fail fast on bad user folders, before any download
        scan(folder, role)
    m: Manifest = manifest if isinstance(manifest, Manifest) else load_manifest(manifest)
    wanted = set(classes) if classes else set(CLASSES)
    for c in wanted:
        check_class(c, "--classes")
    previous, prev_dropped = _previous_build(out, rate)
    b = _Build(out, rate, Path(cache_dir) if cache_dir else default_cache_dir(), jobs or os.cpu_count() or 1,
               wanted, log, previous, prev_dropped, {}, [])
    _convert_candidates(b, _match_candidates(b, m))        # 1-2
    n_dups = _dedupe(b)                                    # 3
    _assign_splits(b.records)                              # 4
    scale = lambda counts: {k: int(round(v * derived_scale)) for k, v in counts.items()}  # noqa: E731
    if "procedural" in m.derived:                          # 5
        _procedural(b, m.derived["procedural"], scale)
    if "sequenced" in m.derived:
        _sequenced(b, m.derived["sequenced"], scale)
    if "fluidsynth" in m.derived:
        _fluidsynth(b, m.derived["fluidsynth"], scale)
    for folder, role in user_folders:                      # 6
        for clip in user_clips(folder, role, out, rate):
            b.records[clip.id] = clip

    clips = [c for c in b.records.values() if c.role != "target" or c.label in wanted]
    summary = {"clips": len(clips), "dropped": len(b.dropped), "duplicates_removed": n_dups,
               "seconds": round(time.perf_counter() - t0, 1)}
    write_library(out, clips, rate, manifest_sha1=m.sha1(), created_by="s5trainer library build",
                  dropped=b.dropped, summary=summary)
    _remove_orphans(out, clips + [Clip.from_json(d["record"]) for d in b.dropped if "record" in d])
    return summary


def _previous_build(out: Path, rate: int) -> tuple[dict, dict]:
    """The clips and dropped files of the library already in ``out`` (only when built at ``rate``)."""
    previous, prev_dropped = {}, {}
    if (out / "library.json").exists():
        try:
            prev = json.loads((out / "library.json").read_text())
            if int(prev.get("rate", 0)) == rate:
                previous = {c["id"]: c for c in prev["clips"]}
                prev_dropped = {d["id"]: d for d in prev.get("dropped", []) if "id" in d}
        except (ValueError, KeyError):
            previous = {}
    return previous, prev_dropped


def _match_candidates(b: _Build, m: Manifest) -> list[Candidate]:
    """1. Fetches every manifest package with a wanted entry, matches its audio files, extracts them."""
    candidates: list[Candidate] = []
    matched: dict[tuple[str, str], list[FileEntry]] = {}
    for src in m.sources:
        entries = [e for e in src.files if e.role in ("interference", "background") or e.label in b.wanted]
        if not entries:
            continue
        deb, version = debian.fetch(src.package, src.version, b.cache / "debs", log=b.log)
        files = [f for f in debian.list_files(deb) if f.lower().endswith(AUDIO_EXT)]
        chosen: dict[str, FileEntry] = {}
        for e in entries:
            hits = [f for f in files if e.matches(f)]
            if not hits:
                b.log(f"warning: {src.package}: no file matches {e.glob!r}")
            for f in select(e, hits):
                matched.setdefault((src.package, f), []).append(e)
                chosen.setdefault(f, e)
        extracted = debian.extract(deb, set(chosen), b.cache / "extract" / src.package)
        for f, e in sorted(chosen.items()):
            candidates.append(Candidate(src.package, version, f, e, e.licence or src.licence, extracted[f]))
    check_disjoint(m, matched)
    b.log(f"{len(candidates)} files matched in {len(m.sources)} packages")
    return candidates


def _convert_candidates(b: _Build, candidates: list[Candidate]) -> None:
    """2. Converts the new files (in parallel); reuses unchanged clips and earlier rejections."""
    out, previous, prev_dropped = b.out, b.previous, b.prev_dropped
    todo = []
    for cand in candidates:
        old = previous.get(cand.id)
        if old and old.get("version") == cand.version and old.get("extra", {}).get("convert") == CONVERT_VERSION \
                and (out / old["file"]).exists() and _fp_path(out, cand.id).exists() and old["path"] == cand.path \
                and old["role"] == cand.role and old["class"] == cand.entry.label:
            b.records[cand.id] = Clip.from_json(old)
        elif prev_dropped.get(cand.id, {}).get("version") == cand.version and "record" in prev_dropped[cand.id] \
                and (out / prev_dropped[cand.id]["record"]["file"]).exists() and _fp_path(out, cand.id).exists():
            b.records[cand.id] = Clip.from_json(prev_dropped[cand.id]["record"])   # a copy: dedupe it again
        elif prev_dropped.get(cand.id, {}).get("version") == cand.version \
                and not prev_dropped[cand.id]["reason"].startswith("duplicate"):
            b.dropped.append(prev_dropped[cand.id])      # rejected last time (too short, quiet, ...)
        else:
            todo.append((cand, str(out), b.rate))
    b.log(f"converting {len(todo)} new files ({len(b.records)} reused)")
    for cid, rec, reason in _pool_map(_convert_job, todo, b.jobs):
        if rec is None:
            c = next(t[0] for t in todo if t[0].id == cid)
            b.dropped.append({"id": cid, "package": c.package, "version": c.version, "path": c.path, "reason": reason})
        else:
            b.records[cid] = Clip.from_json(rec)


def _dedupe(b: _Build) -> int:
    """3. Drops copies across all real clips (PCM hash, then spectral similarity confirmed on the waveforms)."""
    out = b.out
    real = sorted(b.records.values(), key=lambda c: (c.package, c.path))
    prints = [_load_fp(out, c.id) for c in real]

    def confirm(i: int, j: int) -> bool:
        xi, xj = read_audio(out / real[i].file)[0][0], read_audio(out / real[j].file)[0][0]
        return waveform_similarity(xi, xj, b.rate) >= 0.8

    clusters = duplicate_clusters([c.sha1 for c in real], prints, groups=[c.group for c in real], confirm=confirm)
    n_dups = 0
    for cl in clusters:
        if len(cl) < 2:
            continue
        keep = real[cl[0]]
        keep.extra["duplicates"] = [f"{real[i].package}:{real[i].path}" for i in cl[1:]]
        for i in cl[1:]:
            dup = real[i]
            b.dropped.append({"id": dup.id, "package": dup.package, "version": dup.version, "path": dup.path,
                              "reason": f"duplicate of {keep.package}:{keep.path}", "record": dup.to_json()})
            b.records.pop(dup.id, None)
            n_dups += 1
    b.log(f"dedupe: {n_dups} copies removed")
    return n_dups


def _assign_splits(records: dict) -> None:
    """4. Splits by group, per (role, class)."""
    by_key: dict[tuple[str, str], list[Clip]] = {}
    for c in records.values():
        by_key.setdefault((c.role, c.label), []).append(c)
    for clips in by_key.values():
        table = splits.assign([c.group for c in clips])
        for c in clips:
            c.split = table[c.group]


def _procedural(b: _Build, p: dict, scale) -> None:
    """5a. Procedural clips (reused while their seed is unchanged)."""
    pjobs = derived.procedural_jobs({k: v for k, v in p["classes"].items() if k in b.wanted}, scale(p["counts"]))
    todo = []
    for job in pjobs:
        old = b.previous.get(job["id"])
        if old and old.get("extra", {}).get("seed") == job["seed"] and (b.out / old["file"]).exists():
            b.records[job["id"]] = Clip.from_json(old)
        else:
            todo.append(("proc", job, str(b.out), b.rate))
    b.log(f"procedural: {len(pjobs)} clips ({len(todo)} new)")
    for rec in _pool_map(_derived_job, todo, b.jobs):
        b.records[rec["id"]] = Clip.from_json(rec)


def _sequenced(b: _Build, s: dict, scale) -> None:
    """5b. Sequenced events from one-shots of the same class and split."""
    out, rate = b.out, b.rate
    counts = scale(s["counts"])
    for label in [c for c in s["classes"] if c in b.wanted]:
        for split, n in counts.items():
            shot_recs = sorted((c for c in b.records.values()
                                if c.label == label and c.split == split and c.extra.get("oneshot")), key=lambda c: c.id)
            if not shot_recs:
                b.log(f"warning: no {label} one-shots in split {split}; no sequenced events")
                continue
            audio: dict[str, np.ndarray] = {}
            for k in range(n):
                cid = f"seq-{label}-{split}-{k:04d}"
                _seed, _rng, pick = derived.sequence_sources(label, split, k, len(shot_recs))
                old = b.previous.get(cid)
                if old and old.get("extra", {}).get("sources") == [shot_recs[i].id for i in pick] \
                        and (out / old["file"]).exists():
                    b.records[cid] = Clip.from_json(old)
                    continue
                for c in shot_recs:
                    if c.id not in audio:
                        audio[c.id] = read_audio(out / c.file)[0][0]
                shots = [(c, audio[c.id]) for c in shot_recs]
                x, used, seed = derived.sequence_clip(label, split, k, shots, rate)
                rel, sha = _store(out, "target", label, cid, x, rate)
                b.records[cid] = derived.sequence_record(label, split, k, rel, x, rate, sha, used, seed)
    b.log("sequenced events done")


def _fluidsynth(b: _Build, f: dict, scale) -> None:
    """5c. MusicalKeyboard / percussion pieces rendered with fluidsynth from a Debian soundfont."""
    if not fluid.fluidsynth_available():
        b.log("warning: fluidsynth not installed; skipping MusicalKeyboard/Percussion renders")
        return
    out, rate = b.out, b.rate
    deb, version = debian.fetch(f["package"], f.get("version", "*"), b.cache / "debs", log=b.log)
    sf2 = debian.extract(deb, {f["path"]}, b.cache / "extract" / f["package"])[f["path"]]
    counts = scale(f["counts"])
    for label in [c for c in f["classes"] if c in b.wanted]:
        for split, n in counts.items():
            todo = []
            for cid, piece, seed in derived.fluid_pieces(label, split, n):
                old = b.previous.get(cid)
                if old and old.get("version") == version and (out / old["file"]).exists():
                    b.records[cid] = Clip.from_json(old)
                else:
                    todo.append((cid, piece, seed))
            if not todo:
                continue
            audio = fluid.render_pieces([p for _, p, _ in todo], sf2, rate)
            for (cid, piece, seed), x in zip(todo, audio):
                x = trim_silence(x, rate)
                if len(x) < 0.2 * rate or np.max(np.abs(x)) < 1e-4:
                    b.dropped.append({"package": f["package"], "path": cid, "reason": "silent render"})
                    continue
                x = (x * (0.99 / np.max(np.abs(x)))).astype(np.float32)
                rel, sha = _store(out, "target", label, cid, x, rate)
                b.records[cid] = Clip(id=cid, role="target", label=label, split=split, file=rel,
                                      duration_s=round(len(x) / rate, 4), rate=rate, sha1=sha,
                                      package=f["package"], version=version,
                                      path=f"{f['path']} (program {piece.program}, seed {seed})",
                                      licence=f["licence"], origin="fluidsynth", group=cid,
                                      extra={"seed": seed, "program": piece.program, "channel": piece.channel})
    b.log("fluidsynth renders done")


def _remove_orphans(out: Path, clips: list[Clip]) -> None:
    keep = {str(out / c.file) for c in clips}
    for p in (out / "clips").rglob("*.wav"):
        if str(p) not in keep:
            p.unlink()


def min_train_counts(library: Library) -> dict[str, int]:
    return {c: len(library.clips("target", "train", c)) for c in CLASSES}
