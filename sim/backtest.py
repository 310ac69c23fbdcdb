"""Backtesting a forecast: how a run of an earlier scenario scored against what a later one says happened.

For every milestone in both scenarios, the event scored is "done by the later scenario's status
date (`as_of`)": it happened if the later scenario gives an `actual` on or before `as_of`. The
forecast's probability of it is P(done by as_of) from the earlier run; its Brier score is
(p - outcome)^2, averaged over milestones. The deterministic plan of the earlier scenario is
scored the same way (p = 1 if the plan had it done by then, else 0), so the two can be compared.
For milestones that were done, the probability integral transform (PIT) is the forecast's
P(done by the actual date): over many milestones a calibrated forecast gives PITs spread evenly
over [0, 1], and an optimistic one gives PITs near 1 (everything happened later than forecast).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sim.doneby import done_by
from sim.errors import Problem, ScenarioError
from sim.results import Result
from sim.scenario import Scenario


@dataclass(frozen=True)
class BacktestRow:
    milestone: str
    title: str
    p_done: float  # forecast P(done by as_of)
    plan_done: bool  # the deterministic plan had it done by as_of
    done: bool  # it was done by as_of (the later scenario has an actual)
    actual: dt.date | None
    pit: float | None  # forecast P(done by the actual date), for milestones that were done
    median: dt.date | None  # the forecast's median date (None: more likely never)


@dataclass(frozen=True)
class Backtest:
    forecast: str
    outcome: str
    as_of: dt.date
    rows: tuple[BacktestRow, ...]

    @property
    def brier(self) -> float:
        """Mean (p - outcome)^2 over milestones: 0 is perfect, 0.25 is a coin flip at 50 %."""
        return sum((r.p_done - r.done) ** 2 for r in self.rows) / len(self.rows)

    @property
    def plan_brier(self) -> float:
        """The same score for the deterministic plan, taken as certain."""
        return sum((float(r.plan_done) - r.done) ** 2 for r in self.rows) / len(self.rows)

    def as_dict(self) -> dict[str, object]:
        return {
            "forecast": self.forecast,
            "outcome": self.outcome,
            "as_of": self.as_of.isoformat(),
            "brier": self.brier,
            "plan_brier": self.plan_brier,
            "milestones": {
                r.milestone: {
                    "title": r.title,
                    "p_done_by_as_of": r.p_done,
                    "plan_done_by_as_of": r.plan_done,
                    "done_by_as_of": r.done,
                    "actual": r.actual.isoformat() if r.actual else None,
                    "pit": r.pit,
                    "forecast_median": r.median.isoformat() if r.median else None,
                }
                for r in self.rows
            },
        }


def backtest(result: Result, outcome: Scenario) -> Backtest:
    """Score `result` (a run of the earlier scenario) against `outcome` (a later scenario with
    `as_of` and actuals). Raises ScenarioError when `outcome` has no status date, its status date
    is not after the forecast's start, or the two share no milestone."""
    forecast = result.scenario
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
    as_of_day = forecast.days_of(outcome.as_of)
    rows = []
    for mid in result.milestone_ids:
        if mid not in outcome.milestones:
            continue
        later = outcome.milestones[mid]
        actual = outcome.date_of(later.actual) if later.actual is not None else None
        done = actual is not None and actual <= outcome.as_of
        pit = result.p_by(mid, forecast.days_of(actual)) if done and actual is not None else None
        plan = result.plan_of(mid)
        median = result.percentile_days(mid, 50)
        rows.append(
            BacktestRow(
                milestone=mid,
                title=forecast.milestones[mid].title,
                p_done=result.p_by(mid, as_of_day),
                plan_done=bool(done_by(plan, as_of_day)),
                done=done,
                actual=actual if done else None,
                pit=pit,
                median=forecast.date_of(median),
            )
        )
    if not rows:
        raise ScenarioError(Problem("the forecast and the outcome share no milestone id", outcome.path))
    return Backtest(forecast.name, outcome.name, outcome.as_of, tuple(rows))
