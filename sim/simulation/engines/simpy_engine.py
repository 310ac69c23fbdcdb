"""The reference engine: a SimPy process per milestone that reads like the milestone's story.

Wait for the predecessors (plus lags); if cancelled, never finish; otherwise, for each attempt,
take the resources it uses (first come, first served; ties by plan order), work, wait for the
earliest date and the next window, give the resources back, and succeed or try again.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from sim.doneby import end_of_day
from sim.scenario.model import Milestone, Window
from sim.simulation.engines.clock import Clock
from sim.simulation.engines.condition import condition
from sim.simulation.engines.decide import NOT_DECIDED, decide
from sim.simulation.engines.output import EngineOutput, Realised
from sim.simulation.engines.pool import Pools
from sim.simulation.engines.queued import Queued
from sim.simulation.engines.timing import complete, late_after, work
from sim.simulation.plan import Plan


@dataclass(frozen=True)
class _Row:
    """What a milestone's process needs, looked up once per chunk rather than per iteration."""

    m: Milestone
    preds: tuple[int, ...]
    lags: tuple[int, ...]  # lag slot per predecessor, -1 for none
    cancel: np.ndarray | None
    scale: np.ndarray | None
    add: np.ndarray | None
    attempts: int  # 1 unless the milestone needs attempts
    conditioned: bool
    simple: bool  # no actual, resources, attempts or condition: `_Iteration.simple` runs it


def run(plan: Plan, realised: Realised, out: EngineOutput) -> None:
    """Fill `out` (finish days set to inf and drivers to -1 by the caller) for every iteration."""
    ms = plan.milestones
    deciding = frozenset(row for row in plan.deciding if plan.ids[row] in realised.decision_u)
    # Where the status date does not bind (the threshold lies below the support), the
    # conditioned draw equals the free one, computed here once for the chunk.
    free = {row: realised.free_draw(row, ms[row].duration) for row in realised.duration_u}
    as_of = plan.scenario.as_of_days
    late = {
        row: late_after(end_of_day(as_of), ms[row].not_before, ms[row].window)
        for row in realised.duration_u
        if as_of is not None
    }
    rows = tuple(
        _Row(
            m,
            tuple(link.pred for link in plan.links[row]),
            tuple(link.lag for link in plan.links[row]),
            realised.cancel.get(row),
            realised.scale.get(row),
            realised.add.get(row),
            realised.attempt_u[row].shape[0] if plan.needs_attempts[row] else 1,
            plan.conditioned[row],
            m.actual is None
            and not m.uses
            and not plan.needs_attempts[row]
            and not plan.conditioned[row]
            and row not in deciding,
        )
        for row, m in enumerate(ms)
    )
    rounds: dict[int, np.ndarray] = {}  # filled the first time a milestone needs them
    queued = Queued.of(plan, realised)
    has_lags = realised.lag.shape[0] > 0
    for i in range(realised.n):
        while True:
            it = _Iteration(plan, rows, realised, i, free, late, rounds)
            it.queued = queued
            it.deciding = deciding
            # The iteration's inputs as Python floats: one NumPy call per iteration, not per milestone.
            it.duration = realised.duration[:, i].tolist()
            it.lag = realised.lag[:, i].tolist() if has_lags else []
            it.run()
            if queued is None or queued.accepted(slice(i, i + 1))[0]:
                break
            # Not kept: the whole iteration again, with the queued rows' next round.
            queued.next_round(np.array([i]))
            realised.reset_effects(i)
            for row in queued.rows:
                realised.retry_after[row][:, i] = realised.draws.retry_after[row][:, i]
                realised.forced_fails[row][i] = 0
        out.finish[:, i] = it.finish
        out.driver[:, i] = it.driver
        for mid, taken in out.outcome.items():
            taken[i] = it.chosen.get(mid, NOT_DECIDED)


def _one(x: float) -> np.ndarray:
    return np.array([x], dtype=float)


def _scaled_end(r: _Row, i: int, start: float, base: float) -> float:
    """The end of work `base` started at `start`, with the row's scale and add in iteration i."""
    if r.scale is None and r.add is None:
        return start + base
    scale = float(r.scale[i]) if r.scale is not None else 1.0
    add = float(r.add[i]) if r.add is not None else 0.0
    return start + float(work(base, scale, add))


def _complete(end: float, not_before: float | None, window: Window | None) -> float:
    """timing.complete on one moment: the same comparisons, so the same bits."""
    if window is not None:
        return float(complete(_one(end), not_before, window)[0])
    if not_before is not None and not_before > end:
        return not_before
    return end


class _Iteration:
    def __init__(
        self,
        plan: Plan,
        rows: tuple[_Row, ...],
        realised: Realised,
        i: int,
        free: dict[int, np.ndarray],
        late: dict[int, float],
        rounds: dict[int, np.ndarray],
    ) -> None:
        self.free = free
        self.late = late
        self.rounds = rounds
        self.rows = rows
        self.plan = plan
        self.realised = realised
        self.i = i
        m_count = len(rows)
        self.finish = [math.inf] * m_count
        self.driver = [-1] * m_count
        self.duration: list[float] = []
        self.lag: list[float] = []
        self.env = Clock()
        sc = plan.scenario
        self.pools = Pools(self.env, {rid: r.capacity for rid, r in sc.resources.items()})
        self.done = [self.env.event() for _ in rows]
        # How many leading attempts a status date makes fail, per conditioned row.
        self.fails: dict[int, int] = {}
        # Conditioned rows whose draws this iteration has made.
        self.reached: set[int] = set()
        self.horizon_end = end_of_day(sc.horizon_days)
        self.direct = not plan.uses_resources
        self.queued: Queued | None = None
        # Conditional decisions (rows) this run chooses, and the outcomes chosen so far.
        self.deciding: frozenset[int] = frozenset()
        self.chosen: dict[str, int] = {}
        # When each failed attempt of a row that a `failed` condition counts completed.
        self.failed_at: dict[int, list[float]] = {}

    def succeeded(self, row: int, t: float) -> None:
        """The attempt completing at `t` succeeded: the milestone is done, if before the horizon."""
        if t < self.horizon_end:
            self.finish[row] = t
            self.finish_at(row)

    def finish_at(self, row: int) -> None:
        """Milestone `row` is done now: its successors may go on, once a conditional decision has
        chosen its outcome, after everything else due at this moment (see `decide`)."""
        if row not in self.deciding:
            self.done[row].succeed()
            return
        # Decisions due at the same moment choose in row order, the order in which the vector
        # engine settles them, and each after every other event of the moment.
        rank = (row + 1) / (len(self.rows) + 1)
        self.env.at_the_end_of_moment(lambda _: self.decide(row), rank)

    def decide(self, row: int) -> None:
        at = np.array([self.finish[row]])
        got = decide(self.plan, self.realised, row, np.array([self.i]), at, self)
        self.chosen[self.plan.ids[row]] = int(got[0])
        self.done[row].succeed()

    def finished(self, row: int) -> np.ndarray:
        """`decide.State`: the milestone's finish so far, for this iteration."""
        return np.array([self.finish[row]])

    def failures(self, row: int) -> np.ndarray:
        """`decide.State`: when each failed attempt so far completed, for this iteration."""
        times = self.failed_at.get(row, [])
        return np.array(times if times else [np.inf]).reshape(-1, 1)

    def run(self) -> None:
        process, milestone, simple = self.env.process, self.milestone, self.simple
        for row, r in enumerate(self.rows):
            process(simple(row) if r.simple else milestone(row))
        self.env.run()
        for row in self.realised.duration_u:
            if row not in self.reached and self.plan.conditioned[row]:
                # Never reached (a predecessor never completed): its inputs are the free draws,
                # as the vector engine's conditioning gives them for a start that never comes.
                self.conditioned(row, math.inf)

    def simple(self, row: int) -> Generator[Any, Any, None]:
        """`milestone` for one that has no actual, resources, attempts or status-date condition.

        Without resources in the plan the order of same-time events changes no number, so the
        predecessors' events are waited for one after the other rather than through a condition
        (which costs SimPy an event of its own and a callback per predecessor).
        """
        r = self.rows[row]
        env, finish, i = self.env, self.finish, self.i
        preds = r.preds
        ready = 0.0
        if preds:
            done = self.done
            if self.direct:
                for p in preds:
                    if done[p].callbacks is not None:  # not yet processed
                        yield done[p]
            else:
                yield env.all_of([done[p] for p in preds])
            ready = self.arrival(r, row)
        if ready > env.now:
            yield env.at(ready)
        if r.cancel is not None and r.cancel[i]:
            return
        end = _scaled_end(r, i, ready, self.duration[row])
        m = r.m
        if m.not_before is not None and end <= m.not_before:
            self.driver[row] = -1
        completion = _complete(end, m.not_before, m.window)
        if completion > env.now:
            yield env.at(completion)
        if completion < self.horizon_end:
            finish[row] = completion
            self.done[row].succeed()

    def arrival(self, r: _Row, row: int) -> float:
        """When the last predecessor (plus its lag) arrives, once all are done; that one drives."""
        finish, lag = self.finish, self.lag
        ready, pick = 0.0, 0
        for k, p in enumerate(r.preds):
            slot = r.lags[k]
            arrival = finish[p] + lag[slot] if slot >= 0 else finish[p]
            if k == 0 or arrival > ready:  # the first of equal arrivals drives
                ready, pick = arrival, k
        self.driver[row] = r.preds[pick]
        return ready

    def wait_until(self, t: float) -> simpy.Event:
        return self.env.at(t)

    def milestone(self, row: int) -> Generator[Any, Any, None]:
        r = self.rows[row]
        m = r.m
        if m.actual is not None:
            yield self.wait_until(m.actual)
            self.finish[row] = m.actual
            self.finish_at(row)
            return
        preds = r.preds
        ready = 0.0
        if preds:
            done = self.done
            yield self.env.all_of([done[p] for p in preds])
            ready = self.arrival(r, row)
        if ready > self.env.now:
            yield self.wait_until(ready)
        if self.cancelled(row, r, ready):
            return
        t = ready
        for k in range(r.attempts):
            held: list[tuple[int, Any, Any]] = []
            start = yield from self.acquire(row, k, t, held)
            end = self.first_end(row, r, start) if k == 0 else self.retry_end(row, k, start)
            completion = _complete(end, m.not_before, m.window)
            self.hold(row, held, start)
            if completion > self.env.now:
                yield self.wait_until(completion)
            self.release_held(row, held)
            t = completion
            if self.attempt_ends(row, k, t):
                return

    def cancelled(self, row: int, r: _Row, ready: float) -> bool:
        """Whether an effect cancelled the milestone (its inputs then drawn as if it had started,
        as the vector engine draws them: the same inputs for the sensitivity whatever the engine)."""
        if r.cancel is None or not r.cancel[self.i]:
            return False
        if r.conditioned:
            self.conditioned(row, ready)
        return True

    def acquire(
        self, row: int, k: int, t: float, held: list[tuple[int, Any, Any]]
    ) -> Generator[Any, Any, float]:
        """Request the attempt's resources (appended to `held`) in order; return when its work starts."""
        waited_for = -1
        for j, use in enumerate(self.rows[row].m.uses):
            # (request time, plan row): first come, first served, ties in plan order.
            grant = yield self.pools.request(use.resource, use.amount, (t, row))
            if self.env.now > t:
                # The release that came last before the grant made the start possible.
                waited_for = self.pools.released_by(use.resource)
            held.append((j, use, grant))
        start = t if not held else max(t, self.env.now)
        if k == 0 and start > t and waited_for >= 0:
            # The work started late because a resource was busy: the milestone that freed it,
            # not the predecessor, set the start.
            self.driver[row] = waited_for
        return start

    def first_end(self, row: int, r: _Row, start: float) -> float:
        """When the first attempt's work ends (its inputs conditioned on the status date if so)."""
        i, realised, m = self.i, self.realised, r.m
        as_of = self.plan.scenario.as_of_days
        if r.conditioned:
            assert as_of is not None
            self.conditioned(row, start)
            base = float(realised.duration[row, i])
        else:
            base = self.duration[row]
        if math.isnan(base):
            # Nothing it could draw completes after the status day (see the vector engine).
            end = end_of_day(as_of) if as_of is not None else start
        else:
            end = _scaled_end(r, i, start, base)
        if m.not_before is not None and end <= m.not_before:
            self.driver[row] = -1
        return end

    def retry_end(self, row: int, k: int, start: float) -> float:
        """When retry k's work ends (drawn now if the row is queued)."""
        if self.queued is not None and row in self.queued.rows:
            self.queued_retry(row, k, start)
        return start + float(self.realised.retry_after[row][k - 1, self.i])

    def hold(self, row: int, held: list[tuple[int, Any, Any]], start: float) -> None:
        """Release at their own times the resources the attempt holds for a drawn time."""
        for j, use, grant in held:
            hold = self.realised.hold.get((row, j))
            if hold is not None:
                at = start + float(hold[self.i])
                self.env.process(self.release(use.resource, use.amount, grant, at, row))

    def release_held(self, row: int, held: list[tuple[int, Any, Any]]) -> None:
        """Release, as the attempt completes, the resources it holds for its whole work."""
        for j, use, grant in held:
            if (row, j) not in self.realised.hold:
                self.pools.release(use.resource, use.amount, grant, row)

    def attempt_ends(self, row: int, k: int, t: float) -> bool:
        """Attempt k completed at `t`: whether it succeeded (then the milestone is done)."""
        plan, realised, i = self.plan, self.realised, self.i
        ok = not plan.needs_attempts[row] or (
            k >= self.fails.get(row, 0) and realised.attempt_u[row][k, i] < realised.success[row][i]
        )
        if ok:
            self.succeeded(row, t)
            return True
        if row in plan.counted_failures:
            self.failed_at.setdefault(row, []).append(t)
        return False

    def queued_retry(self, row: int, k: int, start: float) -> None:
        """Draw retry k of a queued row now that it has started (see sim.simulation.engines.queued)."""
        assert self.queued is not None
        i, realised = self.i, self.realised
        x, going, forced = self.queued.retry(row, np.array([i]), np.array([k]), _one(start))
        if going[0]:
            realised.retry_after[row][k - 1, i] = x[0]
        if forced[0]:
            self.fails[row] = k + 1
            realised.forced_fails[row][i] = k + 1

    def conditioned(self, row: int, start: float) -> None:
        """Draw the milestone's own inputs on condition that it is not done by as_of (see condition)."""
        i, realised = self.i, self.realised
        self.reached.add(row)
        if self.queued is not None and row in self.queued.rows:
            scale = realised.scale[row][[i]] if row in realised.scale else 1.0
            add = realised.add[row][[i]] if row in realised.add else 0.0
            base, fails = self.queued.first(row, np.array([i]), _one(start), scale, add)
            realised.duration[row, i] = base[0]
            self.fails[row] = int(fails[0])
            realised.forced_fails[row][i] = self.fails[row]
            return
        scale = realised.scale[row][i] if row in realised.scale else 1.0
        add = realised.add[row][i] if row in realised.add else 0.0
        # timing.threshold_of_base on one iteration, in the same IEEE arithmetic.
        bound = scale > 0 and math.isfinite(start)
        threshold = (self.late[row] - start - add) / scale if bound else -math.inf
        if threshold < self.rows[row].m.duration.low:
            # Every draw completes after the status day: the free draw is the conditioned one,
            # and no attempt is forced to fail (condition's proposal takes that branch surely).
            realised.duration[row, i] = self.free[row][i]
            return
        rounds = None
        if row in realised.cond_shape:
            if row not in self.rounds:
                self.rounds[row] = realised.condition_rounds(row)
            rounds = self.rounds[row]
        got = condition(
            self.plan,
            realised,
            row,
            np.array([i]),
            _one(start),
            realised.scale_of(row),
            realised.add_of(row),
            rounds,
        )
        realised.duration[row, i] = got.base[0]
        if got.retry is not None and got.retry.size:
            realised.retry_after[row][:, i] = got.retry[:, 0]
        if got.fails is not None:
            self.fails[row] = int(got.fails[0])
            realised.forced_fails[row][i] = self.fails[row]

    def release(
        self, resource: str, amount: int, grant: int, at: float, row: int
    ) -> Generator[Any, Any, None]:
        yield self.wait_until(at)
        self.pools.release(resource, amount, grant, row)
