"""Paired-bootstrap intervals for exact attribution: iterations resampled with replacement, the
same resample for every coalition, and the Shapley values recomputed on each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.analysis.shapley import STATS, shapley, statistics

if TYPE_CHECKING:
    from sim.analysis.attribution import Game

RESAMPLES = 200
CONFIDENCE = 0.95
# Resamples × coalitions × iterations read at most: a few seconds.
MAX_READS = 40_000_000


def affordable(k: int, n: int) -> bool:
    return bool(RESAMPLES * 2**k * n <= MAX_READS)


def intervals(game: Game, rng: np.random.Generator) -> dict[str, list[list[float | None]] | None]:
    """Per statistic, per factor, the 95 % percentile interval [low, high] of its Shapley value over
    `RESAMPLES` paired resamples of iterations; None for a statistic that is "never" in some
    coalition of some resample (then the bounds cannot be stated)."""
    k = len(game.factors)
    n = game.offset.size
    rows: list[np.ndarray] = []
    local = np.zeros(n, dtype=np.int64)
    order = [0] * 2**k
    mask = 0
    for g in range(2**k):
        if g:
            j = (g & -g).bit_length() - 1
            mask ^= 1 << j
            local = local + game.contrib[j] if mask >> j & 1 else local - game.contrib[j]
        order[mask] = len(rows)
        rows.append(game.flat[game.offset + local])
    finishes = np.stack([rows[order[m]] for m in range(2**k)])
    draws: dict[str, list[list[float]]] = {s: [] for s in STATS}
    broken: set[str] = set()
    for _ in range(RESAMPLES):
        pick = rng.integers(0, n, size=n)
        per = [statistics(finishes[m, pick], game.target) for m in range(2**k)]
        for s in STATS:
            parts = shapley([p[s] for p in per], k)
            if parts is None:
                broken.add(s)
            else:
                draws[s].append([float(v) for v in parts if v is not None])
    out: dict[str, Any] = {}
    q = [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2]
    for s in STATS:
        if s in broken or not draws[s]:
            out[s] = None
            continue
        lo_hi = np.quantile(np.array(draws[s]), q, axis=0, method="inverted_cdf")
        out[s] = [[float(lo_hi[0, j]), float(lo_hi[1, j])] for j in range(k)]
    return out
