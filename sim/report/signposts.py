"""The report's signposts in plain words: what an observable event would do to the headline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.analysis.signposts import Side, Signpost, strongest
from sim.formats import month_text, percent

if TYPE_CHECKING:
    from sim.analysis.results import Result


def _share(p: float, interval: tuple[float, float] | None) -> str:
    if interval is None:
        return percent(p)
    return f"{percent(p)} (95 % interval {percent(interval[0])} to {percent(interval[1])})"


def _median(result: Result, side: Side) -> str:
    date = month_text(result.scenario.date_of(side.p50_days))
    if side.p50_interval is None:
        return date
    low, high = (month_text(result.scenario.date_of(x)) for x in side.p50_interval)
    return f"{date} (95 % interval {low} to {high})"


def sentence(result: Result, s: Signpost) -> str:
    """E.g. "If Chang'e-7 launched is done by the end of 2027 (83 % likely), Basic station by
    its 2035-12-31 target goes from 37 % to 42 % (…); if not, to 12 % (…)." Without a target on
    the headline, the sentence is about its median instead."""
    sc = result.scenario
    spec = sc.milestones[sc.headline]
    title = sc.milestones[s.milestone].title
    event = f"If “{title}” is done by the end of {s.by.year} ({percent(s.p_event)} likely)"
    yes, no = s.if_yes, s.if_no
    if spec.target is not None and yes.p_target is not None and no.p_target is not None:
        target = sc.date_of(spec.target)
        before = percent(result.p_by(sc.headline, spec.target))
        after_yes = _share(yes.p_target, yes.p_target_interval)
        after_no = _share(no.p_target, no.p_target_interval)
        change = f"{spec.title} by its {target} target goes from {before} to {after_yes}"
        return f"{event}, {change}; if not, to {after_no}."
    before = month_text(sc.date_of(result.percentile_days(sc.headline, 50)))
    return (
        f"{event}, the median of {spec.title} moves from {before} to {_median(result, yes)}; "
        f"if not, to {_median(result, no)}."
    )


def signpost_lines(result: Result, count: int = 5) -> list[str]:
    """The sentences of the events that move the headline most (`strongest`)."""
    return [sentence(result, s) for s in strongest(result, count)]
