"""Paired-bootstrap intervals for exact attribution: iterations resampled with replacement, the
same resample for every coalition and every factor, and the Shapley values recomputed on each.

Recomputed without re-reading every coalition on every resample, with the same numbers as doing
so (tested against it): the mean's and P(target)'s from per-iteration Shapley values
(`per_iteration`: each is a weighted sum per resample), the P50's and P80's from each coalition's
percentiles on every resample found in a window around the percentile (`sim.analysis.bootquantiles`)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from sim.analysis.bootquantiles import Bootstrap
from sim.analysis.shapley import means
from sim.percentiles import BOUNDS_95

if TYPE_CHECKING:
    from sim.analysis.attribution import Game

RESAMPLES = 200
PERCENTILES = {"p50_days": 50.0, "p80_days": 80.0}


def intervals(game: Game, rng: np.random.Generator) -> dict[str, list[list[float]] | None]:
    """Per statistic (`STATS`), per factor, the 95 % percentile interval [low, high] of its
    Shapley value over `RESAMPLES` paired resamples of iterations (each drawn as
    `rng.integers(0, n, size=n)`); None for a statistic that has no value somewhere: a
    percentile that is "never" in some coalition of some resample, the mean where some
    coalition leaves an iteration never done, P(target) without a target."""
    return coalitions_and_intervals(game, rng)[1]


def coalitions_and_intervals(
    game: Game, rng: np.random.Generator
) -> tuple[list[dict[str, float | None]], dict[str, list[list[float]] | None]]:
    """Every coalition's statistics (`Game.every_coalition`, the same numbers) and `intervals`,
    from one walk over the coalitions."""
    k = len(game.factors)
    boot = Bootstrap.drawn(game.offset.size, RESAMPLES, rng)
    per: list[dict[str, float | None]] = [{} for _ in range(2**k)]
    masks: list[int] = []

    def finishes() -> Iterator[np.ndarray]:
        for mask, local in game.walk():
            x = game.flat[game.offset + local]
            masks.append(mask)
            per[mask] = means(x, game.target)
            yield x

    own, found = boot.percentiles(finishes(), tuple(PERCENTILES.values()))
    weights = _weights(k)
    out = linear_intervals(game, boot.counts)
    for stat, p in PERCENTILES.items():
        for c, mask in enumerate(masks):
            per[mask][stat] = float(own[p][c]) if math.isfinite(own[p][c]) else None
        by_mask = np.empty_like(found[p])
        by_mask[:, masks] = found[p]
        out[stat] = None if not np.all(np.isfinite(by_mask)) else _bounds(by_mask @ weights)
    return per, out


def _bounds(draws: np.ndarray) -> list[list[float]]:
    """(resamples, factors) Shapley values → per factor [low, high], the 95 % percentile interval."""
    lo_hi = np.quantile(draws, BOUNDS_95, axis=0, method="inverted_cdf")
    return [[float(lo_hi[0, j]), float(lo_hi[1, j])] for j in range(draws.shape[1])]


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


def linear_intervals(game: Game, counts: np.ndarray) -> dict[str, list[list[float]] | None]:
    """`intervals` of the statistics that are means (`LINEAR`), on the resamples `counts`
    (resamples × iterations): recomputing a Shapley value on a resample is the resample's mean of
    the per-iteration values (`per_iteration`), so it costs iterations × factors per resample
    instead of iterations × 2^factors."""
    k = len(game.factors)
    n = game.offset.size
    out: dict[str, list[list[float]] | None] = dict.fromkeys(LINEAR)
    for stat in LINEAR:
        phi = per_iteration(game, stat)
        if phi is None:
            continue
        draws = np.empty((counts.shape[0], k))
        # A factor's per-iteration values are 0 where it is not active: keep the others only.
        columns = [(where, phi[where, j]) for j in range(k) for where in [np.flatnonzero(phi[:, j])]]
        for b in range(counts.shape[0]):
            weight = counts[b].astype(float)
            # Multiply and sum: np.dot hands long vectors to threaded BLAS, slow on a busy machine.
            draws[b] = [float((weight[where] * values).sum()) / n for where, values in columns]
        out[stat] = _bounds(draws)
    return out
