"""The plain-language sentences at the top of a report, and the number and date formats they use."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.analysis.aggregates import ordered, quantile_band

# The shared formats, named here too for the report's modules that import them from the headline.
from sim.formats import day_text, month_text, percent
from sim.scenario.units import DAYS_PER_MONTH

if TYPE_CHECKING:
    from sim.analysis.results import Result


@dataclass(frozen=True)
class Headline:
    """One milestone's sentence: `title`, then clauses joined by "; "."""

    milestone: str
    title: str
    clauses: tuple[str, ...]
    advice: str | None = None

    @property
    def text(self) -> str:
        return f"{self.title}: " + "; ".join(self.clauses)


@dataclass(frozen=True)
class Precision:
    """How well a run pins one percentile down: half the width of its 95 % band, in days."""

    percentile: int
    half_days: float | None  # None: the band reaches "never"
    iterations: int

    @property
    def months(self) -> int:
        assert self.half_days is not None
        return max(1, round(self.half_days / DAYS_PER_MONTH))

    @property
    def matters(self) -> bool:
        """Worth saying in the sentence: the band is a month or more either side (or unbounded)."""
        return self.half_days is None or self.half_days >= DAYS_PER_MONTH

    def runs_for_a_month(self) -> int | None:
        """Iterations that would bring the band under a month either side: its width shrinks as
        1/sqrt(n), so n grows as the square of the ratio; rounded up to two significant figures."""
        if self.half_days is None:
            return None
        need = self.iterations * (self.half_days / (0.95 * DAYS_PER_MONTH)) ** 2
        step = 10 ** max(0, math.floor(math.log10(need)) - 1)
        return int(math.ceil(need / step) * step)


def precision(result: Result, milestone: str, percentile: int) -> Precision:
    """The 95 % order-statistic band of a percentile of `milestone` (aggregates.quantile_band)."""
    low, high = quantile_band(ordered(result.distribution(milestone)), percentile / 100)
    half = None if low is None or high is None else (high - low) / 2
    return Precision(percentile, half, result.iterations)


def _uncertainty(p: Precision, runs: bool) -> str:
    at = f" at {p.iterations:,} runs" if runs else ""
    if p.half_days is None:
        return f" (not pinned down{at})"
    unit = "month" if p.months == 1 else "months"
    return f" (± {p.months} {unit}{at})"


def headline(result: Result, milestone: str) -> Headline:
    """The sentence for one milestone, e.g. "Facilities built: 41 % likely by the 2032-04-21
    target; median 2033-05; 80 % likely by 2036-01".

    Without a target the first clause is left out; when more iterations never finish than do,
    the median clause reads "more likely never than by the horizon"; when some never finish,
    a last clause says what share ("7 % never done by 2072-04-21"), and when none finish it says
    only that ("never done by 2072-04-21 in any simulated future"). A milestone with an
    `actual` date reads "done on <date>".
    """
    scenario = result.scenario
    spec = scenario.milestones[milestone]
    clauses: list[str] = []
    if spec.actual is not None:
        clauses.append(f"done on {day_text(scenario.date_of(spec.actual))}")
        if spec.target is not None:
            clauses.append(f"the target was {day_text(scenario.date_of(spec.target))}")
        return Headline(milestone, spec.title, tuple(clauses))
    if spec.target is not None:
        target = day_text(scenario.date_of(spec.target))
        clauses.append(f"{percent(result.p_by(milestone, spec.target))} likely by the {target} target")
    done = result.done_fraction(milestone)
    if done == 0.0:
        clauses.append(f"never done by {scenario.horizon.isoformat()} in any simulated future")
        return Headline(milestone, spec.title, tuple(clauses))
    median = result.percentile_days(milestone, 50)
    advice = None
    if median is None:
        clauses.append("more likely never than by the horizon")
    else:
        advice = _dated_clauses(result, milestone, median, clauses)
    if done < 1.0:
        clauses.append(f"{percent(1.0 - done)} never done by {scenario.horizon.isoformat()}")
    return Headline(milestone, spec.title, tuple(clauses), advice)


def _dated_clauses(result: Result, milestone: str, median: float, clauses: list[str]) -> str | None:
    """Append the median's and P80's clauses, each with the run's own precision where it is a
    month or worse (the last such clause names the runs); the advice on more runs, if any."""
    scenario = result.scenario
    p80 = result.percentile_days(milestone, 80)
    shown = [precision(result, milestone, 50)]
    if p80 is not None:
        shown.append(precision(result, milestone, 80))
    loose = [p for p in shown if p.matters]
    text = {50: f"median {month_text(scenario.date_of(median))}"}
    if p80 is not None:
        text[80] = f"80 % likely by {month_text(scenario.date_of(p80))}"
    for p in shown:
        note = _uncertainty(p, runs=p is loose[-1]) if p in loose else ""
        clauses.append(text[p.percentile] + note)
    if not loose:
        return None
    which = " and ".join(f"P{p.percentile}" for p in loose)
    worst = [p.runs_for_a_month() for p in loose]
    if None not in worst:
        need = max(w for w in worst if w is not None)
        return f"About {need:,} runs would pin {which} down to within a month."
    return (
        f"The 95 % band of {which} reaches past the horizon at this many runs; "
        "more runs would narrow it."
    )


def headlines(result: Result) -> list[Headline]:
    """The headline milestone's sentence, then those of the other milestones with a target."""
    first = result.scenario.headline
    out = [headline(result, first)]
    for mid in result.milestone_ids:
        if mid != first and result.scenario.milestones[mid].target is not None:
            out.append(headline(result, mid))
    return out
