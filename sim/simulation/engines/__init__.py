"""Engines turn Draws into finish days and the realised inputs: SimPy (the reference, everything) and
vector (the fast path)."""

from __future__ import annotations

import numpy as np

from sim.simulation.engines.output import EngineOutput, Realised
from sim.simulation.plan import Plan
from sim.simulation.sampling import Draws

__all__ = [
    "ENGINES",
    "EngineOutput",
    "Realised",
    "can_vectorise",
    "choose_engine",
    "conditional_not_vectorised",
    "run_engine",
    "why_not_vector",
]

ENGINES = ("simpy", "vector")


def can_vectorise(plan: Plan) -> bool:
    """The vector engine runs every scenario in which each milestone uses at most one resource,
    and whose conditional outcomes (`when`) it can read in row order, before any resource claim.
    """
    return why_not_vector(plan) is None


def why_not_vector(plan: Plan) -> str | None:
    """Why the vector engine cannot run this plan (the SimPy engine then runs it), or None.

    A milestone using several resources takes them one at a time, each claim keyed by its first
    request time; the vector engine does not reproduce that. A conditional decision reads the
    state when it completes: the vector engine, a milestone at a time, can read only milestones
    settled before it (`Plan.reads_in_order`), and with resources only decisions that come, with
    what they read, before every claim (the claims are served after them, `claims.run_claims`).
    """
    if not all(len(m.uses) <= 1 for m in plan.milestones):
        return "a milestone uses several resources"
    return conditional_not_vectorised(plan)


def conditional_not_vectorised(plan: Plan) -> str | None:
    """Why the vector engine cannot run this plan's conditional outcomes (`why_not_vector`), or None."""
    if plan.deciding and plan.uses_resources:
        from sim.simulation.engines.claims import affected_rows

        _, affected = affected_rows(plan)
        for row in plan.deciding:
            reads = plan.milestones[row].branches
            read_rows = [plan.index[m] for b in reads if b.when is not None for m in b.when.milestones()]
            if affected[row] or any(affected[r] for r in read_rows):
                return (
                    f"the conditional decision {plan.ids[row]!r} (when) comes after a milestone that "
                    "uses a resource, or reads one that does"
                )
    if not plan.reads_in_order:
        return (
            "conditional outcomes (when) read each other's milestones in a circle (one decision reads "
            "a milestone after another decision, which reads one after the first)"
        )
    return None


def choose_engine(plan: Plan, requested: str) -> str:
    if requested == "auto":
        return "vector" if can_vectorise(plan) else "simpy"
    reason = why_not_vector(plan)
    if requested == "vector" and reason is not None:
        raise ValueError(f"the vector engine cannot run this scenario: {reason}; use --engine simpy or auto")
    if requested not in ENGINES:
        raise ValueError(f"unknown engine {requested!r}; choose auto, simpy or vector")
    return requested


def run_engine(name: str, plan: Plan, draws: Draws, out: EngineOutput | None = None) -> EngineOutput:
    """Run one engine over a chunk's draws; `out` (views into a run's arrays) receives the result,
    with the inputs the run realised (`out.realised`): the draws are read, never written."""
    if out is None:
        m_count = len(plan.ids)
        out = EngineOutput(np.empty((m_count, draws.n)), np.empty((m_count, draws.n), dtype=np.int16))
    out.outcome = {mid: np.empty(draws.n, dtype=np.int32) for mid in draws.decision_u}
    if name == "vector":
        from sim.simulation.engines.vector import run
    else:
        from sim.simulation.engines.simpy_engine import run

        # The SimPy engine writes only what completes; the vector engine writes every row.
        out.finish[...] = np.inf
        out.driver[...] = -1
    out.realised = Realised(draws)
    run(plan, out.realised, out)
    return out
