"""Simulation results: finish days per milestone and iteration, and the statistics read from them."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from sim.doneby import count_done_by, done_by
from sim.scenario import Scenario
from sim.units import first_of_month_after

PERCENTILES: tuple[int, ...] = (5, 10, 20, 50, 80, 90, 95)

InputKind = Literal["duration", "lag", "attempts", "retry", "effect", "hold", "risk", "decision"]


@dataclass(frozen=True)
class RandomInput:
    """One random input of the model, as drawn in every iteration (for sensitivity analysis).

    `duration`: the milestone's own drawn duration in days (before risk and decision effects;
    NaN in an iteration where a status date left no duration to draw and the milestone was taken
    to finish on `as_of`);
    `lag`: a drawn wait after a predecessor; `attempts`: failed attempts before the one that
    succeeded (1 + max retries when all failed); `retry`: the mean drawn time to try again over
    the retries taken (NaN when the first attempt succeeded); `effect`: a risk's or outcome's
    drawn scale or added time (NaN where it did not happen); `hold`: a drawn resource hold;
    `risk`: 1.0 where the risk occurred, else 0.0; `decision`: 1.0 where the decision took
    the outcome named in `id` (`<milestone>=<outcome>`), else 0.0.
    """

    id: str
    label: str
    kind: InputKind
    values: np.ndarray


@dataclass
class Result:
    """What a run produced.

    `finish[m, i]` is the day (since `scenario.start`) on which milestone `milestone_ids[m]`
    completed in iteration `i`; `inf` means never or not by the horizon. Rows are in plan
    (topological) order. `driver[m, i]` is the row of the milestone that set milestone m's start
    in iteration i: the predecessor whose finish (plus lag) came last or, if m then waited for a
    shared resource, the milestone that gave it back; -1 when none did (no predecessors, or the
    finish was fixed by `not_before` or an `actual`). Following it back from a milestone gives
    the path that determined its date; when several predecessors arrived at that same moment,
    `driver` names the first listed and `sim.sensitivity.criticality` finds the others from
    `finish` and `lag`. `lag[s, i]` is the lag drawn for lag slot s (`sim.plan.Plan.lags`) in
    iteration i. `finished_at` is when the run ended (UTC).
    """

    scenario: Scenario
    milestone_ids: tuple[str, ...]
    finish: np.ndarray
    driver: np.ndarray
    plan_days: np.ndarray
    lag: np.ndarray | None = None
    inputs: list[RandomInput] = field(default_factory=list)
    risk_occurred: dict[str, np.ndarray] = field(default_factory=dict)
    outcome: dict[str, np.ndarray] = field(default_factory=dict)
    seed: int = 0
    engine: str = "simpy"
    workers: int = 1
    seconds: float = 0.0
    finished_at: dt.datetime | None = None
    _sorted: dict[int, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def iterations(self) -> int:
        return int(self.finish.shape[1])

    def index(self, milestone: str) -> int:
        try:
            return self.milestone_ids.index(milestone)
        except ValueError:
            raise KeyError(f"no milestone {milestone!r} in this result") from None

    def finish_of(self, milestone: str) -> np.ndarray:
        """Finish days of one milestone over all iterations (`inf` for never)."""
        return self.finish[self.index(milestone)]

    def plan_of(self, milestone: str) -> float:
        """The deterministic plan's finish day (`inf` if the plan never completes it)."""
        return float(self.plan_days[self.index(milestone)])

    def done_fraction(self, milestone: str) -> float:
        return float(np.isfinite(self.finish_of(milestone)).mean())

    def p_by(self, milestone: str, days: float) -> float:
        """P(done by the date on which `days` falls): the share of iterations finished before the
        end of that calendar day (`sim.doneby`), so that it agrees with `Scenario.date_of`."""
        return float(done_by(self.finish_of(milestone), days).mean())

    def percentile_days(self, milestone: str, p: float) -> float | None:
        """The p-th percentile (0-100) of the finish day over all iterations.

        "Never" sorts after every date. The inverted empirical CDF (see `percentile_of`): the
        earliest simulated finish by which at least p % of iterations are done; None when that
        is a never-done iteration.
        """
        row = self.index(milestone)
        if row not in self._sorted:
            self._sorted[row] = np.sort(self.finish[row])
        return percentile_of(self._sorted[row], p, presorted=True)

    def mean_days(self, milestone: str) -> float | None:
        x = self.finish_of(milestone)
        done = x[np.isfinite(x)]
        return float(done.mean()) if done.size else None

    def sd_days(self, milestone: str) -> float | None:
        """Sample standard deviation (ddof=1) over completed iterations; None with fewer than 2."""
        x = self.finish_of(milestone)
        done = x[np.isfinite(x)]
        return float(done.std(ddof=1)) if done.size > 1 else None

    def branch_frequencies(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for mid, chosen in self.outcome.items():
            branches = self.scenario.milestones[mid].branches
            counts = np.bincount(chosen, minlength=len(branches)) / max(chosen.size, 1)
            out[mid] = {b.id: float(c) for b, c in zip(branches, counts)}
        return out

    def risk_frequencies(self) -> dict[str, float]:
        return {rid: float(occ.mean()) for rid, occ in self.risk_occurred.items()}


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


# Aggregates a report draws from a result: CDF grids, calendar histograms, convergence bands.
# Each reduces the per-iteration finish days (`inf` = never) to a few hundred numbers.


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
    return {p: percentile_of(np.asarray(x, dtype=float), p) for p in ps}
