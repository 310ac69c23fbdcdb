"""Backtesting a forecast: how a run of an earlier scenario scored against what a later one says happened.

Every milestone of the forecast is scored on the event "done by the end of the later scenario's
status date (`as_of`)". It happened if the later scenario gives it an `actual` on or before
`as_of`. A milestone the later scenario leaves out (`remove`s) has no date there, and a removal
says nothing about whether it happened (a mission that crashed is removed, and so is a step
that happened on an unrecorded date): it is listed as unscored, with that reason, unless the
caller states that it had not happened by `as_of` (`not_done`), and then it is scored as not
done. It is never dropped. For each scored milestone:

- the Brier score (p - outcome)^2 of the forecast's P(done by as_of), and of the deterministic
  plan taken as certain (p = 1 if the plan had it done by then, else 0);
- a randomised PIT that is uniform on [0, 1] for a calibrated forecast although the later
  scenario only knows dates up to `as_of` (censoring). With F(k) the forecast's P(done by the end
  of day k) and V a uniform draw: a milestone done on day d gets F(d - 1) + V (F(d) - F(d - 1));
  one not done by day c = as_of gets F(c) + V (1 - F(c)). Under a calibrated forecast each is
  uniform (the randomisation spreads the probability of the observed day, or of "after as_of",
  evenly); an optimistic forecast piles PITs near 1. V comes from a generator seeded by the
  forecast run's seed, the outcome's name and its status date, so the same pair gives the same
  PITs;
- the CRPS threshold-weighted to the observed window, in days: the sum over the days k of the
  window (from the earlier of the forecast's start and the actual, to `as_of`) of
  (F(k) - 1[done by day k])^2. It is the Brier score of "done by day k" summed over the days
  that the later scenario can judge, so it is exact under censoring: for a milestone not done
  by `as_of` every indicator in the window is 0. Smaller is better; the plan gets the same score
  with its step F (the number of days in the window between the plan's date and what happened).
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.doneby import count_done_by, done_by
from sim.errors import Problem, ScenarioError
from sim.scenario.model import Scenario

if TYPE_CHECKING:
    from sim.analysis.results import Result

# The PIT's uniforms come from their own stream, apart from the run's chunk streams.
_PIT_STREAM = 0x50_49_54


@dataclass(frozen=True)
class BacktestRow:
    milestone: str
    title: str
    p_done: float  # forecast P(done by as_of)
    plan_done: bool  # the deterministic plan had it done by as_of
    done: bool  # it was done by as_of (the later scenario has an actual)
    actual: dt.date | None
    pit: float | None  # randomised PIT, uniform for a calibrated forecast (censoring included)
    crps: float | None  # CRPS threshold-weighted to the observed window, in days
    plan_crps: float | None  # the same for the plan taken as certain
    median: dt.date | None  # the forecast's median date (None: more likely never)
    scored: bool = True  # False: what happened is unknown (left out of the outcome scenario)
    note: str | None = None  # why it was scored (or not) as it was, where that is not plain


@dataclass(frozen=True)
class Backtest:
    forecast: str
    outcome: str
    as_of: dt.date
    rows: tuple[BacktestRow, ...]

    @property
    def scored(self) -> list[BacktestRow]:
        return [r for r in self.rows if r.scored]

    @property
    def brier(self) -> float:
        """Mean (p - outcome)^2 over scored milestones: 0 is perfect, 0.25 is a coin flip at 50 %."""
        rows = self.scored
        return sum((r.p_done - r.done) ** 2 for r in rows) / len(rows)

    @property
    def plan_brier(self) -> float:
        """The same score for the deterministic plan, taken as certain."""
        rows = self.scored
        return sum((float(r.plan_done) - r.done) ** 2 for r in rows) / len(rows)

    @property
    def crps(self) -> float:
        """Mean threshold-weighted CRPS over scored milestones, in days (0 is perfect)."""
        rows = self.scored
        return sum(r.crps or 0.0 for r in rows) / len(rows)

    @property
    def plan_crps(self) -> float:
        rows = self.scored
        return sum(r.plan_crps or 0.0 for r in rows) / len(rows)

    @property
    def pits(self) -> list[float]:
        return [r.pit for r in self.rows if r.pit is not None]

    def as_dict(self) -> dict[str, object]:
        return {
            "forecast": self.forecast,
            "outcome": self.outcome,
            "as_of": self.as_of.isoformat(),
            "brier": self.brier,
            "plan_brier": self.plan_brier,
            "crps_days": self.crps,
            "plan_crps_days": self.plan_crps,
            "milestones": {
                r.milestone: {
                    "title": r.title,
                    "p_done_by_as_of": r.p_done,
                    "plan_done_by_as_of": r.plan_done,
                    "done_by_as_of": r.done,
                    "actual": r.actual.isoformat() if r.actual else None,
                    "pit": r.pit,
                    "crps_days": r.crps,
                    "plan_crps_days": r.plan_crps,
                    "forecast_median": r.median.isoformat() if r.median else None,
                    "scored": r.scored,
                    "note": r.note,
                }
                for r in self.rows
            },
        }


def backtest(
    result: Result, outcome: Scenario, *, not_done: Iterable[str] = (), seed: int | None = None
) -> Backtest:
    """Score `result` (a run of the earlier scenario) against `outcome` (a later scenario with
    `as_of` and actuals). `not_done` names milestones the outcome leaves out that had not
    happened by its `as_of` (they are scored as not done; others left out are unscored). `seed`
    seeds the PIT's uniforms; by default they come from the run's seed, the outcome's name and
    its status date, so the same pair gives the same scores. Raises ScenarioError when `outcome`
    has no status date, its status date is not after the forecast's start, the two share no
    milestone, or `not_done` names a milestone that is not a forecast milestone left out of
    the outcome. Raises ValueError for a streamed run (`Result.streamed`): the PIT and CRPS
    read every iteration's finish time, which such a run does not keep."""
    forecast = result.scenario
    not_done = _checked(result, outcome, tuple(not_done))
    assert outcome.as_of is not None  # checked
    # Whole days since the forecast's start: "done by day k" means finished before k + 1.
    cutoff = math.floor(forecast.days_of(outcome.as_of))
    entropy = (
        [seed]
        if seed is not None
        else [result.seed, zlib.crc32(outcome.name.encode()), outcome.as_of.toordinal()]
    )
    rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(_PIT_STREAM,)))
    rows = [
        _row(result, outcome, mid, mid in not_done, cutoff, float(rng.random()))
        for mid in result.milestone_ids
    ]
    return Backtest(forecast.name, outcome.name, outcome.as_of, tuple(rows))


def _row(
    result: Result, outcome: Scenario, mid: str, given_not_done: bool, cutoff: int, v: float
) -> BacktestRow:
    """One milestone's scores; `v` its PIT's uniform (drawn for every row, so that one row's status
    moves no other's)."""
    forecast = result.scenario
    later = outcome.milestones.get(mid)
    note = None
    actual = None
    scored = True
    if later is None and given_not_done:
        note = "left out of the outcome scenario; given as not done by as_of"
    elif later is None:
        scored = False
        note = "left out of the outcome scenario, so whether it happened by as_of is unknown: not scored"
    elif later.actual is not None:
        actual = outcome.date_of(later.actual)
    assert outcome.as_of is not None  # checked in `backtest`
    done = actual is not None and actual <= outcome.as_of
    day = math.floor(forecast.days_of(actual)) if done and actual is not None else None
    finish = np.sort(result.finish_of(mid))
    plan = result.plan_of(mid)
    return BacktestRow(
        milestone=mid,
        title=forecast.milestones[mid].title,
        p_done=_done_by(finish, cutoff),
        plan_done=bool(done_by(plan, cutoff)),
        done=done,
        actual=actual if done else None,
        pit=_pit(finish, day, cutoff, v) if scored else None,
        crps=_crps(finish, day, cutoff) if scored else None,
        plan_crps=_crps(np.array([plan]), day, cutoff) if scored else None,
        median=forecast.date_of(result.percentile_days(mid, 50)),
        scored=scored,
        note=note,
    )


def _checked(result: Result, outcome: Scenario, not_done: tuple[str, ...]) -> tuple[str, ...]:
    """`not_done` once the run and the outcome can be scored against each other (see `backtest`)."""
    forecast = result.scenario
    if result.streamed:
        raise ValueError(
            f"a backtest scores every iteration's finish, and a run of {result.iterations:,} iterations "
            "is streamed (it keeps counts per day): use fewer iterations"
        )
    if outcome.as_of is None:
        raise ScenarioError(
            Problem(
                "the outcome scenario needs a status date (as_of) to score against",
                outcome.path,
                path="as_of",
            )
        )
    if outcome.as_of <= forecast.start:
        raise ScenarioError(
            Problem(
                f"as_of {outcome.as_of} is not after the forecast's start {forecast.start}",
                outcome.path,
                path="as_of",
            )
        )
    if not any(mid in outcome.milestones for mid in result.milestone_ids):
        raise ScenarioError(Problem("the forecast and the outcome share no milestone id", outcome.path))
    left_out = [mid for mid in result.milestone_ids if mid not in outcome.milestones]
    for mid in not_done:
        if mid not in left_out:
            where = "is in the outcome scenario" if mid in outcome.milestones else "is no forecast milestone"
            choices = ", ".join(left_out) or "none"
            message = f"not-done {mid!r} {where}; it must be one the outcome leaves out ({choices})"
            raise ScenarioError(Problem(message, outcome.path))
    return not_done


def _done_by(sorted_finish: np.ndarray, day: int) -> float:
    """F(day): the share of iterations done by the end of `day` (finished before day + 1)."""
    return count_done_by(sorted_finish, day) / max(sorted_finish.size, 1)


def _pit(sorted_finish: np.ndarray, day: int | None, cutoff: int, v: float) -> float:
    """Randomised PIT: uniform within the forecast probability of what was observed."""
    if day is None:  # censored: only "not done by the end of the cut-off day" is known
        low, high = _done_by(sorted_finish, cutoff), 1.0
    else:
        low, high = _done_by(sorted_finish, day - 1), _done_by(sorted_finish, day)
    return low + v * (high - low)


def _crps(sorted_finish: np.ndarray, day: int | None, cutoff: int) -> float:
    """Threshold-weighted CRPS over the days of the observed window, in days."""
    first = min(0, day if day is not None else 0)
    days = np.arange(first, cutoff + 1, dtype=float)
    f = np.searchsorted(sorted_finish, days + 1.0, side="left") / max(sorted_finish.size, 1)
    happened = np.zeros(days.size) if day is None else (days >= day).astype(float)
    return float(((f - happened) ** 2).sum())
