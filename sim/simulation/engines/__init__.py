"""Engines turn Draws into finish days: SimPy (the reference, everything) and vector (the fast path)."""

from __future__ import annotations

import numpy as np

from sim.simulation.engines.output import EngineOutput
from sim.simulation.plan import Plan
from sim.simulation.sampling import Draws

__all__ = ["ENGINES", "EngineOutput", "can_vectorise", "choose_engine", "run_engine"]

ENGINES = ("simpy", "vector")


def can_vectorise(plan: Plan) -> bool:
    """The vector engine runs every scenario in which each milestone uses at most one resource.

    A milestone using several takes them one at a time, each claim keyed by its first request
    time; the vector engine does not reproduce that, so the SimPy engine runs such scenarios.
    """
    return all(len(m.uses) <= 1 for m in plan.milestones)


def choose_engine(plan: Plan, requested: str) -> str:
    if requested == "auto":
        return "vector" if can_vectorise(plan) else "simpy"
    if requested == "vector" and not can_vectorise(plan):
        raise ValueError(
            "the vector engine cannot run scenarios in which a milestone uses several resources; "
            "use --engine simpy or auto"
        )
    if requested not in ENGINES:
        raise ValueError(f"unknown engine {requested!r}; choose auto, simpy or vector")
    return requested


def run_engine(name: str, plan: Plan, draws: Draws, out: EngineOutput | None = None) -> EngineOutput:
    """Run one engine over a chunk's draws; `out` (views into a run's arrays) receives the result."""
    if out is None:
        m_count = len(plan.ids)
        out = EngineOutput(np.empty((m_count, draws.n)), np.empty((m_count, draws.n), dtype=np.int16))
    if name == "vector":
        from sim.simulation.engines.vector import run
    else:
        from sim.simulation.engines.simpy_engine import run

        # The SimPy engine writes only what completes; the vector engine writes every row.
        out.finish[...] = np.inf
        out.driver[...] = -1
    run(plan, draws, out)
    return out
