"""Resources in the vector engine: every iteration's claims served in key order, one claim per step.

Claims on a resource are served in the order of their keys (request time, plan row), first come,
first served and no overtaking, as in the SimPy engine (sim.simulation.engines.pool). At each step, every
iteration serves its pending claim with the smallest key among those whose request time is
known. That is the next claim in key order: a claim whose request time is not yet known waits
for a milestone that waits for a pending claim, so it asks no earlier than that claim, and at
the same moment only with a later plan row (successors come later in the plan). A claim is
granted at the first moment, from its request and from the previous grant on the resource,
when `amount` units are free; a resource's state is the moment each unit is next free.

Milestones that no resource user precedes are computed first, a row at a time over all
iterations; the others are filled in between the steps for the iterations whose predecessors
are known (NaN marks a finish not yet known).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.simulation.engines.rows import ALL, Rows
from sim.simulation.engines.timing import complete
from sim.simulation.plan import Plan


@dataclass
class _Resource:
    """One resource over a chunk: (capacity, n) moments each unit is next free, sorted per column."""

    units: np.ndarray
    last_grant: np.ndarray
    # Per step: (release moment, row) of the claim served on this resource, NaN / -1 elsewhere.
    served: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)


def affected_rows(plan: Plan) -> tuple[list[bool], list[bool]]:
    """Per row: whether it claims a resource, and whether it does or comes after one that does
    (the rows settled between claims; the others are settled first, in row order)."""
    user = [bool(m.uses) and m.actual is None for m in plan.milestones]
    affected = list(user)
    for row in range(len(user)):
        if any(affected[link.pred] for link in plan.links[row]):
            affected[row] = True
    return user, affected


def run_claims(rows: Rows) -> None:
    """Fill `rows.out` for a plan whose milestones use at most one resource each.

    A conditional decision is chosen as its row is settled; the engine runs only plans in which
    such decisions, and what their conditions read, come before every resource claim
    (`sim.simulation.engines.why_not_vector`)."""
    plan, realised, out = rows.plan, rows.realised, rows.out
    ms = plan.milestones
    n = realised.n
    m_count = len(ms)
    user, affected = affected_rows(plan)
    for row in range(m_count):
        if affected[row]:
            continue
        if rows.plain(row):
            rows.settle_plain(row)
        else:
            rows.settle(row, ALL)
        rows.decide(row)
    later = [row for row in range(m_count) if affected[row]]
    users = [row for row in later if user[row]]
    if not users:  # every milestone that names a resource has an actual: no claims
        return
    out.finish[later] = np.nan
    resources = {
        rid: _Resource(np.full((r.capacity, n), -np.inf), np.full(n, -np.inf))
        for rid, r in plan.scenario.resources.items()
    }
    # Per user row: the request time of its pending claim (NaN: not known yet; inf: none).
    request = {row: np.full(n, np.nan) for row in users}
    attempt = {row: np.zeros(n, dtype=np.int64) for row in users}
    unasked = {row: np.ones(n, dtype=bool) for row in users}
    open_rows = list(later)
    while True:
        open_rows = _propagate(rows, open_rows, user, request, unasked)
        keys = np.stack([request[row] for row in users])
        keys = np.where(np.isnan(keys), np.inf, keys)
        pick = np.argmin(keys, axis=0)  # equal request times: the first user in plan order
        t = np.take_along_axis(keys, pick[None, :], axis=0)[0]
        active = np.isfinite(t)
        if not active.any():
            break
        for res in resources.values():
            res.served.append((np.full(n, np.nan), np.full(n, -1, dtype=np.int16)))
        for j, row in enumerate(users):
            cols = np.flatnonzero(active & (pick == j))
            if cols.size:
                _serve(rows, row, cols, t[cols], resources, request, attempt)
    assert not np.isnan(out.finish).any()


def _known(rows: Rows, row: int) -> np.ndarray:
    """Where every predecessor's finish is known."""
    finish = rows.out.finish
    preds = rows.plan.links[row]
    ok = np.ones(rows.n, dtype=bool)
    for link in preds:
        ok &= ~np.isnan(finish[link.pred])
    return ok


def _propagate(
    rows: Rows,
    open_rows: list[int],
    user: list[bool],
    request: dict[int, np.ndarray],
    unasked: dict[int, np.ndarray],
) -> list[int]:
    """Fill every finish (and first request) that the known finishes allow; returns rows still open."""
    out = rows.out
    still = []
    for row in open_rows:
        if user[row]:
            cols = np.flatnonzero(unasked[row] & _known(rows, row))
            if cols.size:
                _ask(rows, row, cols, request)
                unasked[row][cols] = False
            if unasked[row].any():
                still.append(row)
            continue
        cols = np.flatnonzero(np.isnan(out.finish[row]) & _known(rows, row))
        if cols.size:
            rows.settle(row, cols)
        if np.isnan(out.finish[row]).any():
            still.append(row)
    return still


def _ask(rows: Rows, row: int, cols: np.ndarray, request: dict[int, np.ndarray]) -> None:
    """A resource user's first request, once its predecessors are done: at its ready time."""
    plan, realised, out = rows.plan, rows.realised, rows.out
    ready, driver = rows.arrival(row, cols)
    out.driver[row, cols] = driver
    cancelled = realised.cancel[row][cols] if row in realised.cancel else np.zeros(cols.size, dtype=bool)
    never = cancelled | ~np.isfinite(ready)
    if plan.conditioned[row] and never.any():
        # No claim, but its inputs are drawn as if it had started (never: from a start of inf),
        # as for a milestone without resources: the same inputs for the sensitivity.
        rows.first_attempt(row, cols[never], ready[never])
    out.finish[row, cols[never]] = np.inf
    request[row][cols] = np.where(never, np.inf, ready)


def _serve(
    rows: Rows,
    row: int,
    cols: np.ndarray,
    t: np.ndarray,
    resources: dict[str, _Resource],
    request: dict[int, np.ndarray],
    attempt: dict[int, np.ndarray],
) -> None:
    """Grant milestone `row`'s pending claim in iterations `cols` (requested at `t`) and run the attempt."""
    plan, realised, out = rows.plan, rows.realised, rows.out
    m = rows.milestones[row]
    (use,) = m.uses
    res = resources[use.resource]
    k = attempt[row][cols]
    start = np.maximum(np.maximum(t, res.last_grant[cols]), res.units[use.amount - 1, cols])
    first = k == 0
    end = np.empty(cols.size)
    if first.any():
        f = np.flatnonzero(first)
        waited = f[start[f] > t[f]]
        if waited.size:
            # The release that came last before the grant (ties: the later-served claim) set the
            # start, not the predecessor.
            g = start[waited]
            when = np.full(waited.size, -np.inf)
            who = np.full(waited.size, -1, dtype=np.int16)
            for rel, by in res.served[:-1]:
                r = rel[cols[waited]]
                later = r <= g
                later &= r >= when
                when = np.where(later, r, when)
                who = np.where(later, by[cols[waited]], who)
            has = who >= 0
            out.driver[row, cols[waited[has]]] = who[has]
        e, _ = rows.first_attempt(row, cols[f], start[f])
        end[f] = e
        if m.not_before is not None:
            late = f[e <= m.not_before]
            out.driver[row, cols[late]] = -1
    if not first.all():
        r = np.flatnonzero(~first)
        queued = rows.queued
        if queued is not None and row in queued.rows:
            # Drawn now that the retry has its start, after any wait (sim.simulation.engines.queued).
            x, going, forced = queued.retry(row, cols[r], k[r], start[r])
            prior = realised.retry_after[row][k[r] - 1, cols[r]]
            realised.retry_after[row][k[r] - 1, cols[r]] = np.where(going, x, prior)
            forced_fails = realised.forced_fails[row]
            forced_fails[cols[r]] = np.where(forced, k[r] + 1, forced_fails[cols[r]])
        end[r] = start[r] + realised.retry_after[row][k[r] - 1, cols[r]]
    completion = complete(end, m.not_before, m.window)
    hold = realised.hold.get((row, 0))
    release = start + hold[cols] if hold is not None else completion
    units = res.units[:, cols]
    units[: use.amount] = release
    units.sort(axis=0)
    res.units[:, cols] = units
    res.last_grant[cols] = start
    served_at, served_by = res.served[-1]
    served_at[cols] = release
    served_by[cols] = row
    if plan.needs_attempts[row]:
        ok = realised.attempt_u[row][k, cols] < realised.success[row][cols]
        fails = realised.forced_fails.get(row)
        if fails is not None:
            ok &= k >= fails[cols]
    else:
        ok = np.ones(cols.size, dtype=bool)
    attempts = realised.attempt_u[row].shape[0] if plan.needs_attempts[row] else 1
    again = ~ok & (k + 1 < attempts)
    out.finish[row, cols] = np.where(ok & (completion < rows.horizon_end), completion, np.inf)
    out.finish[row, cols[again]] = np.nan
    request[row][cols] = np.where(again, completion, np.inf)
    attempt[row][cols] = np.where(again, k + 1, k)
