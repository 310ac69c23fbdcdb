"""Percentiles of simulated finish days by the inverted empirical CDF, "never" sorting last."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

PERCENTILES: tuple[int, ...] = (5, 10, 20, 50, 80, 90, 95)
# A 95 % percentile interval's ends, written out: (1 - 0.95) / 2 is 0.025000000000000022 in
# floats, which takes the 6th of 200 ordered bootstrap resamples by the inverted CDF, not the 5th.
BOUNDS_95 = (0.025, 0.975)


def rank_of(p: float, n: int) -> int:
    """The 1-based rank k = ceil(p n / 100), clipped to 1..n, of the p-th percentile of n values."""
    # p * n is exact for the percentiles used; the tolerance absorbs a p such as 100 / 3.
    return min(max(math.ceil(p * n / 100.0 - 1e-9), 1), n)


def percentile_of(x: np.ndarray, p: float, presorted: bool = False) -> float | None:
    """The p-th percentile (0 < p <= 100) by the inverted empirical CDF, `inf` counting as never.

    The earliest value by which at least p % of the iterations are done: the k-th smallest with
    k = ceil(p n / 100), never an interpolation between two simulated values, so that "p % likely
    by D" holds for the simulated futures even where they cluster on a few dates. None when that
    value is a never (`inf`) or there are no values. Every percentile lunarsim shows (terminal,
    summary JSON, report, backtest) comes from here or from `percentiles_of`, which agree exactly.
    """
    n = x.size
    if n == 0:
        return None
    s = x if presorted else np.sort(x)
    return _value(s[rank_of(p, n) - 1])


def percentiles_of(x: np.ndarray, ps: Iterable[float]) -> dict[float, float | None]:
    """`percentile_of(x, p)` for every p in `ps`, from partial sorts of one copy of `x`.

    The k-th smallest value is the same whether the array is sorted or partitioned at k, so the
    results are exactly `percentile_of`'s. The copy is partitioned at the middle rank, then each
    side at the middle of its ranks, and so on: about log2(len(ps)) passes over the data, where
    one `np.partition` with several ranks or a full sort costs several times that.
    """
    ps = tuple(ps)
    n = x.size
    if n == 0:
        return dict.fromkeys(ps)
    ranks = {p: rank_of(p, n) - 1 for p in ps}
    found = values_at_ranks(x, ranks.values())
    return {p: _value(found[k]) for p, k in ranks.items()}


def values_at_ranks(x: np.ndarray, ranks: Iterable[int]) -> dict[int, float]:
    """The k-th smallest value of x (k 0-based, `inf` included) for every k in `ranks`, by the
    partial sorts of `percentiles_of` on one copy of x."""
    found: dict[int, float] = {}
    _select(np.array(x, dtype=float), sorted(set(ranks)), 0, found)
    return found


def _select(part: np.ndarray, ks: list[int], offset: int, found: dict[int, float]) -> None:
    """Put into `found` the values of ranks `ks` (sorted, 0-based, counted from `offset`) of `part`,
    which is partitioned in place."""
    while ks:
        mid = len(ks) // 2
        k = ks[mid] - offset
        part.partition(k)
        found[ks[mid]] = float(part[k])
        # Left side recursively, right side by the loop: a depth of log2(len(ks)).
        _select(part[:k], ks[:mid], offset, found)
        part, ks, offset = part[k + 1 :], ks[mid + 1 :], ks[mid] + 1


def _value(v: float) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else None
