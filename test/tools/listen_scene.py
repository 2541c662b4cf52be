"""Scenes for the direct-listen tests (test/integration/live-direct.test.ts): sound sources of known
classes at known directions in a simulated room.

Each source is procedural clips of its class, back to back, (s5trainer.generators, CC0) convolved with a FOA
(ACN/SN3D) room impulse response from the trainer's simulator (``rooms simulate``: image sources
with frequency-dependent materials plus a diffuse tail), all at one rate. A source may jump to a
second direction at a given time (its signal is split there with 20 ms complementary raised-cosine
ramps and each part is convolved with its own response, so the reverberation of the first part
rings on). Every source is scaled to the same energy in W. Writes 32-bit float WAVs:

  OUT/mixture.wav        the sum (4 channels)
  OUT/source_<i>.wav     each source alone (4 channels), as it is in the mixture
  OUT/scene.json         the room, sources, directions and the measured DRR of each response

Usage: python3 listen_scene.py --out DIR --rate 16000 --seconds 10 --room 8x6x3.5 --t60 0.3
         --distance 0.75 --source hair_dryer:0 --source pour:120 [--source vacuum_cleaner:0>90@5]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from scipy.io import wavfile
from scipy.signal import fftconvolve

HERE = Path(__file__).resolve().parent
TRAINER = HERE.parent.parent / "trainer"
sys.path.insert(0, str(TRAINER))

from s5trainer.generators.registry import BY_NAME, render  # noqa: E402


def rir(out: Path, room: str, mic, az: float, dist: float, t60: float, rate: int, seed: int) -> tuple[np.ndarray, dict]:
    a = np.deg2rad(az)
    src = (mic[0] + dist * np.cos(a), mic[1] + dist * np.sin(a), mic[2])
    path = out / f"rir_{room}_{t60:g}_{dist:g}_{az:g}_{rate}_{seed}.wav"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        _, h = wavfile.read(path)
        return h.astype(np.float64), json.loads(meta.read_text())
    r = subprocess.run(
        [sys.executable, "-m", "s5trainer", "rooms", "simulate", "--room", room,
         "--src", ",".join(f"{v:.4f}" for v in src), "--mic", ",".join(f"{v:.4f}" for v in mic),
         "--t60", str(t60), "--rate", str(rate), "--out", str(path), "--seed", str(seed)],
        env={**os.environ, "PYTHONPATH": str(TRAINER)}, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise SystemExit(f"rooms simulate failed: {r.stderr[-2000:]}")
    info = json.loads(r.stdout.strip().splitlines()[-1])
    meta.write_text(json.dumps(info))
    _, h = wavfile.read(path)
    return h.astype(np.float64), info


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--rate", type=int, default=16000)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--room", default="8x6x3.5")
    p.add_argument("--t60", type=float, default=0.3)
    p.add_argument("--distance", type=float, default=0.75)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rir-cache", help="folder for the simulated responses (reused when present; default: OUT)")
    p.add_argument("--source", action="append", required=True, help="generator:AZ or generator:AZ1>AZ2@T")
    a = p.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    if a.rir_cache:
        Path(a.rir_cache).mkdir(parents=True, exist_ok=True)
    dims = [float(v) for v in a.room.split("x")]
    mic = (dims[0] / 2, dims[1] / 2, 1.5)
    n = int(round(a.seconds * a.rate))
    ramp = int(0.02 * a.rate)
    responses: dict[float, tuple[np.ndarray, dict]] = {}

    def response(az: float):
        if az not in responses:
            responses[az] = rir(Path(a.rir_cache) if a.rir_cache else out, a.room, mic, az, a.distance, a.t60, a.rate, a.seed)
        return responses[az]

    renders = []
    meta = []
    for i, spec in enumerate(a.source):
        name, where = spec.split(":")
        if "@" in where:
            dirs, at = where.split("@")
            az1, az2 = (float(v) for v in dirs.split(">"))
            switch = int(round(float(at) * a.rate))
        else:
            az1 = az2 = float(where)
            switch = n
        # Clips of the class back to back (each of its generator's natural length) until the
        # scene is full, so an event-like class (bells, dishes) keeps sounding.
        parts, have, k = [], 0, 0
        while have < n:
            clip = render(BY_NAME[name], a.seed * 1000 + i * 100 + k, a.rate, None).astype(np.float64)
            parts.append(clip)
            have += len(clip)
            k += 1
        dry = np.concatenate(parts)[:n]
        g = np.ones(n)
        if switch < n:
            k = np.arange(ramp)
            g[switch - ramp // 2: switch - ramp // 2 + ramp] = 0.5 + 0.5 * np.cos(np.pi * (k + 0.5) / ramp)
            g[switch - ramp // 2 + ramp:] = 0.0
        foa = np.zeros((4, n))
        for part, az in ((dry * g, az1), (dry * (1 - g), az2)):
            if not np.any(part):
                continue
            h, _ = response(az)
            for c in range(4):
                foa[c] += fftconvolve(part, h[:, c])[:n]
        renders.append(foa)
        meta.append({"generator": name, "label": BY_NAME[name].label, "azimuth": az1, "azimuth_after": az2,
                     "switch_seconds": switch / a.rate if switch < n else None})
    ref = np.sum(renders[0][0] ** 2)
    for r in renders:
        r *= np.sqrt(ref / np.sum(r[0] ** 2))
    mix = np.sum(renders, axis=0)
    peak = np.max(np.abs(mix))
    scale = 0.5 / peak
    wavfile.write(out / "mixture.wav", a.rate, (mix * scale).T.astype(np.float32))
    for i, r in enumerate(renders):
        wavfile.write(out / f"source_{i}.wav", a.rate, (r * scale).T.astype(np.float32))
    scene = {"rate": a.rate, "seconds": a.seconds, "room": a.room, "t60": a.t60, "distance": a.distance, "sources": meta,
             "responses": {f"{az:g}": info for az, (_, info) in responses.items()}}
    (out / "scene.json").write_text(json.dumps(scene, indent=1))
    print(json.dumps(scene))


if __name__ == "__main__":
    main()
