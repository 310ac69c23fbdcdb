"""Signposts: observable events (a milestone done by a date) and what each outcome would mean for
the headline, read from the run's own iterations without simulating again.

An event is "milestone M is done by the end of year Y", for every milestone other than the
headline that has no `actual`, and the end of each of the next `YEARS` calendar years from the
status date (`as_of`) or else the start. Conditioning the run on the event splits its iterations
in two: those in which it happened ("if yes") and the others ("if no"). On each side the
headline's P(target) (share done by the end of its target day) and P50 (inverted empirical CDF,
"never" last) are the plain statistics of that side's iterations, so they are exactly the
conditional probabilities and quantiles of the simulated futures. A side with fewer than
`MIN_SIDE` iterations says nothing (its fields are None): a proportion from fewer than 100
draws has a 95 % interval wider than ±10 points.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.analysis.aggregates import band_ranks, quantile_band
from sim.doneby import done_by, end_of_day
from sim.percentiles import rank_of
from sim.simulation.daycounts import DayCounts

if TYPE_CHECKING:
    from sim.analysis.results import Result
    from sim.scenario.model import Scenario
    from sim.simulation.reduction import Reduction

YEARS = 3
MIN_SIDE = 100
Z = 1.959964  # two-sided 95 %


def wilson(k: int, n: int, z: float = Z) -> tuple[float, float]:
    """The Wilson score interval of a proportion k / n (n > 0)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Side:
    """The headline on one side of an event: `n` iterations; P(target) and P50 with 95 %
    intervals, None where `n < MIN_SIDE` (and P(target) None without a target, P50 None when
    it falls among the never-done iterations)."""

    n: int
    p_target: float | None
    p_target_interval: tuple[float, float] | None
    p50_days: float | None
    p50_interval: tuple[float | None, float | None] | None


@dataclass(frozen=True)
class Signpost:
    milestone: str
    by: dt.date
    p_event: float
    p_event_interval: tuple[float, float]
    if_yes: Side
    if_no: Side

    @property
    def spread(self) -> float:
        """How much the event moves the headline's P(target) (else its P50, in years): the
        report lists the events that move it most first."""
        a, b = self.if_yes, self.if_no
        if a.p_target is not None and b.p_target is not None:
            return abs(a.p_target - b.p_target)
        if a.p50_days is not None and b.p50_days is not None:
            return abs(a.p50_days - b.p50_days) / 365.25
        return 0.0

    @property
    def clear(self) -> bool:
        """Whether the two sides' 95 % intervals of P(target) (else of P50) do not overlap: the
        event then tells a reader something this run can vouch for."""
        a, b = self.if_yes, self.if_no
        if a.p_target_interval is not None and b.p_target_interval is not None:
            return (
                a.p_target_interval[1] < b.p_target_interval[0]
                or b.p_target_interval[1] < a.p_target_interval[0]
            )
        if a.p50_interval is None or b.p50_interval is None:
            return False
        (a_lo, a_hi), (b_lo, b_hi) = (
            [math.inf if v is None else v for v in x] for x in (a.p50_interval, b.p50_interval)
        )
        return a_hi < b_lo or b_hi < a_lo


def year_ends(scenario: Scenario) -> list[dt.date]:
    """The last day of each of the next `YEARS` calendar years from the status date or start,
    up to the horizon."""
    origin = scenario.as_of or scenario.start
    ends = [dt.date(origin.year + k, 12, 31) for k in range(YEARS)]
    return [d for d in ends if origin <= d <= scenario.horizon]


def events(scenario: Scenario, ids: tuple[str, ...], headline: str) -> list[tuple[str, dt.date]]:
    """Every candidate event, (milestone, date), in plan order (`ids`) and then by date: each
    milestone whose completion is news (not the headline, not already done) by each year's end."""
    news = [m for m in ids if m != headline and scenario.milestones[m].actual is None]
    return [(m, d) for m in news for d in year_ends(scenario)]


def event_counts(scenario: Scenario, ids: tuple[str, ...], finish: np.ndarray, head: int) -> list[DayCounts]:
    """For a streamed run's chunk (`finish`: rows in `ids` order; `head` the headline's row), the
    headline's day counts over the iterations in which each event of `events` happened: equal to
    `DayCounts.of` of those iterations' finishes. A milestone's events are nested (done by the end
    of one year, then done by the end of the next), so one count per milestone of (headline day,
    first year-end it was done by) gives all of them."""
    ends = year_ends(scenario)
    thresholds = np.array([end_of_day(scenario.days_of(d)) for d in ends])
    width = len(ends) + 1  # the year-end index, or len(ends) for none of them
    rows = {m: k for k, m in enumerate(ids)}
    done = np.isfinite(finish[head])
    days = np.floor(finish[head][done]).astype(np.int64)
    first = int(days.min()) if days.size else 0
    days = (days - first) * width
    size = int(days.max()) + width if days.size else width  # whole rows of `width`
    out = []
    for m in dict.fromkeys(m for m, _ in events(scenario, ids, ids[head])):
        # done_by(finish, end) is finish < end: code counts the year-ends at or before the finish
        # (comparisons summed: several times faster than np.searchsorted on a few thresholds).
        x = finish[rows[m]]
        code = np.zeros(x.shape, dtype=np.int8)  # at most YEARS
        for end in thresholds:
            code += x >= end
        joint = np.bincount(days + code[done], minlength=size).reshape(-1, width).cumsum(axis=1)
        never = np.cumsum(np.bincount(code[~done], minlength=width))
        for j in range(len(ends)):
            counts = joint[:, j]
            nonzero = np.flatnonzero(counts)
            if not nonzero.size:
                out.append(DayCounts(0, np.zeros(0, dtype=np.int64), int(never[j])))
            else:
                low, high = int(nonzero[0]), int(nonzero[-1]) + 1
                out.append(DayCounts(first + low, counts[low:high].astype(np.int64), int(never[j])))
    return out


def _counted_side(counts: DayCounts, target: float | None) -> Side:
    """A side from day counts (a streamed run): shares exact; P50 and its band the whole days on
    which they fall, as a streamed run's percentiles are."""
    n = counts.n
    if n < MIN_SIDE:
        return Side(n, None, None, None, None)
    p_target = interval = None
    if target is not None:
        k = counts.done_by(target)
        p_target, interval = k / n, wilson(k, n)
    return Side(n, p_target, interval, counts.percentile(50), quantile_band(counts, 0.5))


def from_counts(result: Result, stats: Reduction) -> list[Signpost]:
    """The signposts of a streamed run, from the "yes" sides it counted chunk by chunk."""
    sc = result.scenario
    target = sc.milestones[sc.headline].target
    total = stats.days[result.index(sc.headline)]
    found = []
    for (mid, date), yes in zip(events(sc, result.milestone_ids, sc.headline), stats.signposts, strict=True):
        k, n = yes.n, stats.n
        if 0 < k < n:
            sides = _counted_side(yes, target), _counted_side(total.without(yes), target)
            found.append(Signpost(mid, date, k / n, wilson(k, n), *sides))
    return found


class _Sorted:
    """The headline's finishes sorted once; a side of an event is a mask over that order, and
    its order statistics are found from the mask's running count, without gathering or sorting
    the side's own values."""

    def __init__(self, head: np.ndarray, target: float | None) -> None:
        self.order = np.argsort(head)
        self.values = head[self.order]
        self.target = target
        # How many iterations are done by the target: the first that many of the sorted order.
        self.by_target = None if target is None else int(np.searchsorted(self.values, end_of_day(target)))
        self.positions = np.arange(1, head.size + 1, dtype=np.int64 if head.size >= 2**31 else np.int32)

    def side(self, running: np.ndarray) -> Side:
        """The statistics of the iterations whose running count (in sorted order) is `running`."""
        n = int(running[-1])
        if n < MIN_SIDE:
            return Side(n, None, None, None, None)
        p_target = interval = None
        if self.by_target is not None:
            k = int(running[self.by_target - 1]) if self.by_target else 0
            p_target, interval = k / n, wilson(k, n)
        low, high = band_ranks(n, 0.5)
        # The r-th smallest of the side is the value where its running count first reaches r.
        at = np.searchsorted(running, [rank_of(50, n), low, high])
        p50, lo, hi = (float(v) if math.isfinite(v) else None for v in self.values[at])
        return Side(n, p_target, interval, p50, (lo, hi))


def signposts(result: Result) -> list[Signpost]:
    """Every event that happens in some iterations and not in others, in milestone order and
    then by date (an event certain either way tells a reader nothing). A streamed run counted
    each event's "yes" side chunk by chunk (`event_counts`): its shares are exact and its P50s
    the whole days on which they fall."""
    sc = result.scenario
    found = result.remembered(("signposts", sc.headline), lambda: tuple(result.storage.signposts(result)))
    return list(found)


def from_samples(result: Result) -> list[Signpost]:
    """The signposts of a run that kept every iteration, from the iterations themselves."""
    sc = result.scenario
    head = _Sorted(result.finish_of(sc.headline), sc.milestones[sc.headline].target)
    n = int(head.values.size)
    # Running counts fit in 32 bits below 2**31 iterations, and cumulate faster so.
    wide = np.int64 if n >= 2**31 else np.int32
    found: list[Signpost] = []
    for mid, date in events(sc, result.milestone_ids, sc.headline):
        yes = done_by(result.finish_of(mid), sc.days_of(date))
        k = int(np.count_nonzero(yes))
        if 0 < k < n:
            running = np.cumsum(yes[head.order], dtype=wide)
            sides = head.side(running), head.side(head.positions - running)
            found.append(Signpost(mid, date, k / n, wilson(k, n), *sides))
    return found


def _side_json(side: Side) -> dict[str, float | None]:
    p = None if side.p_target is None else round(side.p_target, 4) + 0.0
    p50 = None if side.p50_days is None else round(side.p50_days, 2) + 0.0
    return {"p_target": p, "p50_days": p50}


def signpost_section(result: Result) -> list[dict[str, Any]]:
    """The summary JSON's `signposts` (outputs.md)."""
    return [
        {
            "milestone": s.milestone,
            "by": s.by.isoformat(),
            "p_event": round(s.p_event, 4) + 0.0,
            "if_yes": _side_json(s.if_yes),
            "if_no": _side_json(s.if_no),
        }
        for s in signposts(result)
    ]


def strongest(result: Result, count: int = 5) -> list[Signpost]:
    """The events that move the headline most, with both sides large enough to say and a clear
    difference between them (`Signpost.clear`), strongest
    first (ties in milestone and date order) and one per milestone, for the report's short list."""
    both = [s for s in signposts(result) if min(s.if_yes.n, s.if_no.n) >= MIN_SIDE and s.clear]
    best: dict[str, Signpost] = {}
    for s in sorted(both, key=lambda s: -s.spread):
        best.setdefault(s.milestone, s)
    return list(best.values())[:count]
