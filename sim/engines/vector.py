"""The vectorised engine: whole chunks of iterations at once, a milestone (row) at a time."""

from __future__ import annotations

from sim.engines.output import EngineOutput
from sim.engines.rows import ALL, Rows
from sim.plan import Plan
from sim.sampling import Draws


def run(plan: Plan, draws: Draws, out: EngineOutput) -> None:
    """Fill every row of `out` (finish days and drivers) for every iteration."""
    rows = Rows(plan, draws, out)
    if plan.uses_resources:
        from sim.engines.claims import run_claims

        run_claims(rows)
        return
    for row in range(len(plan.ids)):
        if rows.plain(row):
            rows.settle_plain(row)
        else:
            rows.settle(row, ALL)


