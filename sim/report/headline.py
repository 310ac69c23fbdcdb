"""The plain-language sentences at the top of a report, and the number and date formats they use."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.results import Result



def percent(p: float) -> str:
    """A share as a whole percentage for readers: "41 %", never rounding to a false 0 or 100."""
    if p <= 0.0:
        return "0 %"
    if p >= 1.0:
        return "100 %"
    whole = math.floor(p * 100.0 + 0.5)
    if whole < 1:
        return "< 1 %"
    if whole > 99:
        return "> 99 %"
    return f"{whole} %"


def day_text(day: dt.date | None) -> str:
    return "never" if day is None else day.isoformat()


def month_text(day: dt.date | None) -> str:
    return "never" if day is None else f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class Headline:
    """One milestone's sentence: `title`, then clauses joined by "; "."""

    milestone: str
    title: str
    clauses: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"{self.title}: " + "; ".join(self.clauses)


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
    if median is None:
        clauses.append("more likely never than by the horizon")
    else:
        clauses.append(f"median {month_text(scenario.date_of(median))}")
        p80 = result.percentile_days(milestone, 80)
        if p80 is not None:
            clauses.append(f"80 % likely by {month_text(scenario.date_of(p80))}")
    if done < 1.0:
        clauses.append(f"{percent(1.0 - done)} never done by {scenario.horizon.isoformat()}")
    return Headline(milestone, spec.title, tuple(clauses))


def headlines(result: Result) -> list[Headline]:
    """The headline milestone's sentence, then those of the other milestones with a target."""
    first = result.scenario.headline
    out = [headline(result, first)]
    for mid in result.milestone_ids:
        if mid != first and result.scenario.milestones[mid].target is not None:
            out.append(headline(result, mid))
    return out
