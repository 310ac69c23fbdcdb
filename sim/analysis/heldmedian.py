"""Uncertainty drivers in days: the headline's P80 with one milestone's duration held at its median,
on the run's own draws (every other input drawn identically), beside the rank-correlation tornado."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.percentiles import percentile_of
from sim.simulation.plan import compile_plan

if TYPE_CHECKING:
    from sim.analysis.results import Result


def held_at_median(result: Result) -> list[dict[str, Any]]:
    """For each milestone whose own duration is uncertain (and not settled by an actual): the
    headline's P80 change, in days, when that duration is held at its median in every iteration
    and everything else is drawn as in the run (`p80_change_days`; None where a P80 is "never"),
    largest change (either way) first. A duration conditioned on a status date is held at its conditional
    median (the median of what it could still be). Records: `input`, `label`, `p80_change_days`."""
    from sim.analysis.attribution import _all_draws
    from sim.simulation.engines import EngineOutput, choose_engine, run_engine

    sc = result.scenario
    plan = compile_plan(sc)
    engine = choose_engine(plan, "auto")
    head = plan.index[sc.headline]
    draws = _all_draws(result)
    base = percentile_of(result.finish_of(sc.headline), 80)
    m_count = len(plan.ids)
    rows = []
    for row, m in enumerate(plan.milestones):
        if m.actual is not None or m.duration.is_fixed:
            continue
        if plan.conditioned[row]:
            held = replace(
                draws,
                duration_u={**draws.duration_u, row: np.full(draws.n, 0.5)},
                free={k: v for k, v in draws.free.items() if k != row},
            ).freeze()
        else:
            duration = draws.duration.copy()
            duration[row] = float(m.duration.ppf(np.array([0.5]))[0])
            held = replace(draws, duration=duration).freeze()
        out = EngineOutput(np.empty((m_count, draws.n)), np.empty((m_count, draws.n), dtype=np.int16))
        run_engine(engine, plan, held, out)
        p80 = percentile_of(np.asarray(out.finish[head]), 80)
        change = None if p80 is None or base is None else round(p80 - base, 2) + 0.0
        rows.append({"input": m.id, "label": m.title, "p80_change_days": change})
    rows.sort(key=lambda r: -abs(float(r["p80_change_days"] or 0.0)))
    return rows


def cheap(result: Result) -> bool:
    """Whether the report shows these when the run did not ask for impacts explicitly: the re-runs
    (iterations × uncertain durations) within the bounds `sim.analysis.impacts` uses."""
    from sim.analysis.impacts import SIMPY_BOUND, VECTOR_BOUND
    from sim.simulation.engines import choose_engine

    plan = compile_plan(result.scenario)
    count = sum(1 for m in plan.milestones if m.actual is None and not m.duration.is_fixed)
    bound = VECTOR_BOUND if choose_engine(plan, "auto") == "vector" else SIMPY_BOUND
    return result.iterations * count <= bound
