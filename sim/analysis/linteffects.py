"""What fixing a lint finding as suggested does to the headline's P80, on common random numbers.

Each costed fix is a changed copy of the scenario run with the scenario's own seed and iteration
count: every input keeps its own random stream (`sim.simulation.sampling`), so the unchanged
inputs draw the same numbers in both runs and the difference is the fix's effect, not noise.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

from sim.scenario.model import Correlation, Scenario

if TYPE_CHECKING:
    from sim.analysis.lint import Finding

# The rank correlation a costed `uncorrelated-chain` fix gives the chain (judgement: a moderate
# value, see docs/lint.md).
CHAIN_RHO = 0.5


def fixed(scenario: Scenario, kind: str, subject: str) -> Scenario:
    """The scenario with one finding fixed as its message suggests."""
    if kind == "remove-risk":
        risks = {k: v for k, v in scenario.risks.items() if k != subject}
        groups = tuple(
            replace(c, risks=tuple(r for r in c.risks if r != subject)) for c in scenario.correlations
        )
        return replace(scenario, risks=risks, correlations=groups)
    if kind == "correlate":
        group = Correlation(milestones=tuple(subject.split(",")), rho=CHAIN_RHO)
        return replace(scenario, correlations=(*scenario.correlations, group))
    if kind == "date":
        plan = _plan_without_status(scenario)
        milestones = dict(scenario.milestones)
        for mid in dated_together(scenario, subject, plan):
            milestones[mid] = replace(milestones[mid], actual=float(math.floor(plan[mid])))
        return replace(scenario, milestones=milestones)
    raise ValueError(f"no costed fix {kind!r}")


def _plan_without_status(scenario: Scenario) -> dict[str, float]:
    """Finish days of the deterministic plan computed as if there were no `as_of` (actuals kept):
    what the plan says is over by then (the plan the lint rules read)."""
    from sim.simulation.deterministic import deterministic_plan

    return deterministic_plan(replace(scenario, as_of=None)).finish


def dated_together(scenario: Scenario, mid: str, plan: dict[str, float]) -> list[str]:
    """The milestones an `over-without-actual` fix at `mid` dates: `mid` and every milestone linked
    to it (as predecessor or successor, step by step) through milestones that also have no actual
    and that the plan has over by `as_of`. A milestone done implies its predecessors done, and
    dating one without its plan-completed successors would condition them on not being done by
    `as_of` (a failed attempt where the milestone can fail): the set is dated as a whole."""
    as_of = scenario.as_of_days
    if as_of is None:
        return []
    over = {k for k, m in scenario.milestones.items() if m.actual is None and plan.get(k, math.inf) < as_of}
    links: dict[str, set[str]] = {k: set() for k in scenario.milestones}
    for k, m in scenario.milestones.items():
        for p in m.after:
            links[k].add(p.id)
            links[p.id].add(k)
    found, todo = set(), [mid] if mid in over else []
    while todo:
        k = todo.pop()
        if k not in found:
            found.add(k)
            todo += sorted(links[k] & over - found)
    return [k for k in scenario.milestones if k in found]


def _p80(scenario: Scenario, iterations: int, seed: int) -> float | None:
    import sim

    result = sim.simulate(scenario, iterations, seed)
    return result.percentile_days(scenario.headline, 80)


def with_effects(
    scenario: Scenario, findings: list[Finding], *, iterations: int | None = None, seed: int | None = None
) -> list[Finding]:
    """`findings` with `p80_effect_days` set (whole days, fixed minus as is) where the fix is
    costed and both P80s are dates; the others unchanged."""
    from sim.simulation.deterministic import resolved

    if not any(f.fix for f in findings):
        return findings
    scenario = resolved(scenario)
    n = iterations or scenario.iterations
    s = seed if seed is not None else (scenario.seed or 0)
    base = _p80(scenario, n, s)
    out = []
    for f in findings:
        if f.fix is not None and base is not None:
            after = _p80(fixed(scenario, *f.fix), n, s)
            if after is not None:
                f = replace(f, p80_effect_days=float(round(after - base)))
        out.append(f)
    return out
