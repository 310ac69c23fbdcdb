"""The vectorised engine: whole chunks of iterations at once, for scenarios without resources."""

from __future__ import annotations

import numpy as np

from sim.doneby import end_of_day
from sim.engines.condition import condition
from sim.engines.output import EngineOutput
from sim.engines.timing import complete, work
from sim.plan import Plan
from sim.sampling import Draws


def run(plan: Plan, draws: Draws, out: EngineOutput) -> None:
    """Fill every row of `out` (finish days and drivers) for every iteration."""
    sc = plan.scenario
    n = draws.n
    finish, driver = out.finish, out.driver
    as_of = sc.as_of_days
    horizon_end = end_of_day(sc.horizon_days)
    for row, m in enumerate(plan.milestones):
        if m.actual is not None:
            finish[row] = m.actual
            driver[row] = -1
            continue
        links = plan.links[row]
        if len(links) == 1:
            (link,) = links
            ready = finish[link.pred] + draws.lag[link.lag] if link.lag >= 0 else finish[link.pred]
            driver[row] = link.pred
        elif links:
            arrivals = np.stack(
                [finish[link.pred] + (draws.lag[link.lag] if link.lag >= 0 else 0.0) for link in links]
            )
            pick = np.argmax(arrivals, axis=0)
            ready = np.take_along_axis(arrivals, pick[None, :], axis=0)[0]
            ready = np.where(np.isinf(arrivals).any(axis=0), np.inf, ready)
            driver[row] = np.array([link.pred for link in links], dtype=np.int16)[pick]
        else:
            ready = np.zeros(n)
            driver[row] = -1
        scale, add = draws.scale_of(row), draws.add_of(row)
        retry_after = draws.retry_after.get(row)
        fails: np.ndarray | None = None
        if plan.conditioned[row]:
            assert as_of is not None
            got = condition(plan, draws, row, np.arange(n), ready, scale, add)
            draws.duration[row] = got.base
            if got.retry is not None and got.retry.size:
                retry_after = draws.retry_after[row] = got.retry
            fails = got.fails
            if fails is not None:
                draws.forced_fails[row] = fails
            impossible = np.isnan(got.base)
            end = ready + work(np.where(impossible, 0.0, got.base), scale, add)
            if impossible.any():
                # Nothing the milestone could draw completes after the status day: it completes
                # at the first moment it can, the start of the next day.
                end = np.where(impossible & np.isfinite(ready), end_of_day(as_of), end)
        else:
            end = ready + work(draws.duration[row], scale, add)
        t = complete(end, m.not_before, m.window)
        if plan.needs_attempts[row]:
            ok = draws.attempt_u[row] < draws.success[row]
            if fails is not None:
                # Attempts that would complete by the status day failed (see condition).
                ok = ok & (np.arange(ok.shape[0])[:, None] >= fails[None, :])
            done: np.ndarray = np.full(n, np.inf)
            pending = np.ones(n, dtype=bool)
            for k in range(ok.shape[0]):
                if k > 0:
                    assert retry_after is not None
                    t = complete(t + retry_after[k - 1], m.not_before, m.window)
                hit = pending & ok[k]
                done = np.where(hit, t, done)
                pending &= ~ok[k]
            t = done
        if row in draws.cancel:
            t = np.where(draws.cancel[row], np.inf, t)
        finish[row] = np.where(t >= horizon_end, np.inf, t)
        if m.not_before is not None:
            driver[row] = np.where(end <= m.not_before, -1, driver[row])
