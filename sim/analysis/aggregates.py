"""Aggregates a report draws from finish days: CDF grids, calendar histograms, convergence bands."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.doneby import count_done_by
from sim.percentiles import percentile_of, percentiles_of, rank_of
from sim.scenario.units import first_of_month_after
from sim.simulation.daycounts import DayCounts

if TYPE_CHECKING:
    from sim.scenario.model import Scenario


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


def cdf(x: np.ndarray | DayCounts, levels: int = 200) -> Cdf:
    """The CDF of `x` at the order statistics nearest to 1/levels, 2/levels, ... and the ends.

    Day counts give exactly the points of the finish times they count: the curve is read at
    whole days either way."""
    if isinstance(x, DayCounts):
        return _cdf_of_counts(x, levels)
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


def _cdf_of_counts(counts: DayCounts, levels: int) -> Cdf:
    n, done = counts.n, counts.done
    if done == 0:
        return Cdf([], [], 0.0, n)
    wanted = np.ceil(np.arange(1, levels + 1) / levels * n).astype(np.int64) - 1
    wanted = wanted[(wanted >= 0) & (wanted < done)]
    index = np.unique(np.r_[0, wanted, done - 1])
    days = np.unique(counts.kths(index))
    cum = np.cumsum(counts.counts)
    p = cum[(days - counts.first).astype(np.int64)] / n
    return Cdf(days.tolist(), p.tolist(), done / n, n)


@dataclass(frozen=True)
class Histogram:
    """Calendar bins of finish dates: shares of all iterations per bin, plus the never share."""

    starts: list[dt.date]
    ends: list[dt.date]
    shares: list[float]
    never: float
    months_per_bin: int


_BIN_MONTHS = (1, 3, 6, 12, 24, 60, 120, 240, 600)


def histogram(x: np.ndarray | DayCounts, scenario: Scenario, max_bins: int = 60) -> Histogram:
    """Bins aligned to calendar months (1, 3, 6, 12, ... months wide), at most `max_bins`; from
    finish times or, with the same result, from their day counts."""
    counts = x if isinstance(x, DayCounts) else DayCounts.of(np.asarray(x, dtype=float))
    n = max(counts.n, 1)
    never = float(1.0 - counts.done / n) if counts.n else 0.0
    if counts.done == 0:
        return Histogram([], [], [], never, 1)
    low, high = counts.min_day(), counts.max_day()
    assert low is not None and high is not None
    first = scenario.date_of(low)
    last = scenario.date_of(high)
    assert first is not None and last is not None
    span_months = (last.year - first.year) * 12 + (last.month - first.month) + 1
    step = next((m for m in _BIN_MONTHS if math.ceil(span_months / m) <= max_bins), _BIN_MONTHS[-1])
    # Align bins to multiples of the step (quarters start in Jan/Apr/..., years in January).
    index = first.year * 12 + first.month - 1
    begin = dt.date((index - index % step) // 12, (index - index % step) % 12 + 1, 1)
    edges = [begin]
    while edges[-1] <= last and edges[-1] < dt.date.max:
        edges.append(_next_edge(edges[-1], step))
    edge_days = np.array([scenario.days_of(e) for e in edges], dtype=float)
    if edges[-1] == dt.date.max:  # the calendar's end: the last bin holds 9999-12-31 itself
        edge_days[-1] += 1
    # Bin by calendar date (floor of the day), matching how dates are shown everywhere else:
    # bin k holds the days in [edge k, edge k+1), and the last edge lies after the last day.
    cum = np.r_[0, np.cumsum(counts.counts)]
    at = np.clip(np.ceil(edge_days).astype(np.int64) - counts.first, 0, counts.counts.size)
    in_bins = np.diff(cum[at])
    return Histogram(edges[:-1], edges[1:], (in_bins / n).tolist(), never, step)


def _next_edge(edge: dt.date, months: int) -> dt.date:
    """The next bin edge: `months` after `edge`, or the calendar's last day past year 9999."""
    if edge.year * 12 + edge.month - 1 + months >= 10000 * 12:
        return dt.date.max
    return first_of_month_after(edge, months)


@dataclass(frozen=True)
class ConvergencePoint:
    iterations: int
    estimate: float | None
    low: float | None
    high: float | None


def band_ranks(n: int, p: float, z: float = 1.959964) -> tuple[int, int]:
    """The 1-based ranks l, u of `quantile_band`'s order statistics among n > 0 values."""
    half = z * math.sqrt(n * p * (1.0 - p))
    return min(max(math.floor(n * p - half), 1), n), min(max(math.ceil(n * p + half), 1), n)


def quantile_band(
    sorted_x: np.ndarray | DayCounts, p: float, z: float = 1.959964
) -> tuple[float | None, float | None]:
    """Distribution-free confidence interval for the p-quantile from order statistics.

    The count of draws below the true quantile is Binomial(n, p), so with the normal
    approximation the interval is [X_(l), X_(u)] with l, u = n p -/+ z sqrt(n p (1 - p))
    (1-based, clipped to 1..n). `inf` bounds (never) come back as None. From day counts, the
    bounds are the days of those order statistics. `sorted_x` need only be sorted at those two
    ranks (`np.partition` at them).
    """
    n = sorted_x.n if isinstance(sorted_x, DayCounts) else sorted_x.size
    if n == 0:
        return None, None
    lo, hi = band_ranks(n, p, z)
    if isinstance(sorted_x, DayCounts):
        a, b = (float(v) for v in sorted_x.kths(np.array([lo - 1, hi - 1])))
    else:
        a, b = float(sorted_x[lo - 1]), float(sorted_x[hi - 1])
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


def ordered(x: np.ndarray | DayCounts) -> np.ndarray | DayCounts:
    """Finish times sorted, or day counts as they are: what `quantile_band` reads."""
    return x if isinstance(x, DayCounts) else np.sort(np.asarray(x, dtype=float))


def completed_percentiles(x: np.ndarray | DayCounts, ps: tuple[float, ...]) -> list[float | None]:
    """Percentiles of the completed iterations only (by the inverted empirical CDF); from day
    counts, the days on which they fall."""
    if isinstance(x, DayCounts):
        if not x.done:
            return [None] * len(ps)
        return [x.kth(rank_of(p, x.done) - 1) for p in ps]
    finite = np.sort(np.asarray(x, dtype=float)[np.isfinite(x)])
    return [percentile_of(finite, p, presorted=True) if finite.size else None for p in ps]


def percentiles(x: np.ndarray, ps: tuple[int, ...]) -> dict[int, float | None]:
    """Percentiles (never sorting last, None when never) of any subset of iterations."""
    found = percentiles_of(np.asarray(x, dtype=float), ps)  # one partition for all of them
    return {p: found[p] for p in ps}
