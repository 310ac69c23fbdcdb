"""Shapley values of a game given on every coalition (a bit mask), and the headline statistics
attribution splits: shared by exact attribution and its bootstrap intervals."""

from __future__ import annotations

import math

import numpy as np

from sim.doneby import done_by
from sim.percentiles import percentiles_of

STATS = ("mean_days", "p50_days", "p80_days", "p_target")


def statistics(finish: np.ndarray, target: float | None) -> dict[str, float | None]:
    done = finish[np.isfinite(finish)]
    # Partial sorts: the same order statistics as percentile_of, in a fraction of a full sort.
    ps = percentiles_of(finish, (50, 80))
    return {
        "mean_days": float(done.mean()) if done.size else None,
        "p50_days": ps[50],
        "p80_days": ps[80],
        "p_target": None if target is None else float(done_by(finish, target).mean()),
    }


def shapley(values: list[float | None], k: int) -> list[float | None] | None:
    """Exact Shapley values of the k players of a game given by `values[mask]`; None if any value
    is None (a percentile that is "never" in some coalition)."""
    if any(v is None for v in values):
        return None
    v = [float(x) for x in values if x is not None]
    weight = [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)]
    out: list[float | None] = []
    for j in range(k):
        bit = 1 << j
        total = 0.0
        for mask in range(2**k):
            if not mask & bit:
                total += weight[mask.bit_count()] * (v[mask | bit] - v[mask])
        out.append(total)
    return out
