"""A track record: dated snapshots of one programme, each scored against the latest, with the
trend of one milestone's forecast across them and a calibration table over all of them.

Each snapshot but the last is backtested against the last (`sim.analysis.backtest`: the event
"done by the last snapshot's status date", its Brier score and threshold-weighted CRPS), with
one change: a milestone the snapshot already gives an `actual` for is not a forecast and is not
scored. On top of the backtest:

- **coverage** of the P50 and P80 dates: "80 % likely by D" should come true for 80 % of the
  milestones. A milestone counts once its forecast P-date is on or before the last status date
  (whether it was done by then is then known); it is covered when it was done by that date. A
  P-date still in the future, or never reached within the horizon, leaves it out. The choice of
  which milestones count depends on the forecast alone, not on what happened, so the share is
  not biased by the censoring at the last status date;
- **calibration**: every scored event of every snapshot, binned by its forecast probability, with
  the observed share done in each bin;
- every share k of n comes with a 95 % Wilson score interval.

The events are few, and they are not independent: the same milestones recur in every snapshot,
and within one snapshot a late launch makes its landing late too. The intervals treat them as
independent, so they are too narrow if anything; `TrackRecord.events` says how few there are.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.analysis.backtest import Backtest, backtest
from sim.errors import Problem, ScenarioError
from sim.scenario.model import Scenario

if TYPE_CHECKING:
    from sim.analysis.results import Result

LEVELS = (50, 80)  # the P-dates whose coverage is checked
BIN_EDGES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # calibration bins: few events, so five
Z95 = 1.959963984540054  # the standard normal's 97.5th percentile


@dataclass(frozen=True)
class Share:
    """k of n, with its 95 % Wilson score interval (None, None when n is 0)."""

    k: int
    n: int

    @property
    def rate(self) -> float | None:
        return self.k / self.n if self.n else None

    @property
    def interval(self) -> tuple[float | None, float | None]:
        return wilson(self.k, self.n)

    def as_dict(self) -> dict[str, Any]:
        low, high = self.interval
        return {"k": self.k, "n": self.n, "rate": self.rate, "low": low, "high": high}


def wilson(k: int, n: int, z: float = Z95) -> tuple[float | None, float | None]:
    """The Wilson score interval of a binomial share k/n: centre (p + z²/2n) / (1 + z²/n),
    half-width z / (1 + z²/n) · sqrt(p(1 - p)/n + z²/4n²). Unlike p ± z·sqrt(p(1-p)/n) it stays
    inside [0, 1] and is not empty at k = 0 or k = n."""
    if not 0 <= k <= n:
        raise ValueError(f"k={k} must be between 0 and n={n}")
    if n == 0:
        return None, None
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Trend:
    """One snapshot's forecast of the trend milestone."""

    milestone: str
    title: str  # as the snapshot defines it: a redefined milestone shows here
    target: dt.date | None
    percentiles: dict[int, dt.date | None]  # 10, 50, 80, 90; None: later than the horizon, or never
    p_target: float | None


@dataclass(frozen=True)
class Snapshot:
    """One scored snapshot: its backtest against the latest, P-date coverage and trend point."""

    path: str
    as_of: dt.date
    scores: Backtest
    p_dates: dict[str, dict[int, dt.date | None]]  # milestone -> level -> its P-date
    coverage: dict[int, Share]
    trend: Trend | None


@dataclass(frozen=True)
class CalibrationBin:
    low: float
    high: float
    forecasts: tuple[float, ...]
    done: int

    @property
    def share(self) -> Share:
        return Share(self.done, len(self.forecasts))

    @property
    def mean_forecast(self) -> float | None:
        return sum(self.forecasts) / len(self.forecasts) if self.forecasts else None


@dataclass(frozen=True)
class TrackRecord:
    outcome: str
    as_of: dt.date
    milestone: str
    snapshots: tuple[Snapshot, ...]
    latest: Trend | None  # the last snapshot's own forecast of the trend milestone

    @property
    def events(self) -> int:
        """Scored events over all snapshots (each milestone once per snapshot)."""
        return sum(len(s.scores.scored) for s in self.snapshots)

    @property
    def brier(self) -> float | None:
        """Mean Brier score over every scored event of every snapshot."""
        rows = [r for s in self.snapshots for r in s.scores.scored]
        return sum((r.p_done - r.done) ** 2 for r in rows) / len(rows) if rows else None

    @property
    def coverage(self) -> dict[int, Share]:
        return {
            level: Share(
                sum(s.coverage[level].k for s in self.snapshots),
                sum(s.coverage[level].n for s in self.snapshots),
            )
            for level in LEVELS
        }

    @property
    def calibration(self) -> list[CalibrationBin]:
        return calibration_bins((r.p_done, r.done) for s in self.snapshots for r in s.scores.scored)

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "as_of": self.as_of.isoformat(),
            "milestone": self.milestone,
            "events": self.events,
            "brier": self.brier,
            "coverage": {str(level): share.as_dict() for level, share in self.coverage.items()},
            "calibration": [
                {"from": b.low, "to": b.high, "mean_forecast": b.mean_forecast, **b.share.as_dict()}
                for b in self.calibration
            ],
            "snapshots": [
                {
                    "forecast": s.scores.forecast,
                    "path": s.path,
                    "as_of": s.as_of.isoformat(),
                    "scored": len(s.scores.scored),
                    "brier": s.scores.brier if s.scores.scored else None,
                    "plan_brier": s.scores.plan_brier if s.scores.scored else None,
                    "crps_days": s.scores.crps if s.scores.scored else None,
                    "plan_crps_days": s.scores.plan_crps if s.scores.scored else None,
                    "coverage": {str(level): share.as_dict() for level, share in s.coverage.items()},
                    "trend": _trend_dict(s.trend),
                }
                for s in self.snapshots
            ],
            "latest": _trend_dict(self.latest),
        }


def _trend_dict(trend: Trend | None) -> dict[str, Any] | None:
    if trend is None:
        return None
    return {
        "title": trend.title,
        "target": trend.target.isoformat() if trend.target else None,
        **{f"p{p}": d.isoformat() if d else None for p, d in trend.percentiles.items()},
        "p_target": trend.p_target,
    }


def calibration_bins(events: Iterable[tuple[float, bool]]) -> list[CalibrationBin]:
    """Events (forecast probability, happened) in the five bins [0, 0.2), …, [0.8, 1.0]."""
    events = list(events)
    bins = []
    for i, (low, high) in enumerate(itertools.pairwise(BIN_EDGES)):
        last = i == len(BIN_EDGES) - 2
        inside = [(p, d) for p, d in events if low <= p < high or (last and p == high)]
        bins.append(CalibrationBin(low, high, tuple(p for p, _ in inside), sum(d for _, d in inside)))
    return bins


def snapshot_date(scenario: Scenario) -> dt.date:
    """The date a snapshot stands on: its status date, else its start."""
    return scenario.as_of or scenario.start


def trend_of(result: Result, milestone: str) -> Trend | None:
    """`result`'s forecast of `milestone` (None when its scenario has no such milestone)."""
    scenario = result.scenario
    m = scenario.milestones.get(milestone)
    if m is None:
        return None
    return Trend(
        milestone=milestone,
        title=m.title,
        target=scenario.date_of(m.target) if m.target is not None else None,
        percentiles={p: scenario.date_of(result.percentile_days(milestone, p)) for p in (10, 50, 80, 90)},
        p_target=result.p_by(milestone, m.target) if m.target is not None else None,
    )


def track_record(
    forecasts: list[Result],
    outcome: Result,
    *,
    milestone: str | None = None,
    not_done: Iterable[str] = (),
) -> TrackRecord:
    """Score every run in `forecasts` (snapshots, any order; they are sorted by their date)
    against `outcome` (a run of the latest snapshot, which needs `as_of`). `milestone`: the one
    whose trend is drawn (default: the latest snapshot's headline). `not_done`: milestones the
    latest snapshot leaves out that had not happened by its status date, as for `backtest`; a
    snapshot that does not have one is simply not asked about it.

    Raises ScenarioError when a snapshot is not dated before the latest one, or `milestone` is
    in no snapshot; and whatever `backtest` raises."""
    later = outcome.scenario
    milestone = milestone or later.headline
    if later.as_of is None:
        raise ScenarioError(
            Problem("the latest snapshot needs a status date (as_of)", later.path, path="as_of")
        )
    for r in forecasts:
        if snapshot_date(r.scenario) >= later.as_of:
            message = (
                f"this snapshot stands on {snapshot_date(r.scenario)}, not before the latest one's "
                f"status date {later.as_of}: the last file given is the one the others are scored against"
            )
            raise ScenarioError(Problem(message, r.scenario.path, path="as_of"))
    runs = [*forecasts, outcome]
    if not any(milestone in r.scenario.milestones for r in runs):
        raise ScenarioError(Problem(f"no snapshot has a milestone {milestone!r}", later.path))
    asked = set(not_done)
    snapshots = []
    for r in sorted(forecasts, key=lambda r: snapshot_date(r.scenario)):
        mine = [m for m in asked if m in r.scenario.milestones]
        scores = _open_only(backtest(r, later, not_done=mine), r.scenario)
        p_dates = {
            row.milestone: {
                level: r.scenario.date_of(r.percentile_days(row.milestone, level)) for level in LEVELS
            }
            for row in scores.scored
        }
        snapshots.append(
            Snapshot(
                path=str(r.scenario.path),
                as_of=snapshot_date(r.scenario),
                scores=scores,
                p_dates=p_dates,
                coverage=coverage(scores, p_dates, later.as_of),
                trend=trend_of(r, milestone),
            )
        )
    return TrackRecord(later.name, later.as_of, milestone, tuple(snapshots), trend_of(outcome, milestone))


def _open_only(scores: Backtest, forecast: Scenario) -> Backtest:
    """The backtest without the milestones the snapshot already knew were done."""
    rows = tuple(
        dataclasses.replace(
            row,
            scored=False,
            pit=None,
            crps=None,
            plan_crps=None,
            note="already done at the snapshot's status date: not a forecast",
        )
        if forecast.milestones[row.milestone].actual is not None
        else row
        for row in scores.rows
    )
    return dataclasses.replace(scores, rows=rows)


def coverage(
    scores: Backtest, p_dates: dict[str, dict[int, dt.date | None]], as_of: dt.date
) -> dict[int, Share]:
    """For each level, k of n: n scored milestones whose P-date is on or before `as_of`, k of
    them done by their P-date."""
    out = {}
    for level in LEVELS:
        k = n = 0
        for row in scores.scored:
            when = p_dates[row.milestone][level]
            if when is None or when > as_of:
                continue
            n += 1
            k += row.done and row.actual is not None and row.actual <= when
        out[level] = Share(k, n)
    return out
