"""Distribution of a room bank (T60, DRR, C50, distance, volume, receivers) and the same measures
on a measured FOA impulse response, to compare the two (``rooms stats``)."""
from __future__ import annotations

import numpy as np

from .analysis import clarity_db, direct_path_index, drr_db, t60_mid

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _summary(values, edges) -> dict:
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], float)
    if not len(v):
        return {"n": 0}
    hist, _ = np.histogram(np.clip(v, edges[0], edges[-1]), edges)
    return {"n": int(len(v)), "min": round(float(v.min()), 3), "max": round(float(v.max()), 3),
            "quantiles": {f"p{int(q * 100)}": round(float(np.quantile(v, q)), 3) for q in QUANTILES},
            "histogram": {f"{lo:g}..{hi:g}": int(c) for lo, hi, c in zip(edges[:-1], edges[1:], hist)}}


def ir_measures(ir: np.ndarray, rate: int) -> dict:
    """T60 (mid bands, T30 fit), DRR (±2.5 ms) and C50 of channel 0 (W) of an FOA IR."""
    p = direct_path_index(ir[0], rate)
    return {"t60_mid_s": t60_mid(ir[0], rate), "drr_db": drr_db(ir[0], rate, p),
            "c50_db": clarity_db(ir[0], rate, p), "delay_samples": p}


def bank_stats(bank, measure_t60: bool = False, max_rooms: int | None = None) -> dict:
    """Summary of a ``RoomBank``: design T60 per room (or Schroeder T30 of each IR with
    ``measure_t60``), DRR and C50 per position (C50 computed from the IRs when not stored)."""
    rooms = bank.rooms[:max_rooms] if max_rooms else bank.rooms
    t60, drr, c50, dist, vol, kinds = [], [], [], [], [], {}
    for r in rooms:
        rec = (r.get("receiver") or {}).get("kind", "foa")
        kinds[rec] = kinds.get(rec, 0) + 1
        if "dims_m" in r:
            vol.append(float(np.prod(r["dims_m"])))
        need_ir = measure_t60 or any("c50_db" not in p for p in r["positions"])
        irs = bank.irs(r["id"]) if need_ir else None
        if not measure_t60 and "t60_mid_s" in r:
            t60.append(r["t60_mid_s"])
        for i, p in enumerate(r["positions"]):
            drr.append(p.get("drr_db"))
            dist.append(p.get("distance_m"))
            if "c50_db" in p:
                c50.append(p["c50_db"])
            else:
                h = np.asarray(irs[i, 0], np.float64)
                c50.append(clarity_db(h, bank.rate, p.get("delay_samples")))
            if measure_t60:
                t60.append(t60_mid(np.asarray(irs[i, 0], np.float64), bank.rate))
    return {"rooms": len(rooms), "positions": len(drr), "receivers": kinds,
            "t60_mid_s": _summary(t60, [0.1, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 2.5, 3.5]),
            "drr_db": _summary(drr, [-25, -15, -10, -5, 0, 5, 10, 20]),
            "c50_db": _summary(c50, [-10, -5, 0, 5, 10, 15, 20, 30]),
            "distance_m": _summary(dist, [0, 0.5, 1, 2, 3, 5, 7, 10.5]),
            "volume_m3": _summary(vol, [0, 50, 150, 500, 1000, 5000, 10000, 20000])}
