"""The labelled set in the official layout, read the way ``s5 evaluate`` reads it.

    DIR/soundscape/<name>.wav                   4-channel FOA mixture (channel 0 = W is the metric's mixture)
    DIR/oracle_target/<name>_<Label>.wav        mono dry reference, same rate and length (2025, 2026)
    DIR/oracle_target/<name>_<i>_<Label>.wav    2026 duplicates of a label

Each oracle file belongs to the LONGEST soundscape name it parses for (``src/engine/metrics/
layout.ts``); a file that starts with a soundscape name but parses for none is an error naming it;
2025 needs at least one oracle file per soundscape. Mixtures are processed in sorted name order.
``--preset P`` is ``$S5_DATA_DIR/synth/<P>-<year>`` as ``synth --preset P`` writes it.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import audio_info, read_audio
from ..errors import S5Error
from ..labels import CLASS_INDEX, CLASSES
from ..paths import data_dir


class SetError(S5Error):
    code = "bad_set"


@dataclass(frozen=True)
class Mixture:
    name: str
    soundscape: Path
    oracle: tuple          # ((label, path), ...) sorted by file name


@dataclass
class EvalSet:
    root: Path
    task: str
    mixtures: list
    rate: int
    warnings: list
    preset: str | None = None
    metadata: dict | None = None

    def describe(self) -> dict:
        out = {"path": str(self.root), "mixtures": len(self.mixtures), "rate": self.rate, "preset": self.preset}
        if self.metadata:
            out["library_fingerprint"] = (self.metadata.get("library") or {}).get("fingerprint")
            out["rooms_fingerprint"] = (self.metadata.get("rooms") or {}).get("fingerprint")
            out["seed"] = self.metadata.get("seed")
        return out


def preset_dir(preset: str, task: str) -> Path:
    return data_dir() / "synth" / f"{preset}-{'2026' if task == 'dcase2026t4' else '2025'}"


def preset_command(preset: str, task: str) -> str:
    mode = " --mode 2026" if task == "dcase2026t4" else ""
    return f"PYTHONPATH=trainer /usr/bin/python3 -m s5trainer synth --preset {preset}{mode}"


_INDEXED = re.compile(r"^(?:(\d+)_)?(.+)$")


def parse_source(task: str, name: str, file: str):
    """-> label or None (``parseSourceName``: 2025 ``<name>_<Label>.wav``, 2026 also ``_<i>_``)."""
    if not (file.endswith(".wav") and file.startswith(name + "_") and len(file) > len(name) + 5):
        return None
    rest = file[len(name) + 1:-4]
    if task == "dcase2025t4":
        return rest if rest in CLASS_INDEX else None
    label = _INDEXED.match(rest).group(2)
    return label if label in CLASS_INDEX else None


def scan(root, task: str, limit: int | None = None) -> EvalSet:
    root = Path(root)
    scape_dir, oracle_dir = root / "soundscape", root / "oracle_target"
    for d, what in ((root, "set"), (scape_dir, "soundscape"), (oracle_dir, "oracle_target")):
        if not d.is_dir():
            raise SetError(f"{d}: {what} folder does not exist (the set needs soundscape/ and oracle_target/)")
    names = sorted(p.name[:-4] for p in scape_dir.iterdir() if p.name.endswith(".wav"))
    if not names:
        raise SetError(f"{scape_dir}: no soundscapes (no .wav file)")
    known = set(names)
    by_name: dict[str, list] = {}
    ignored = []
    for file in sorted(p.name for p in oracle_dir.iterdir() if p.name.endswith(".wav")):
        stem = file[:-4]
        candidates = [stem[:end] for end in range(len(stem), 0, -1) if stem[:end] in known]
        if not candidates:
            ignored.append(file)
            continue
        hit = next(((n, lab) for n in candidates if (lab := parse_source(task, n, file)) is not None), None)
        if hit is None:
            want = "<name>_<Label>.wav" + (" or <name>_<i>_<Label>.wav" if task == "dcase2026t4" else "")
            raise SetError(f"{oracle_dir / file}: unparsable oracle name: expected {want} with one of the "
                           f"{len(CLASSES)} labels ({', '.join(CLASSES)})")
        by_name.setdefault(hit[0], []).append((hit[1], oracle_dir / file))
    warnings = [f"{oracle_dir}: {len(ignored)} oracle file(s) matching no soundscape ignored: {', '.join(ignored[:3])}"] \
        if ignored else []
    if not by_name:
        raise SetError(f"{oracle_dir}: no oracle file matches any soundscape (is this the oracle_target folder?)")
    if task == "dcase2025t4":
        missing = next((n for n in names if n not in by_name), None)
        if missing is not None:
            raise SetError(f"{scape_dir / (missing + '.wav')}: soundscape has no oracle file {missing}_<Label>.wav "
                           f"in {oracle_dir} (2025 scenes have 1-3 targets)")
    if limit is not None:
        names = names[:max(0, int(limit))]
    mixtures = [Mixture(n, scape_dir / f"{n}.wav", tuple(by_name.get(n, ()))) for n in names]
    try:
        rate = audio_info(mixtures[0].soundscape)[2]
    except Exception as exc:  # noqa: BLE001 - libsndfile raises several types
        raise SetError(f"{mixtures[0].soundscape}: cannot read ({exc})") from exc
    if rate != 32000:
        warnings.append(f"the set is at {rate} Hz; the task (and s5 evaluate) uses 32000 Hz")
    meta = None
    if (root / "metadata.json").is_file():
        try:
            meta = json.loads((root / "metadata.json").read_text())
            meta = {k: meta.get(k) for k in ("preset", "split", "seed", "n", "library", "rooms")}
        except (OSError, ValueError):
            meta = None
    return EvalSet(root=root, task=task, mixtures=mixtures, rate=rate, warnings=warnings, metadata=meta)


def resolve(set_dir, preset: str | None, task: str, limit: int | None = None) -> EvalSet:
    if (set_dir is None) == (preset is None):
        raise SetError("give exactly one of --set DIR and --preset NAME")
    if preset is not None:
        root = preset_dir(preset, task)
        if not (root / "soundscape").is_dir():
            raise SetError(f"{root}: the {preset} preset has not been synthesized; create it with: "
                           f"{preset_command(preset, task)}  (needs the sound library and the room bank in "
                           f"{data_dir()})")
        out = scan(root, task, limit)
        out.preset = preset
        return out
    return scan(set_dir, task, limit)


def load(mix: Mixture, rate: int) -> tuple[np.ndarray, list[str], list[np.ndarray]]:
    """-> (mixture ``[C, L]`` float32, reference labels, reference waves ``[L]``); checks rate,
    mono references and equal lengths, naming the file."""
    x, r = read_audio(mix.soundscape)
    if r != rate:
        raise SetError(f"{mix.soundscape}: {r} Hz, the set's first soundscape is {rate} Hz")
    labels, waves = [], []
    for label, path in mix.oracle:
        w, rr = read_audio(path)
        if rr != r:
            raise SetError(f"{path}: {rr} Hz but its soundscape is {r} Hz")
        if w.shape[0] != 1:
            raise SetError(f"{path}: oracle target has {w.shape[0]} channels; it must be mono")
        if w.shape[1] != x.shape[1]:
            raise SetError(f"{path}: has {w.shape[1]} samples but its soundscape has {x.shape[1]}")
        labels.append(label)
        waves.append(w[0])
    return x, labels, waves
