"""Conditional outcomes (`when`) in plain words, for the report's decisions section."""

from __future__ import annotations

from sim.scenario.model import Condition, Scenario


def in_words(cond: Condition, scenario: Scenario) -> str:
    """A condition as a reader would say it: “Chang'e-7 lands” is not done, or … and …."""
    if cond.kind in ("all", "any"):
        joint = " and " if cond.kind == "all" else " or "
        return joint.join(_part(p, scenario) for p in cond.parts)
    if cond.kind == "not":
        return f"not ({in_words(cond.parts[0], scenario)})"
    assert cond.id is not None
    if cond.kind == "risk":
        return f"“{scenario.risks[cond.id].title}” has happened"
    title = scenario.milestones[cond.id].title
    if cond.kind == "failed":
        times = "once" if cond.at_least == 1 else f"{cond.at_least} times"
        return f"“{title}” has failed {times} or more"
    return f"“{title}” is {'done' if cond.kind == 'done' else 'not done'}"


def _part(cond: Condition, scenario: Scenario) -> str:
    text = in_words(cond, scenario)
    return f"({text})" if cond.kind in ("all", "any") else text
