"""A milestone's finish days and drivers from its predecessors', for all iterations or some."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.doneby import end_of_day
from sim.simulation.engines.condition import condition
from sim.simulation.engines.decide import decide
from sim.simulation.engines.output import EngineOutput, Realised
from sim.simulation.engines.timing import Values, complete, late_after, threshold_of_base, work
from sim.simulation.plan import Plan

if TYPE_CHECKING:
    from sim.simulation.engines.queued import Queued

# Every iteration of the chunk: indexing with it gives views, not copies.
ALL = slice(None)
Cols = slice | np.ndarray


class Rows:
    """Computes a milestone's finish days and drivers from its predecessors', for some iterations.

    Every computation is elementwise over iterations, so a row computed for a few iterations at
    a time (as the resource engine does) has the same bits as for all at once.
    """

    def __init__(self, plan: Plan, realised: Realised, out: EngineOutput) -> None:
        self.plan = plan
        self.realised = realised
        self.out = out
        self.n = realised.n
        self.horizon_end = end_of_day(plan.scenario.horizon_days)
        self.milestones = plan.milestones
        self.pred_rows = tuple(np.array([x.pred for x in links], dtype=np.int16) for links in plan.links)
        # Conditioned rows whose retries queue for a resource (set by the vector engine).
        self.queued: Queued | None = None
        # When each failed attempt completed (inf: none), for the rows `failed` conditions count.
        self.failed_at: dict[int, np.ndarray] = {}

    def finished(self, row: int) -> np.ndarray:
        """A settled row's finish days (the state a conditional decision reads, `decide.State`)."""
        return self.out.finish[row]

    def decide(self, row: int) -> None:
        """If `row` is a conditional decision (not forced), choose its outcome in every iteration
        now that it is settled, and fold in the chosen effects (`decide.decide`)."""
        mid = self.plan.ids[row]
        if mid in self.out.outcome:
            self.out.outcome[mid][...] = decide(
                self.plan, self.realised, row, ALL, self.out.finish[row], self
            )

    def failures(self, row: int) -> np.ndarray:
        """When each failed attempt of a settled row completed, inf where none (`decide.State`)."""
        got = self.failed_at.get(row)
        return got if got is not None else np.full((1, self.n), np.inf)

    def size(self, cols: Cols) -> int:
        return self.n if isinstance(cols, slice) else cols.size

    def arrival(self, row: int, cols: Cols) -> tuple[np.ndarray, np.ndarray | int]:
        """When the last predecessor (plus its lag) arrives, and which one that is (the first of equals)."""
        finish, lag = self.out.finish, self.realised.lag
        links = self.plan.links[row]
        if not links:
            return np.zeros(self.size(cols)), -1
        first, rest = links[0], links[1:]
        ready = finish[first.pred, cols]
        if first.lag >= 0:
            ready = ready + lag[first.lag, cols]
        if not rest:
            return ready, first.pred
        driver = np.full(ready.shape, first.pred, dtype=np.int16)
        ready = ready.copy()
        for link in rest:
            arrival = finish[link.pred, cols]
            if link.lag >= 0:
                arrival = arrival + lag[link.lag, cols]
            # A running maximum, as argmax takes it: a later predecessor drives only when it
            # arrives strictly later, so the first of equal arrivals drives.
            later = arrival > ready
            np.copyto(driver, link.pred, where=later)
            np.maximum(ready, arrival, out=ready)
        return ready, driver

    def plain(self, row: int) -> bool:
        """Whether a row is only its predecessors' latest arrival plus its own work, in every iteration."""
        plan, realised = self.plan, self.realised
        m = self.milestones[row]
        return (
            m.actual is None
            and not plan.conditioned[row]
            and not plan.needs_attempts[row]
            and row not in realised.cancel
            and row not in realised.scale
            and row not in realised.add
            and m.not_before is None
            and m.window is None
        )

    def settle_plain(self, row: int) -> None:
        """`settle` for a plain row in every iteration, written in place: no temporary arrays."""
        finish, lag = self.out.finish, self.realised.lag
        fr, dr = finish[row], self.out.driver[row]
        base = self.realised.duration[row]
        links = self.plan.links[row]
        if not links:
            np.add(base, 0.0, out=fr)  # ready (0) + work, the same bits
            dr[...] = -1
        else:
            first = links[0]
            dr[...] = first.pred
            if first.lag >= 0:
                np.add(finish[first.pred], lag[first.lag], out=fr)
            elif len(links) == 1:
                np.add(finish[first.pred], base, out=fr)
            else:
                np.copyto(fr, finish[first.pred])
            for link in links[1:]:
                arrival = finish[link.pred] if link.lag < 0 else finish[link.pred] + lag[link.lag]
                np.copyto(dr, link.pred, where=arrival > fr)
                np.maximum(fr, arrival, out=fr)
            if first.lag >= 0 or len(links) > 1:
                fr += base
        if fr.max() >= self.horizon_end:  # a reduction, cheaper than a mask where none is cut
            np.copyto(fr, np.inf, where=fr >= self.horizon_end)

    def first_attempt(
        self, row: int, cols: Cols, start: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The end of the first attempt's work from `start`, and the attempts the status date fails.

        For a milestone conditioned on the status date, its own draws are made here (given the start).
        """
        plan, realised = self.plan, self.realised
        scale, add = realised.scale_of(row), realised.add_of(row)
        scale_c = scale[cols] if isinstance(scale, np.ndarray) else scale
        add_c = add[cols] if isinstance(add, np.ndarray) else add
        if not plan.conditioned[row]:
            return start + work(realised.duration[row, cols], scale_c, add_c), None
        as_of = plan.scenario.as_of_days
        assert as_of is not None
        index = np.arange(self.n)[cols]
        fails: np.ndarray | None
        if self.queued is not None and row in self.queued.rows:
            base, fails = self.queued.first(row, index, start, scale_c, add_c)
        else:
            base, fails = self._conditioned(row, index, start, scale, add)
        realised.duration[row, cols] = base
        if fails is not None:
            realised.forced_fails[row][cols] = fails
        impossible = np.isnan(base)
        end = start + work(np.where(impossible, 0.0, base), scale_c, add_c)
        if impossible.any():
            # Nothing the milestone could draw completes after the status day: it completes
            # at the first moment it can, the start of the next day.
            end = np.where(impossible & np.isfinite(start), end_of_day(as_of), end)
        return end, fails

    def _conditioned(
        self, row: int, index: np.ndarray, start: np.ndarray, scale: Values, add: Values
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """A conditioned row's own draws in iterations `index` (all attempts at once, see condition)."""
        plan, realised = self.plan, self.realised
        m = self.milestones[row]
        as_of = plan.scenario.as_of_days
        assert as_of is not None
        scale_c = scale[index] if isinstance(scale, np.ndarray) else scale
        add_c = add[index] if isinstance(add, np.ndarray) else add
        late = late_after(end_of_day(as_of), m.not_before, m.window)
        # Where the threshold lies below the support, every draw completes after the status
        # day: the conditioned draw is the free one (made once per chunk), no attempt is
        # forced to fail and the retry times keep their prior draws.
        free = threshold_of_base(late, start, scale_c, add_c) < m.duration.low
        base = realised.free_draw(row, m.duration)[index]
        fails = np.zeros(index.size, dtype=np.int64) if row in realised.cond_shape else None
        if not free.all():
            bound = np.flatnonzero(~free)
            got = condition(plan, realised, row, index[bound], start[bound], scale, add)
            base[bound] = got.base
            if got.retry is not None and got.retry.size:
                realised.retry_after[row][:, index[bound]] = got.retry
            if got.fails is not None and fails is not None:
                fails[bound] = got.fails
        return base, fails

    def attempts(self, row: int, cols: Cols, t: np.ndarray, fails: np.ndarray | None) -> np.ndarray:
        """When the first successful attempt completes (inf: none does), the first completing at
        `t`; for a row a `failed` condition counts, when each failed attempt completed."""
        plan, realised = self.plan, self.realised
        m = self.milestones[row]
        ok = realised.attempt_u[row][:, cols] < realised.success[row][cols]
        if fails is not None:
            # Attempts that would complete by the status day failed (see condition).
            ok = ok & (np.arange(ok.shape[0])[:, None] >= fails[None, :])
        done: np.ndarray = np.full(self.size(cols), np.inf)
        pending = np.ones(self.size(cols), dtype=bool)
        retry_after = realised.retry_after.get(row)
        counted = row in plan.counted_failures
        if counted and row not in self.failed_at:
            self.failed_at[row] = np.full((ok.shape[0], self.n), np.inf)
        for k in range(ok.shape[0]):
            if k > 0:
                assert retry_after is not None
                t = complete(t + retry_after[k - 1, cols], m.not_before, m.window)
            if counted:
                self.failed_at[row][k, cols] = np.where(self.failing(row, cols, pending & ~ok[k]), t, np.inf)
            done = np.where(pending & ok[k], t, done)
            pending &= ~ok[k]
        return done

    def failing(self, row: int, cols: Cols, failed: np.ndarray) -> np.ndarray:
        """The failed attempts that happen: a cancelled milestone makes none."""
        cancel = self.realised.cancel.get(row)
        return failed if cancel is None else failed & ~cancel[cols]

    def settle(self, row: int, cols: Cols) -> None:
        """Finish days and drivers of a milestone that uses no resource, in iterations `cols`."""
        plan, realised, out = self.plan, self.realised, self.out
        m = self.milestones[row]
        if m.actual is not None:
            out.finish[row, cols] = m.actual
            out.driver[row, cols] = -1
            return
        ready, driver = self.arrival(row, cols)
        end, fails = self.first_attempt(row, cols, ready)
        t = complete(end, m.not_before, m.window)
        if plan.needs_attempts[row]:
            t = self.attempts(row, cols, t, fails)
        if row in realised.cancel:
            t = np.where(realised.cancel[row][cols], np.inf, t)
        out.finish[row, cols] = np.where(t >= self.horizon_end, np.inf, t)
        if m.not_before is not None:
            driver = np.where(end <= m.not_before, -1, driver)
        out.driver[row, cols] = driver
