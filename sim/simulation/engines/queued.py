"""Status-date conditioning of a milestone whose retries ask for a resource: attempt by attempt.

`condition` draws every attempt of a milestone when its first attempt starts, each retry
starting when the attempt before it completes. A retry that asks for a resource may wait in
its queue, so whether it completes by the status day depends on the other milestones. Such a
milestone (conditioned on the status date, with retries, using a resource: a *queued* row) is
drawn instead when each attempt starts, at the start it actually has: the same proposal as
`condition`'s (`first_step`, `retry_step`), which lets an attempt complete after the status
day or before it (then forced to fail) in proportion to q_k and (1 - q_k)·w.

The proposal's density is the target's (the prior times w^N, N the attempts that complete by
the status day) divided by the product of Z_k over the attempts it drew that way, and the
Z_k of a retry is known only once the retry has started. So the whole iteration is run, and
kept with probability the product of the Z_k of its queued rows (Z_1 included where another
queued row's draws can move the row's first start: a predecessor, or a resource shared along
the way); otherwise it
is run again from the start with the next round of uniforms. Rounds are `condition_rounds`
first, then a stream of the iteration's own (`Draws.round_uniforms`), so both engines, any
workers and any chunking give the same bits.
"""

from __future__ import annotations

import numpy as np

from sim.doneby import end_of_day
from sim.simulation.engines.condition import first_step, retry_step
from sim.simulation.engines.output import Realised
from sim.simulation.engines.timing import late_after, threshold_of_base
from sim.simulation.plan import Plan

# Runs of one iteration before giving up: an acceptance below about 1 in 10,000 means almost
# every future of the milestones was over by the status date (the scenario needs actuals).
MAX_ROUNDS = 10_000


def queued_rows(plan: Plan) -> tuple[int, ...]:
    """Conditioned milestones with retries that use a resource that can make a claim wait."""
    binding = _binding(plan)
    return tuple(
        row
        for row, m in enumerate(plan.milestones)
        if plan.conditioned[row]
        and plan.needs_attempts[row]
        and m.retry is not None
        and m.retry.max
        and any(use.resource in binding for use in m.uses)
    )


def _binding(plan: Plan) -> set[str]:
    """Resources that can make a claim wait: their capacity is less than every claim of every
    attempt of their users at once (a claim holds its units at most until the next attempt's)."""
    need: dict[str, int] = {}
    for row, m in enumerate(plan.milestones):
        attempts = 1 + (m.retry.max if m.retry is not None and plan.needs_attempts[row] else 0)
        for use in m.uses:
            need[use.resource] = need.get(use.resource, 0) + use.amount * attempts
    return {rid for rid, r in plan.scenario.resources.items() if r.capacity < need.get(rid, 0)}


def _reached_by_others(plan: Plan, row: int, rows: tuple[int, ...]) -> bool:
    """Whether another queued row's draws can move `row`'s first start: it is among the
    milestones that precede `row`, or that share a resource with `row` or with one of those,
    and so on (its Z_1 then varies between proposals and counts in the weight)."""
    ms = plan.milestones
    binding = _binding(plan)
    users: dict[str, list[int]] = {}
    for r, m in enumerate(ms):
        for use in m.uses:
            users.setdefault(use.resource, []).append(r)
    seen, todo = {row}, [row]
    while todo:
        r = todo.pop()
        near = [link.pred for link in plan.links[r]]
        near += [other for use in ms[r].uses if use.resource in binding for other in users[use.resource]]
        for other in near:
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return any(other in seen for other in rows if other != row)


class Queued:
    """The queued rows' proposals over some iterations, each at its own round (see the module)."""

    def __init__(self, plan: Plan, realised: Realised, rows: tuple[int, ...], rounds: np.ndarray) -> None:
        sc = plan.scenario
        assert sc.as_of_days is not None
        self.plan, self.realised, self.rows = plan, realised, rows
        self.rounds = rounds.copy()
        self.count_first = {row: _reached_by_others(plan, row, rows) for row in rows}
        self.late = {
            row: late_after(
                end_of_day(sc.as_of_days), plan.milestones[row].not_before, plan.milestones[row].window
            )
            for row in rows
        }
        self.cached = {row: realised.condition_rounds(row) for row in rows}
        self.u = {row: self._uniforms(row, np.arange(realised.n)) for row in rows}
        self.going = {row: np.zeros(realised.n, dtype=bool) for row in rows}
        self.weight = {row: np.ones(realised.n) for row in rows}

    @classmethod
    def of(cls, plan: Plan, realised: Realised, rounds: np.ndarray | None = None) -> Queued | None:
        # The deterministic plan's draws have no proposal rounds: its attempts always succeed.
        rows = tuple(row for row in queued_rows(plan) if row in realised.cond_shape)
        if not rows:
            return None
        return cls(plan, realised, rows, np.zeros(realised.n, dtype=np.int64) if rounds is None else rounds)

    def _uniforms(self, row: int, cols: np.ndarray) -> np.ndarray:
        u = self.realised.round_uniforms(row, cols, self.rounds[cols], self.cached[row])
        # Round 0 keeps the drawn uniform of the duration (a correlation group's), as `condition`.
        u[0] = np.where(self.rounds[cols] == 0, self.realised.duration_u[row][cols], u[0])
        return u

    def first(
        self,
        row: int,
        cols: np.ndarray,
        start: np.ndarray,
        scale: np.ndarray | float,
        add: np.ndarray | float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The first attempt's duration in iterations `cols` (starting at `start`) and the
        attempts it forces to fail (0 or 1)."""
        m = self.plan.milestones[row]
        u = self.u[row]
        w = 1.0 - self.realised.success[row][cols]
        threshold = threshold_of_base(self.late[row], start, scale, add)
        base, forced, z = first_step(m.duration, u[0, cols], u[1, cols], threshold, w)
        self.going[row][cols] = forced
        if self.count_first[row]:
            self.weight[row][cols] = z
        else:
            self.weight[row][cols] = 1.0
        return base, forced.astype(np.int64)

    def retry(
        self, row: int, cols: np.ndarray, k: np.ndarray, start: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Retry k (1 for the first retry) starting at `start` in iterations `cols`: its drawn time
        where the attempts before it were all forced to fail (`going`), and whether it is forced too."""
        m = self.plan.milestones[row]
        assert m.retry is not None
        u = self.u[row]
        w = 1.0 - self.realised.success[row][cols]
        going = self.going[row][cols]
        th = np.where(going, self.late[row] - start, -np.inf)
        x, later, zk = retry_step(m.retry.after, th, u[2 * k, cols], u[2 * k + 1, cols], w)
        weight = self.weight[row][cols]
        self.weight[row][cols] = np.where(going, weight * zk, weight)
        forced = going & ~later
        self.going[row][cols] = forced
        return x, going, forced

    def accepted(self, cols: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Whether each iteration's proposals are kept: every queued row's, by its last uniform."""
        ok = np.ones(self.realised.n, dtype=bool)[cols]
        for row in self.rows:
            ok &= self.u[row][-1, cols] < self.weight[row][cols]
        return ok

    def next_round(self, cols: np.ndarray) -> None:
        """Iterations `cols` run again, with their next round of uniforms."""
        self.rounds[cols] += 1
        if self.rounds[cols].max(initial=0) >= MAX_ROUNDS:
            m = self.plan.milestones[self.rows[0]]
            ids = ", ".join(repr(self.plan.ids[row]) for row in self.rows)
            raise ValueError(
                f"milestone {ids}: almost every simulated future has it done by as_of "
                f"{self.plan.scenario.as_of} (fewer than 1 in {MAX_ROUNDS:,} are not); give it an "
                f"actual, or a duration or success that fits the status date ({m.id!r} first)"
            )
        for row in self.rows:
            self.u[row][:, cols] = self._uniforms(row, cols)
            self.going[row][cols] = False
            self.weight[row][cols] = 1.0
