"""Derived clips: procedural generators, event sequences from one-shots, fluidsynth renders.

Every derived clip is a pure function of (class, split, index): seeds differ per split, and
sequences only use one-shots of their own split, so no material crosses splits.
"""
from __future__ import annotations

import hashlib

import numpy as np

from ..generators import fluid
from ..generators.registry import GENERATOR_VERSION, generators_for, render
from ..generators.sequencers import sequence
from .records import Clip


def derived_seed(*parts) -> int:
    return int(hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def procedural_jobs(classes: dict[str, int], counts: dict[str, int]) -> list[dict]:
    """One job per clip: ``classes[label]`` scales the per-split ``counts``."""
    jobs = []
    for label, weight in sorted(classes.items()):
        gens = generators_for(label)
        for split, n in counts.items():
            for k in range(int(round(n * weight))):
                g = gens[k % len(gens)]
                jobs.append({"label": label, "split": split, "k": k, "generator": g.name,
                             "seed": derived_seed("proc", label, split, k),
                             "id": f"proc-{g.name}-{split}-{k:04d}"})
    return jobs


def render_procedural(job: dict, rate: int) -> np.ndarray:
    from ..generators.registry import BY_NAME

    return render(BY_NAME[job["generator"]], job["seed"], rate)


def procedural_record(job: dict, file: str, x: np.ndarray, rate: int, sha1: str) -> Clip:
    return Clip(id=job["id"], role="target", label=job["label"], split=job["split"], file=file,
                duration_s=round(len(x) / rate, 4), rate=rate, sha1=sha1, package="s5trainer.generators",
                version=str(GENERATOR_VERSION), path=f"{job['generator']}(seed={job['seed']})",
                licence="CC0-1.0 (generated)", origin="procedural", group=job["id"],
                extra={"generator": job["generator"], "seed": job["seed"]})


def sequence_sources(label: str, split: str, k: int, n_shots: int):
    """Seed, generator state and the indices of the (up to 12) one-shots event ``k`` uses."""
    seed = derived_seed("seq", label, split, k)
    rng = np.random.default_rng(seed)
    pick = rng.choice(n_shots, min(12, n_shots), replace=False)
    return seed, rng, pick


def sequence_clip(label: str, split: str, k: int, shots: list[tuple[Clip, np.ndarray]], rate: int):
    """Event ``k`` of ``label`` in ``split`` from up to 12 one-shots of that split."""
    seed, rng, pick = sequence_sources(label, split, k, len(shots))
    x = sequence(label, [shots[i][1] for i in pick], rng, rate)
    return x, [shots[i][0] for i in pick], seed


def sequence_record(label, split, k, file, x, rate, sha1, sources: list[Clip], seed) -> Clip:
    cid = f"seq-{label}-{split}-{k:04d}"
    return Clip(id=cid, role="target", label=label, split=split, file=file, duration_s=round(len(x) / rate, 4),
                rate=rate, sha1=sha1, package="s5trainer.sequencers", version="1",
                path=f"sequence(seed={seed})", licence=" AND ".join(sorted({c.licence for c in sources})),
                origin="sequenced", group=cid,
                extra={"seed": seed, "sources": [c.id for c in sources]})


def fluid_pieces(label: str, split: str, n: int) -> list[tuple[str, fluid.Piece, int]]:
    out = []
    for k in range(n):
        seed = derived_seed("fluid", label, split, k)
        rng = np.random.default_rng(seed)
        seconds = float(rng.uniform(2.0, 8.0))
        piece = fluid.keyboard_piece(rng, seconds) if label == "MusicalKeyboard" else fluid.percussion_piece(rng, seconds)
        out.append((f"fluid-{label}-{split}-{k:04d}", piece, seed))
    return out
