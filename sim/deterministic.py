"""The deterministic plan (every input at its most likely value) and the default headline it picks."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from sim.doneby import end_of_day
from sim.engines import run_engine
from sim.engines.timing import late_after
from sim.plan import Plan, compile_plan
from sim.sampling import plan_draws
from sim.scenario import Scenario


@dataclass
class DeterministicPlan:
    finish: dict[str, float]
    warnings: list[str] = field(default_factory=list)


def deterministic_plan(scenario: Scenario, plan: Plan | None = None) -> DeterministicPlan:
    """Finish days when every distribution takes its mode, every attempt succeeds, no risk occurs
    and every decision takes its most likely outcome (ties: the first listed)."""
    plan = plan if plan is not None else compile_plan(scenario)
    draws = plan_draws(plan)
    engine = "simpy" if plan.uses_resources else "vector"
    out = run_engine(engine, plan, draws)
    finish = {mid: float(out.finish[i, 0]) for i, mid in enumerate(plan.ids)}
    warnings = []
    as_of = scenario.as_of_days
    if as_of is not None:
        for i, mid in enumerate(plan.ids):
            m = scenario.milestones[mid]
            if m.actual is not None or (m.not_before is not None and m.not_before > as_of):
                continue
            ready = max((out.finish[link.pred, 0] for link in plan.links[i]), default=0.0)
            late = late_after(end_of_day(as_of), m.not_before, m.window)
            if math.isfinite(ready) and ready + m.duration.high <= late:
                warnings.append(
                    f"milestone {mid!r} has no actual but it would be done by as_of "
                    f"{scenario.as_of} in the plan; it is taken to finish just after that day "
                    "(add an actual?)"
                )
    return DeterministicPlan(finish, warnings)


def default_headline(scenario: Scenario, plan: DeterministicPlan) -> str:
    """The scenario's headline, else the milestone the plan finishes last (ties: the last listed;
    a milestone the plan never finishes counts as earliest)."""
    if scenario.headline:
        return scenario.headline
    order = list(scenario.milestones)
    return max(order, key=lambda m: (_finite(plan.finish[m]), order.index(m)))


def resolved(scenario: Scenario, det: DeterministicPlan | None = None) -> Scenario:
    """`scenario` with its headline chosen and the plan's warnings added (computes the plan if not given)."""
    det = det if det is not None else deterministic_plan(scenario)
    return dataclasses.replace(
        scenario,
        headline=default_headline(scenario, det),
        # Idempotent: a scenario resolved twice (validated, then simulated) warns once.
        warnings=tuple(dict.fromkeys((*scenario.warnings, *det.warnings))),
    )


def _finite(x: float) -> float:
    return x if math.isfinite(x) else -1.0
