"""The vectorised engine: whole chunks of iterations at once, a milestone (row) at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.simulation.engines.output import EngineOutput, Realised
from sim.simulation.engines.rows import ALL, Rows
from sim.simulation.plan import Plan

if TYPE_CHECKING:
    from sim.simulation.engines.queued import Queued


def run(plan: Plan, realised: Realised, out: EngineOutput) -> None:
    """Fill every row of `out` (finish days and drivers) for every iteration."""
    rows = Rows(plan, realised, out)
    if plan.uses_resources:
        from sim.simulation.engines.claims import run_claims
        from sim.simulation.engines.queued import Queued

        rows.queued = Queued.of(plan, realised)
        run_claims(rows)
        if rows.queued is not None:
            _run_again(plan, realised, out, rows.queued)
        return
    for row in range(len(plan.ids)):
        if rows.plain(row):
            rows.settle_plain(row)
        else:
            rows.settle(row, ALL)
        # Every row a condition reads comes earlier (Plan.reads_in_order), so it is settled.
        rows.decide(row)


def _run_again(plan: Plan, realised: Realised, out: EngineOutput, queued: Queued) -> None:
    """Run the iterations whose queued rows' proposals were not kept again, each with its next
    round, until every one is kept (see sim.simulation.engines.queued); write them into `out` and
    the run's realised inputs (`realised`)."""
    from sim.simulation.engines.claims import run_claims
    from sim.simulation.engines.queued import Queued

    pending = np.flatnonzero(~queued.accepted())
    m_count = len(plan.ids)
    while pending.size:
        queued.next_round(pending)  # counts the rounds and stops at the limit
        sub = Realised(realised.draws.columns(pending))
        sub_out = EngineOutput(
            np.empty((m_count, pending.size)),
            np.empty((m_count, pending.size), dtype=np.int16),
            {mid: np.empty(pending.size, dtype=np.int32) for mid in out.outcome},
        )
        rows = Rows(plan, sub, sub_out)
        rows.queued = again = Queued(plan, sub, queued.rows, queued.rounds[pending])
        run_claims(rows)
        ok = again.accepted()
        done, keep = pending[ok], np.flatnonzero(ok)
        out.finish[:, done] = sub_out.finish[:, keep]
        out.driver[:, done] = sub_out.driver[:, keep]
        for mid, taken in sub_out.outcome.items():
            out.outcome[mid][done] = taken[keep]
        for row in realised.duration_u:  # the rows a run writes: those conditioned on the status date
            realised.duration[row, done] = sub.duration[row, keep]
        for row, values in sub.retry_after.items():
            if row in realised.duration_u:
                realised.retry_after[row][:, done] = values[:, keep]
        for row, fails in sub.forced_fails.items():
            realised.forced_fails[row][done] = fails[keep]
        pending = pending[~ok]
