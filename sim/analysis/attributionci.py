"""Paired-bootstrap intervals for exact attribution: iterations resampled with replacement, the
same resample for every coalition, and the Shapley values recomputed on each."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.analysis.shapley import STATS, statistics

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
    weights = _weights(k)  # the Shapley formula as a matrix: one product per resample and statistic
    for _ in range(RESAMPLES):
        pick = rng.integers(0, n, size=n)
        per = [statistics(finishes[m, pick], game.target) for m in range(2**k)]
        for s in STATS:
            values = [p[s] for p in per]
            if any(v is None for v in values):
                broken.add(s)
            else:
                draws[s].append((np.array(values, dtype=float) @ weights).tolist())
    out: dict[str, Any] = {}
    q = [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2]
    for s in STATS:
        if s in broken or not draws[s]:
            out[s] = None
            continue
        lo_hi = np.quantile(np.array(draws[s]), q, axis=0, method="inverted_cdf")
        out[s] = [[float(lo_hi[0, j]), float(lo_hi[1, j])] for j in range(k)]
    return out


# The statistics that are means over iterations (of the finish, or of "done by the target"): their
# Shapley values are means of per-iteration Shapley values.
LINEAR = ("mean_days", "p_target")
_CHUNK = 4_000_000  # values gathered at once


def per_iteration(game: Game, stat: str) -> np.ndarray | None:
    """Each iteration's Shapley values (iterations × factors) of its own finish (`mean_days`) or of
    whether it is done by the target (`p_target`); their mean over iterations is the statistic's
    exact Shapley value. None where the statistic is not such a mean: `p_target` without a target,
    `mean_days` when some coalition leaves an iteration never done (the mean is then over the
    completed iterations only).

    In an iteration only its active factors (a risk that occurred, a decision off its plan
    outcome) can change its finish, so the others get 0 and the active m share it by the Shapley
    formula over the 2^m subsets that iteration keeps (`Game.flat`, local bit r = its r-th active
    factor)."""
    from sim.doneby import done_by

    if stat == "p_target":
        if game.target is None:
            return None
        values = done_by(game.flat, game.target).astype(float)
    else:
        if not np.all(np.isfinite(game.flat)):
            return None
        values = game.flat
    k = len(game.factors)
    n = game.offset.size
    active = np.zeros(n, dtype=np.int64)
    for j in range(k):
        active |= (game.contrib[j] > 0).astype(np.int64) << j
    size = np.zeros(n, dtype=np.int64)
    for j in range(k):
        size += (active >> j) & 1
    out = np.zeros((n, k))
    for m in range(1, k + 1):
        idx = np.flatnonzero(size == m)
        if not idx.size:
            continue
        weights = _weights(m)
        step = max(1, _CHUNK // 2**m)
        pieces = np.split(idx, range(step, idx.size, step))  # a bounded slice of the game at a time
        local = np.concatenate([values[game.offset[c, None] + np.arange(2**m)] @ weights for c in pieces])
        rank = np.zeros(idx.size, dtype=np.int64)
        for j in range(k):
            on = ((active[idx] >> j) & 1).astype(bool)
            out[idx[on], j] = local[on, rank[on]]
            rank += on
    return out


def _weights(m: int) -> np.ndarray:
    """(2^m, m): phi_r = sum over masks of value[mask] * W[mask, r] (the Shapley formula)."""
    w = [math.factorial(s) * math.factorial(m - s - 1) / math.factorial(m) for s in range(m)]
    out = np.zeros((2**m, m))
    for mask in range(2**m):
        size = mask.bit_count()
        for r in range(m):
            out[mask, r] = w[size - 1] if mask >> r & 1 else -w[size] if size < m else 0.0
    return out


def linear_intervals(game: Game, rng: np.random.Generator) -> dict[str, list[list[float | None]] | None]:
    """`intervals` for the statistics that are means (`LINEAR`), at any size exact attribution
    runs: the same paired bootstrap (`RESAMPLES` resamples of iterations with replacement, the
    same for every factor), where recomputing the Shapley values on a resample is the resample's
    mean of the per-iteration values (`per_iteration`), so it costs iterations × factors per
    resample instead of iterations × 2^factors. P50 and P80 get None (no interval)."""
    k = len(game.factors)
    n = game.offset.size
    per = {s: phi for s in LINEAR if (phi := per_iteration(game, s)) is not None}
    out: dict[str, Any] = dict.fromkeys(STATS)
    if not per:
        return out
    # A factor's per-iteration values are 0 where it is not active: keep the others only.
    columns = []
    for phi in per.values():
        for j in range(k):
            where = np.flatnonzero(phi[:, j])
            columns.append((where, phi[where, j]))
    draws = np.empty((RESAMPLES, len(columns)))
    for b in range(RESAMPLES):
        counts = np.bincount(rng.integers(0, n, size=n), minlength=n).astype(float)
        # Multiply and sum: np.dot hands long vectors to threaded BLAS, slow on a busy machine.
        draws[b] = [float((counts[where] * values).sum()) / n for where, values in columns]
    q = [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2]
    lo_hi = np.quantile(draws, q, axis=0, method="inverted_cdf")
    for i, s in enumerate(per):
        out[s] = [[float(lo_hi[0, i * k + j]), float(lo_hi[1, i * k + j])] for j in range(k)]
    return out
