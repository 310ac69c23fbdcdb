"""Percentiles of simulated finish days by the inverted empirical CDF, "never" sorting last."""

from __future__ import annotations

import math

import numpy as np

PERCENTILES: tuple[int, ...] = (5, 10, 20, 50, 80, 90, 95)


def percentile_of(x: np.ndarray, p: float, presorted: bool = False) -> float | None:
    """The p-th percentile (0 < p <= 100) by the inverted empirical CDF, `inf` counting as never.

    The earliest value by which at least p % of the iterations are done: the k-th smallest with
    k = ceil(p n / 100), never an interpolation between two simulated values, so that "p % likely
    by D" holds for the simulated futures even where they cluster on a few dates. None when that
    value is a never (`inf`) or there are no values. Every percentile lunarsim shows (terminal,
    summary JSON, report, backtest) comes from here.
    """
    n = x.size
    if n == 0:
        return None
    s = x if presorted else np.sort(x)
    # p * n is exact for the percentiles used; the tolerance absorbs a p such as 100 / 3.
    k = min(max(math.ceil(p * n / 100.0 - 1e-9), 1), n)
    v = float(s[k - 1])
    return v if math.isfinite(v) else None
