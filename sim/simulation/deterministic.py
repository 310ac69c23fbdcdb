"""The deterministic plan (every input at its most likely value) and the default headline it picks."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from sim.scenario.model import Scenario
from sim.simulation.engines import can_vectorise, conditional_not_vectorised, run_engine
from sim.simulation.plan import Plan, compile_plan
from sim.simulation.sampling import plan_draws


@dataclass
class DeterministicPlan:
    finish: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    # Each decision's outcome in the plan (its index; -1: a conditional decision never made).
    outcomes: dict[str, int] = field(default_factory=dict)


def deterministic_plan(scenario: Scenario, plan: Plan | None = None) -> DeterministicPlan:
    """Finish days when every distribution takes its mode, every attempt succeeds, no risk occurs
    and every decision takes its most likely outcome (ties: the first listed). A conditional
    decision (`when`) evaluates its conditions on the plan's own state when it completes, and
    takes an outcome whose condition holds if its probability is at least 1/2."""
    plan = plan if plan is not None else compile_plan(scenario)
    draws = plan_draws(plan)
    # The vector engine gives the SimPy engine's finish days bit for bit wherever it can run the
    # plan (resources included, tests/test_engine_agreement.py) and keeps SimPy unimported.
    engine = "vector" if can_vectorise(plan) else "simpy"
    out = run_engine(engine, plan, draws)
    realised = out.realised
    assert realised is not None
    finish = {mid: float(out.finish[i, 0]) for i, mid in enumerate(plan.ids)}
    outcomes = {mid: int(chosen[0]) for mid, chosen in {**draws.outcome, **out.outcome}.items()}
    warnings = []
    if scenario.as_of_days is not None:
        for row, mid in enumerate(plan.ids):
            # The engines leave a conditioned duration NaN where nothing the milestone could draw
            # completes after the status day from the start it has in the plan (after any wait
            # for a resource): the status date then forces what happens, as said here.
            if plan.conditioned[row] and math.isnan(realised.duration[row, 0]):
                warnings.append(_forced(mid, scenario.as_of, plan.needs_attempts[row]))
    reason = conditional_not_vectorised(plan)
    if reason is not None:
        # `--engine auto` runs it on SimPy: said where the scenario is checked and run.
        warnings.append(f"{reason}, so the SimPy engine runs this scenario (slower; the same numbers)")
    return DeterministicPlan(finish, warnings, outcomes)


def _forced(mid: str, as_of: object, attempts: bool) -> str:
    """The warning for a milestone without an actual that the plan has done by the status date."""
    head = f"milestone {mid!r} has no actual but it would be done by as_of {as_of} in the plan; "
    if attempts:
        what = (
            "every attempt that would be done by then is taken to have failed: it is done only if "
            "a later attempt (a retry, which may first wait for a resource) completes after that day "
            "and succeeds, and never if none does"
        )
    else:
        what = "it is taken to finish at the first moment after that day that it can (in its window, if any)"
    return head + what + " (add an actual?)"


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
