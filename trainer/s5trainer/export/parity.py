"""ONNX Runtime parity through the app's own engine (onnxruntime-node; Debian has no Python ORT).

``run_onnx`` writes each input set as ``.npy`` files, runs the app's ``s5 onnx-run`` command
(``bin/s5.cjs``: the bundled CLI, or the sources through tsx) and reads the outputs back. Where the
node engine is missing (e.g. a GPU box without ``npm ci``) but the Python ``onnxruntime`` package
is installed, that is used instead (``engine`` in the timing report says which). ``compare`` gives
per-output max |ONNX - torch|. Tolerances: 1e-4 for waveform outputs, 1e-5 for probabilities.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ..errors import S5Error, ToolMissingError

TOLERANCE = {"waveform": 1e-4, "probabilities": 1e-5}


class ParityError(S5Error):
    code = "parity_failed"

    def __init__(self, message: str, report: dict | None = None):
        super().__init__(message)
        self.report = report or {}


def repo_root() -> Path:
    env = os.environ.get("S5_REPO")
    return Path(env) if env else Path(__file__).resolve().parents[3]


def s5_command() -> list[str]:
    """The app's command line, ``node bin/s5.cjs`` (it runs the bundle when built, else the sources)."""
    return [shutil.which("node") or "node", str(repo_root() / "bin" / "s5.cjs")]


def node_engine_missing() -> str | None:
    """None when the ``s5`` command (node + onnxruntime-node + bundle or tsx) is usable, else the reason."""
    root = repo_root()
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not (root / "node_modules" / "onnxruntime-node" / "package.json").exists():
        return f"{root}/node_modules/onnxruntime-node is missing (run npm ci)"
    if not (root / "bin" / "s5.cjs").exists():
        return f"{root}/bin/s5.cjs is missing"
    if not ((root / "node_modules" / ".bin" / "tsx").exists() or (root / "dist" / "node" / "s5.js").exists()):
        return f"{root}/node_modules/.bin/tsx is missing (run npm ci)"
    return None


def _run_python_ort(onnx_path, input_sets: dict, threads: int, repeat: int) -> tuple[dict, dict]:
    import time

    import onnxruntime as ort  # optional dependency (pip); absent on Debian
    so = ort.SessionOptions()
    so.intra_op_num_threads = int(threads)
    so.inter_op_num_threads = 1
    t0 = time.perf_counter()
    sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
    report = {"create_ms": (time.perf_counter() - t0) * 1000, "threads": threads,
              "engine": "onnxruntime-python", "runs": {}}
    outs = {}
    names = [o.name for o in sess.get_outputs()]
    for name, feeds in input_sets.items():
        times = []
        for _ in range(max(1, repeat)):
            t = time.perf_counter()
            res = sess.run(names, {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in feeds.items()})
            times.append((time.perf_counter() - t) * 1000)
        outs[name] = dict(zip(names, res))
        report["runs"][name] = times
    return outs, report


def python_ort_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
        return True
    except ImportError:
        return False


def run_onnx(onnx_path, input_sets: dict, threads: int = 1, repeat: int = 1,
             timeout: float = 600) -> tuple[dict, dict]:
    """input_sets {set: {input name: array}} -> ({set: {output name: array}}, timing report)."""
    why = node_engine_missing()
    if why:
        if python_ort_available():
            return _run_python_ort(onnx_path, input_sets, threads, repeat)
        raise ToolMissingError(f"cannot run ONNX Runtime: node engine unavailable ({why}) and no Python "
                               "onnxruntime; run 'npm ci' in the repository (or pip install onnxruntime), "
                               "or export with --skip-parity")
    root = repo_root()
    with tempfile.TemporaryDirectory(prefix="s5-parity-") as tmp:
        tin, tout = Path(tmp) / "in", Path(tmp) / "out"
        for name, feeds in input_sets.items():
            d = tin / name
            d.mkdir(parents=True)
            for k, v in feeds.items():
                np.save(d / f"{k}.npy", np.ascontiguousarray(v, dtype=np.float32))
        cmd = [*s5_command(), "onnx-run", "--model", str(onnx_path), "--in", str(tin), "--out", str(tout),
               "--threads", str(threads), "--repeat", str(repeat), "--provider", "cpu"]
        proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise ParityError(f"s5 onnx-run failed (rc {proc.returncode}): "
                              f"{proc.stderr.strip()[-2000:]}")
        report = json.loads((tout / "report.json").read_text())
        report["engine"] = "onnxruntime-node"
        outs = {}
        for name in input_sets:
            d = tout / name
            outs[name] = {p.stem: np.load(p) for p in sorted(d.glob("*.npy"))}
        return outs, report


def tolerance_for(output_name: str) -> float:
    return TOLERANCE.get(output_name, 1e-5)


def compare(torch_outs: dict, onnx_outs: dict) -> dict:
    """{set: {output: array}} x2 -> {"sets": {set: {output: err}}, "max": {output: err}, "ok"}."""
    res = {"sets": {}, "max": {}, "ok": True, "tolerance": {}}
    for name, outs in torch_outs.items():
        res["sets"][name] = {}
        for k, ref in outs.items():
            got = onnx_outs.get(name, {}).get(k)
            if got is None or got.shape != ref.shape:
                err = float("inf")
            else:
                err = float(np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64)))) if ref.size else 0.0
                if not np.isfinite(got).all():
                    err = float("inf")
            res["sets"][name][k] = err
            res["max"][k] = max(res["max"].get(k, 0.0), err)
            res["tolerance"][k] = tolerance_for(k)
            if not err < tolerance_for(k):
                res["ok"] = False
    return res
