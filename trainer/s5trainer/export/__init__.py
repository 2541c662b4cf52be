"""Export a model to an app model folder: ``model.onnx`` + ``manifest.json`` + ``MODEL_CARD.md``.

``export_model(model, out_dir, meta) -> Path``:
1. trace to ONNX (opset 17, dynamic batch/samples) in a temporary sibling folder;
2. parity: run the ONNX file in onnxruntime-node on a random input (at a length different from
   the traced one, so the dynamic axes are exercised) and on real clips (``meta['parity_audio']``
   paths, default: the repository's example soundscapes), compare with PyTorch; tolerance 1e-4 for
   waveforms, 1e-5 for probabilities. On failure nothing is written (``ParityError``);
3. sha256 of the ONNX file, manifest (validated against the schema rules), model card;
4. rename the temporary folder onto ``out_dir`` (an existing folder is replaced).
The manifest id is the folder name (the app keeps a model in ``<models>/<id>/``). The model is
traced in eval mode; its train/eval mode is restored afterwards.

``meta`` keys (all optional): id, name, task, data, steps, base_model, metrics, licence,
channel_format, decision, parity_audio (list of wav paths), parity_seconds (random input length,
default 3.0), trace_seconds (example length used for tracing, default 1.0), notes.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import torch

from .manifest import ManifestError, build_manifest, check_id, check_manifest, model_card
from .onnx import OPSET, export_onnx
from .parity import ParityError, compare, node_engine_missing, run_onnx

__all__ = ["export_model", "ParityError", "parity_inputs", "sha256_file", "node_engine_missing"]


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _default_audio() -> list[Path]:
    from .parity import repo_root
    d = repo_root() / "resources" / "examples" / "evaluate-2025" / "soundscape"
    return sorted(d.glob("*.wav"))[:2] if d.is_dir() else []


def _load_real(path, model) -> np.ndarray:
    """Read a wav, resample to the model rate, cut to the model window, fit the channel count
    (missing channels repeat channel 0) -> [C, L] float32."""
    import soundfile as sf
    from scipy.signal import resample_poly
    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    x = x.T
    if sr != model.sample_rate:
        g = np.gcd(int(sr), int(model.sample_rate))
        x = resample_poly(x, model.sample_rate // g, sr // g, axis=1).astype(np.float32)
    x = x[:, : int(round(model.window_seconds * model.sample_rate))]
    c = model.channels
    if x.shape[0] < c:
        x = np.concatenate([x, np.repeat(x[:1], c - x.shape[0], axis=0)], axis=0)
    return np.ascontiguousarray(x[:c])


def parity_inputs(model, meta: dict | None = None, seed: int = 0) -> dict:
    """{set name: tuple of torch inputs}: one random set and up to two real clips."""
    meta = meta or {}
    seconds = float(meta.get("parity_seconds", 3.0))
    sets = {"random": tuple(model.example_inputs(seconds=seconds, batch=1, seed=seed))}
    paths = meta.get("parity_audio")
    paths = _default_audio() if paths is None else [Path(p) for p in paths]
    for i, p in enumerate(paths):
        mix = torch.from_numpy(_load_real(p, model))[None]
        if model.kind == "separator":
            _, lv = model.example_inputs(seconds=0.1, batch=1, seed=seed + 1 + i)
            sets[f"real{i}"] = (mix, lv)
        else:
            sets[f"real{i}"] = (mix,)
    return sets


def _torch_outputs(model, sets: dict) -> dict:
    outs = {}
    with torch.no_grad():
        for name, ins in sets.items():
            y = model(*ins)
            outs[name] = {model.output_names[0]: y.detach().cpu().numpy().astype(np.float32)}
    return outs


def export_model(model, out_dir, meta: dict | None = None, *, check_parity: bool = True,
                 opset: int = OPSET, trace_seconds: float | None = None, threads: int = 1) -> Path:
    meta = dict(meta or {})
    out_dir = Path(out_dir)
    meta.setdefault("id", out_dir.name)
    if meta["id"] != out_dir.name:
        raise ManifestError(f"manifest id {meta['id']!r} differs from the folder name {out_dir.name!r}; "
                            "the app expects a model in <models>/<id>/")
    check_id(meta["id"])
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    was_training = model.training
    try:
        model = model.eval()
        trace_seconds = float(trace_seconds or meta.get("trace_seconds", 1.0))
        onnx_path = export_onnx(model, tmp / "model.onnx",
                                tuple(model.example_inputs(seconds=trace_seconds, seed=1234)), opset)
        parity = None
        if check_parity:
            sets = parity_inputs(model, meta)
            ref = _torch_outputs(model, sets)
            feeds = {n: {k: v.numpy() for k, v in zip(model.input_names, ins)} for n, ins in sets.items()}
            got, timing = run_onnx(onnx_path, feeds, threads=threads)
            parity = compare(ref, got)
            parity["engine"] = timing.get("engine", "onnxruntime-node")
            if not parity["ok"]:
                raise ParityError(
                    "ONNX Runtime output differs from PyTorch beyond tolerance: "
                    + ", ".join(f"{k} max |d|={v:.3g} (tol {parity['tolerance'][k]:g})"
                                for k, v in parity["max"].items()) + "; no manifest written", parity)
            metrics = dict(meta.get("metrics") or {})
            for k, v in parity["max"].items():
                metrics[f"onnx_parity_max_abs_{k}"] = v
            meta["metrics"] = metrics
        digest = sha256_file(onnx_path)
        man = build_manifest(model, digest, meta)
        check_manifest(man)
        (tmp / "manifest.json").write_text(json.dumps(man, indent=2) + "\n")
        (tmp / "MODEL_CARD.md").write_text(model_card(man, parity, {"opset": opset, "notes": meta.get("notes")}))
        old = None
        if out_dir.exists():
            old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
            out_dir.rename(old)
        tmp.rename(out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return out_dir
    finally:
        model.train(was_training)
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
