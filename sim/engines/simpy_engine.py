"""The reference engine: a SimPy process per milestone that reads like the milestone's story.

Wait for the predecessors (plus lags); if cancelled, never finish; otherwise, for each attempt,
take the resources it uses (first come, first served; ties by plan order), work, wait for the
earliest date and the next window, give the resources back, and succeed or try again.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from sim.doneby import end_of_day
from sim.engines.condition import condition
from sim.engines.output import EngineOutput
from sim.engines.pool import Pool
from sim.engines.timing import complete, late_after, work
from sim.plan import Plan
from sim.sampling import Draws
from sim.scenario import Milestone


def run(plan: Plan, draws: Draws, out: EngineOutput) -> None:
    """Fill `out` (finish days set to inf and drivers to -1 by the caller) for every iteration."""
    ms = plan.milestones
    # Where the status date does not bind (the threshold lies below the support), the
    # conditioned draw equals the free one, computed here once for the chunk.
    below = np.full(draws.n, -np.inf)
    free = {row: ms[row].duration.ppf_above(u, below) for row, u in draws.duration_u.items()}
    as_of = plan.scenario.as_of_days
    late = {
        row: late_after(end_of_day(as_of), ms[row].not_before, ms[row].window)
        for row in draws.duration_u
        if as_of is not None
    }
    rounds: dict[int, np.ndarray] = {}  # filled the first time a milestone needs them
    for row in draws.duration_u:
        if plan.needs_attempts[row]:
            draws.forced_fails[row] = np.zeros(draws.n, dtype=np.int64)
    for i in range(draws.n):
        _Iteration(plan, ms, draws, i, out.finish, out.driver, free, late, rounds).run()


def _one(x: float) -> np.ndarray:
    return np.array([x], dtype=float)


class _Iteration:
    def __init__(
        self,
        plan: Plan,
        ms: list[Milestone],
        draws: Draws,
        i: int,
        finish: np.ndarray,
        driver: np.ndarray,
        free: dict[int, np.ndarray],
        late: dict[int, float],
        rounds: dict[int, np.ndarray],
    ) -> None:
        self.free = free
        self.late = late
        self.rounds = rounds
        self.ms = ms

        self.plan = plan
        self.d = draws
        self.i = i
        self.finish = finish
        self.driver = driver
        self.env = simpy.Environment()
        sc = plan.scenario
        self.resources = {
            rid: Pool(self.env, r.capacity) for rid, r in sc.resources.items()
        }
        self.done = [self.env.event() for _ in plan.ids]
        # The row that last gave back a unit of each resource: whoever made a waiting
        # milestone's start possible, for the driving path.
        self.released_by: dict[str, int] = {}
        # How many leading attempts a status date makes fail, per conditioned row.
        self.fails: dict[int, int] = {}
        # Conditioned rows whose draws this iteration has made.
        self.reached: set[int] = set()

    def run(self) -> None:
        for row in range(len(self.plan.ids)):
            self.env.process(self.milestone(row))
        self.env.run()
        for row in self.d.duration_u:
            if row not in self.reached and self.plan.conditioned[row]:
                # Never reached (a predecessor never completed): its inputs are the free draws,
                # as the vector engine's conditioning gives them for a start that never comes.
                self.conditioned(row, math.inf)

    def wait_until(self, t: float) -> simpy.Timeout:
        return self.env.timeout(max(0.0, t - self.env.now))

    def milestone(self, row: int) -> Generator[Any, Any, None]:
        plan, d, i = self.plan, self.d, self.i
        m = self.ms[row]
        sc = plan.scenario
        if m.actual is not None:
            yield self.wait_until(m.actual)
            self.finish[row, i] = m.actual
            self.done[row].succeed()
            return
        links = plan.links[row]
        ready = 0.0
        if links:
            yield self.env.all_of([self.done[link.pred] for link in links])
            arrivals = [
                self.finish[link.pred, i] + (d.lag[link.lag, i] if link.lag >= 0 else 0.0) for link in links
            ]
            pick = max(range(len(arrivals)), key=arrivals.__getitem__)
            ready = arrivals[pick]
            self.driver[row, i] = links[pick].pred
        if ready > self.env.now:
            yield self.wait_until(ready)
        if row in d.cancel and d.cancel[row][i]:
            if plan.conditioned[row]:
                # Cancelled, but its inputs are drawn as if it had started, as the vector engine
                # draws them: the same inputs for the sensitivity whatever the engine.
                self.conditioned(row, ready)
            return
        attempts = d.attempt_u[row].shape[0] if plan.needs_attempts[row] else 1
        t = ready
        for k in range(attempts):
            held = []
            waited_for = -1
            for j, use in enumerate(m.uses):
                # (request time, plan row): first come, first served, ties in plan order.
                req = self.resources[use.resource].request(use.amount, (t, row))
                yield req
                if self.env.now > t:
                    waited_for = self.released_by.get(use.resource, waited_for)
                held.append((j, use))
            start = t if not held else max(t, self.env.now)
            if k == 0 and start > t and waited_for >= 0:
                # The work started late because a resource was busy: the milestone that freed it,
                # not the predecessor, set the start.
                self.driver[row, i] = waited_for
            if k == 0:
                scale = d.scale[row][i] if row in d.scale else 1.0
                add = d.add[row][i] if row in d.add else 0.0
                if plan.conditioned[row]:
                    assert sc.as_of_days is not None
                    self.conditioned(row, start)
                base = d.duration[row, i]
                if math.isnan(base):
                    # Nothing it could draw completes after the status day (see the vector engine).
                    end = end_of_day(sc.as_of_days) if sc.as_of_days is not None else start
                else:
                    end = start + float(work(base, scale, add))
                if m.not_before is not None and end <= m.not_before:
                    self.driver[row, i] = -1
            else:
                end = start + d.retry_after[row][k - 1, i]
            completion = float(complete(_one(end), m.not_before, m.window)[0])
            for j, use in held:
                hold = d.hold.get((row, j))
                if hold is not None:
                    self.env.process(self.release(use.resource, use.amount, start + hold[i], row))
            if completion > self.env.now:
                yield self.wait_until(completion)
            for j, use in held:
                if (row, j) not in d.hold:
                    self.released_by[use.resource] = row
                    self.resources[use.resource].release(use.amount)
            t = completion
            ok = (not plan.needs_attempts[row]) or (
                k >= self.fails.get(row, 0) and d.attempt_u[row][k, i] < d.success[row][i]
            )
            if ok:
                if t < end_of_day(sc.horizon_days):
                    self.finish[row, i] = t
                    self.done[row].succeed()
                return

    def conditioned(self, row: int, start: float) -> None:
        """Draw the milestone's own inputs on condition that it is not done by as_of (see condition)."""
        i, d = self.i, self.d
        self.reached.add(row)
        scale = d.scale[row][i] if row in d.scale else 1.0
        add = d.add[row][i] if row in d.add else 0.0
        # timing.threshold_of_base on one iteration, in the same IEEE arithmetic.
        bound = scale > 0 and math.isfinite(start)
        threshold = (self.late[row] - start - add) / scale if bound else -math.inf
        if threshold < self.ms[row].duration.low:
            # Every draw completes after the status day: the free draw is the conditioned one,
            # and no attempt is forced to fail (condition's proposal takes that branch surely).
            d.duration[row, i] = self.free[row][i]
            return
        rounds = None
        if row in d.cond_shape:
            if row not in self.rounds:
                self.rounds[row] = d.condition_rounds(row)
            rounds = self.rounds[row]
        got = condition(self.plan, d, row, np.array([i]), _one(start), d.scale_of(row), d.add_of(row), rounds)
        d.duration[row, i] = got.base[0]
        if got.retry is not None and got.retry.size:
            d.retry_after[row][:, i] = got.retry[:, 0]
        if got.fails is not None:
            self.fails[row] = int(got.fails[0])
            d.forced_fails[row][i] = self.fails[row]

    def release(self, resource: str, amount: int, at: float, row: int) -> Generator[Any, Any, None]:
        yield self.wait_until(at)
        self.released_by[resource] = row
        self.resources[resource].release(amount)
