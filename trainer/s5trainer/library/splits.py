"""Deterministic train/val/test assignment by original clip group.

A group (one original recording and all its copies, or a set of related files such as one speaker
or one instrument's velocity layers) gets ``u = sha1(group)`` in [0, 1): test below 0.1, val below
0.2, train otherwise. Within each (role, class), if val or test would be empty while the class
has at least 3 groups, the train group(s) with the smallest ``u`` move there, so every split can be
synthesized. The result depends only on the set of group keys.
"""
from __future__ import annotations

import hashlib

FRACTIONS = {"test": 0.1, "val": 0.1}


def unit_hash(key: str) -> float:
    return int(hashlib.sha1(key.encode()).hexdigest()[:12], 16) / float(16 ** 12)


def split_of(key: str) -> str:
    u = unit_hash(key)
    if u < FRACTIONS["test"]:
        return "test"
    if u < FRACTIONS["test"] + FRACTIONS["val"]:
        return "val"
    return "train"


def assign(groups: list[str]) -> dict[str, str]:
    """Split per group key for one (role, class)."""
    uniq = sorted(set(groups), key=unit_hash)
    out = {g: split_of(g) for g in uniq}
    if len(uniq) >= 3:
        for split in ("test", "val"):
            if split not in out.values():
                train = [g for g in uniq if out[g] == "train"]
                if len(train) >= 2:
                    out[train[0]] = split
    return out
