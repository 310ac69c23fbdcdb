"""Aggregates a report draws from finish days: CDF grids, calendar histograms, convergence bands."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.doneby import count_done_by
from sim.percentiles import percentile_of, percentiles_of
from sim.units import first_of_month_after

if TYPE_CHECKING:
    from sim.scenario import Scenario



@dataclass(frozen=True)
class Cdf:
    """Points of the empirical CDF P(done by the end of day `days`), on a grid of levels.

    `days` are whole finish days in increasing order and `p` the share of *all* iterations
    done by the end of each, so the curve plateaus at `done` (below 1 when some never finish).
    """

    days: list[float]
    p: list[float]
    done: float
    n: int


def cdf(x: np.ndarray, levels: int = 200) -> Cdf:
    """The CDF of `x` at the order statistics nearest to 1/levels, 2/levels, ... and the ends."""
    x = np.asarray(x, dtype=float)
    n = int(x.size)
    finite = np.sort(x[np.isfinite(x)])
    if finite.size == 0:
        return Cdf([], [], 0.0, n)
    # Index of the order statistic at which the CDF first reaches each level k/levels.
    wanted = np.ceil(np.arange(1, levels + 1) / levels * n).astype(np.int64) - 1
    wanted = wanted[(wanted >= 0) & (wanted < finite.size)]
    index = np.unique(np.r_[0, wanted, finite.size - 1])
    # Dates are whole days: P(done by a date) counts every finish before the end of that day
    # (`sim.doneby`, as Result.p_by does), so hovering over the curve at the target reads P(target).
    days = np.unique(np.floor(finite[index]))
    p = np.array([count_done_by(finite, d) for d in days]) / n
    return Cdf(days.tolist(), p.tolist(), finite.size / n, n)


@dataclass(frozen=True)
class Histogram:
    """Calendar bins of finish dates: shares of all iterations per bin, plus the never share."""

    starts: list[dt.date]
    ends: list[dt.date]
    shares: list[float]
    never: float
    months_per_bin: int


_BIN_MONTHS = (1, 3, 6, 12, 24, 60, 120, 240, 600)


def histogram(x: np.ndarray, scenario: Scenario, max_bins: int = 60) -> Histogram:
    """Bins aligned to calendar months (1, 3, 6, 12, ... months wide), at most `max_bins`."""
    x = np.asarray(x, dtype=float)
    n = max(int(x.size), 1)
    finite = x[np.isfinite(x)]
    never = float(1.0 - finite.size / n) if x.size else 0.0
    if finite.size == 0:
        return Histogram([], [], [], never, 1)
    first = scenario.date_of(float(finite.min()))
    last = scenario.date_of(float(finite.max()))
    assert first is not None and last is not None
    span_months = (last.year - first.year) * 12 + (last.month - first.month) + 1
    step = next((m for m in _BIN_MONTHS if math.ceil(span_months / m) <= max_bins), _BIN_MONTHS[-1])
    # Align bins to multiples of the step (quarters start in Jan/Apr/..., years in January).
    index = first.year * 12 + first.month - 1
    begin = dt.date((index - index % step) // 12, (index - index % step) % 12 + 1, 1)
    edges = [begin]
    while edges[-1] <= last:
        edges.append(first_of_month_after(edges[-1], step))
    edge_days = np.array([scenario.days_of(e) for e in edges])
    # Bin by calendar date (floor of the day), matching how dates are shown everywhere else.
    counts, _ = np.histogram(np.floor(finite), bins=edge_days)
    return Histogram(edges[:-1], edges[1:], (counts / n).tolist(), never, step)


@dataclass(frozen=True)
class ConvergencePoint:
    iterations: int
    estimate: float | None
    low: float | None
    high: float | None


def quantile_band(sorted_x: np.ndarray, p: float, z: float = 1.959964) -> tuple[float | None, float | None]:
    """Distribution-free confidence interval for the p-quantile from order statistics.

    The count of draws below the true quantile is Binomial(n, p), so with the normal
    approximation the interval is [X_(l), X_(u)] with l, u = n p -/+ z sqrt(n p (1 - p))
    (1-based, clipped to 1..n). `inf` bounds (never) come back as None.
    """
    n = sorted_x.size
    if n == 0:
        return None, None
    half = z * math.sqrt(n * p * (1.0 - p))
    lo = min(max(math.floor(n * p - half), 1), n)
    hi = min(max(math.ceil(n * p + half), 1), n)
    a = float(sorted_x[lo - 1])
    b = float(sorted_x[hi - 1])
    return (a if math.isfinite(a) else None), (b if math.isfinite(b) else None)


def convergence(
    x: np.ndarray, percentiles: tuple[int, ...] = (50, 80), points: int = 30, first: int = 100
) -> dict[int, list[ConvergencePoint]]:
    """Running percentiles of the first k iterations, for k on a log-spaced grid up to all."""
    x = np.asarray(x, dtype=float)
    n = int(x.size)
    out: dict[int, list[ConvergencePoint]] = {p: [] for p in percentiles}
    if n == 0:
        return out
    start = min(first, n)
    grid = np.unique(np.round(np.geomspace(start, n, num=points)).astype(np.int64))
    for k in grid:
        prefix = np.sort(x[: int(k)])
        for p in percentiles:
            low, high = quantile_band(prefix, p / 100.0)
            out[p].append(ConvergencePoint(int(k), percentile_of(prefix, p), low, high))
    return out


def percentiles(x: np.ndarray, ps: tuple[int, ...]) -> dict[int, float | None]:
    """Percentiles (never sorting last, None when never) of any subset of iterations."""
    found = percentiles_of(np.asarray(x, dtype=float), ps)  # one partition for all of them
    return {p: found[p] for p in ps}
