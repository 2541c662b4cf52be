"""Official dataset layout: ``soundscape/<name>.wav`` (4-ch), ``oracle_target/<name>_<Label>.wav``
(2026: ``<name>_<i>_<Label>.wav``) and ``metadata.json`` (one spec per mixture plus provenance)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..audio import write_audio
from .render import RenderedScene


def oracle_names(name: str, labels: list[str], mode: str) -> list[str]:
    if mode == "2026":
        return [f"{name}_{i}_{lab}.wav" for i, lab in enumerate(labels)]
    return [f"{name}_{lab}.wav" for lab in labels]


def write_scene(out: Path, scene: RenderedScene, rate: int) -> dict:
    """Write one mixture and its oracle targets (float32 WAV); returns its metadata entry."""
    spec = scene.spec
    name = spec["name"]
    write_audio(out / "soundscape" / f"{name}.wav", scene.mixture, rate)
    files = oracle_names(name, scene.labels, spec["mode"])
    for fname, dry in zip(files, scene.dry):
        write_audio(out / "oracle_target" / fname, dry, rate)
    entry = dict(spec)
    entry["oracle_files"] = files
    entry["peak_abs"] = round(float(np.max(np.abs(scene.mixture))), 6)
    return entry


def write_metadata(out: Path, entries: list[dict], header: dict) -> None:
    from ..audio import write_json

    write_json(out / "metadata.json", {**header, "mixtures": entries})


def read_metadata(out: Path) -> dict:
    return json.loads((Path(out) / "metadata.json").read_text())
