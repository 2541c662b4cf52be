"""Fixed validation/test sets, defined by seed (regenerated identically, never committed)."""
from __future__ import annotations

PRESETS = {
    # name: split of clips and rooms, number of mixtures, seed (per mode: seed + 1 for 2026)
    "val": {"split": "val", "n": 200, "seed": 250_401},
    "test": {"split": "test", "n": 200, "seed": 250_402},
}


def preset(name: str, mode: str) -> dict:
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; accepted: {', '.join(PRESETS)}")
    p = dict(PRESETS[name])
    if mode == "2026":
        p["seed"] += 1000
    p["prefix"] = f"{name}{mode}"
    return p
