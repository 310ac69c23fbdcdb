"""Status-date conditioning: a milestone's own draws given that it is not done by the as_of day.

The condition is on the milestone's completion (after any window wait, `not_before` and
retries), not on the end of its work. Both engines call `condition` on the same draws, for any
subset of the iterations (every step is elementwise), so they agree to the last bit.

Without attempts, the completion is after the status day exactly when the drawn duration
exceeds a threshold (`timing.late_after`), so the duration is drawn from its distribution
conditioned above it by the inverse CDF: exact, no rejection.

With attempts (success < 1, retries), let N be the number of attempts that would complete by
the status day. The milestone is not done by then exactly when those N attempts all fail, which
has probability w^N (w = 1 - success) and does not depend on when they complete; the attempts
after the N-th are free. So the conditioned law of the attempt times is the prior weighted by
w^N. It is sampled by rejection with a proposal that, attempt by attempt, either lets the
attempt complete after the status day (drawn above its threshold) or before it (drawn below,
forced to fail), choosing between the two in proportion to q_k and (1 - q_k)·w, where q_k is
the chance of the attempt completing after the day. The proposal's density is the target's
divided by the product of Z_k = q_k + (1 - q_k)·w over the attempts it drew; Z_1 is the same
for every proposal of an iteration, so a proposal is accepted with probability Z_2·Z_3·…
(1 with no retries). A few rounds are drawn for the chunk; an iteration that none of them
accepts continues from a stream of its own (seeded from the chunk's seed, the milestone's row
and the iteration), so the result is exact and independent of engines, workers and chunks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.doneby import end_of_day
from sim.scenario.distributions import Distribution
from sim.simulation.engines.output import Realised
from sim.simulation.engines.timing import complete, late_after, ppf_below, threshold_of_base, work
from sim.simulation.plan import Plan
from sim.simulation.sampling import fallback_rng

# Proposals drawn per fallback step for an iteration that the pre-drawn rounds did not settle,
# and the most steps before giving up: an acceptance rate below about 1 in 16,000 means that
# almost every future of the milestone was over by the status date (the scenario needs an
# actual), and sampling it exactly would take minutes per thousand iterations.
FALLBACK_BATCH = 256
FALLBACK_STEPS = 64


@dataclass
class Conditioned:
    """A conditioned milestone's own draws for some iterations.

    `base`: the drawn duration (NaN where no duration ends after the status day: the milestone
    then completes at the first possible moment after that day); `retry` (attempts - 1, m): the
    retry delays; `fails` (m,): how many leading attempts fail (they would complete by the
    status day). `retry` and `fails` are None for a milestone without attempts.
    """

    base: np.ndarray
    retry: np.ndarray | None = None
    fails: np.ndarray | None = None


def condition(
    plan: Plan,
    realised: Realised,
    row: int,
    cols: np.ndarray,
    start: np.ndarray,
    scale: np.ndarray | float,
    add: np.ndarray | float,
    rounds_cache: np.ndarray | None = None,
) -> Conditioned:
    """The conditioned draws of milestone `row` in iterations `cols` (starting at `start`).

    `rounds_cache`: `realised.condition_rounds(row)` when the caller keeps it across calls.
    """
    sc = plan.scenario
    assert sc.as_of_days is not None
    m = plan.scenario.milestones[plan.ids[row]]
    late = late_after(end_of_day(sc.as_of_days), m.not_before, m.window)
    scale_c = scale[cols] if isinstance(scale, np.ndarray) else scale
    add_c = add[cols] if isinstance(add, np.ndarray) else add
    threshold = threshold_of_base(late, start, scale_c, add_c)
    if row not in realised.cond_shape:
        return Conditioned(m.duration.ppf_above(realised.duration_u[row][cols], threshold))
    rounds = realised.condition_rounds(row) if rounds_cache is None else rounds_cache
    attempts = (rounds.shape[1] - 1) // 2
    m_count = cols.size
    prior = realised.draws.retry_after.get(row, np.empty((0, realised.n)))[:, cols]
    w = 1.0 - realised.success[row][cols]
    out = Conditioned(np.full(m_count, np.nan), prior.copy(), np.zeros(m_count, dtype=np.int64))
    pending = np.ones(m_count, dtype=bool)
    for r in range(rounds.shape[0]):
        idx = np.flatnonzero(pending)
        if idx.size == 0:
            break
        u = rounds[r][:, cols[idx]]
        if r == 0:
            u[0] = realised.duration_u[row][cols[idx]]  # keeps a correlation group's uniform
        scale_i, add_i = _at(scale_c, idx), _at(add_c, idx)
        columns = _Columns(start[idx], scale_i, add_i, threshold[idx], w[idx], prior[:, idx])
        prop = _propose(plan, row, late, u, columns)
        _settle(out, idx, prop)
        pending[idx] = False
        pending[idx[~_accepted(out, idx)]] = True
    for j in np.flatnonzero(pending):
        rng = fallback_rng(realised.draws, row, int(cols[j]))
        for _ in range(FALLBACK_STEPS):
            u = rng.random((2 * attempts + 1, FALLBACK_BATCH))
            ones = np.ones(FALLBACK_BATCH)
            columns = _Columns(
                start[j] * ones,
                scale_c[j] * ones if isinstance(scale_c, np.ndarray) else scale_c,
                add_c[j] * ones if isinstance(add_c, np.ndarray) else add_c,
                threshold[j] * ones,
                w[j] * ones,
                np.repeat(prior[:, j : j + 1], FALLBACK_BATCH, axis=1),
            )
            prop = _propose(plan, row, late, u, columns)
            hit = np.flatnonzero(prop.accepted)
            if hit.size:
                k = int(hit[0])
                out.base[j] = prop.base[k]
                assert out.retry is not None and out.fails is not None
                out.retry[:, j] = prop.retry[:, k]
                out.fails[j] = prop.fails[k]
                break
        else:
            raise ValueError(
                f"milestone {m.id!r}: almost every simulated future has it done by as_of "
                f"{sc.as_of} (fewer than 1 in {FALLBACK_BATCH * FALLBACK_STEPS:,} are not); "
                "give it an actual, or a duration or success that fits the status date"
            )
    return out


@dataclass
class _Columns:
    """What a proposal needs of each column (iteration) it is drawn for."""

    start: np.ndarray
    scale: np.ndarray | float
    add: np.ndarray | float
    threshold: np.ndarray
    w: np.ndarray  # probability that an attempt fails
    prior: np.ndarray  # the retry draws before conditioning (attempts - 1, m)


@dataclass
class _Proposal:
    base: np.ndarray
    retry: np.ndarray
    fails: np.ndarray
    accepted: np.ndarray


def _at(x: np.ndarray | float, idx: np.ndarray) -> np.ndarray | float:
    return x[idx] if isinstance(x, np.ndarray) else x


def _accepted(out: Conditioned, idx: np.ndarray) -> np.ndarray:
    """Whether the proposal just settled for columns `idx` was accepted (NaN-free marker)."""
    assert out.fails is not None
    return out.fails[idx] >= 0


def _settle(out: Conditioned, idx: np.ndarray, prop: _Proposal) -> None:
    """Write accepted proposals into `out`; rejected columns get fails = -1 (still pending)."""
    assert out.retry is not None and out.fails is not None
    ok = prop.accepted
    out.base[idx] = np.where(ok, prop.base, np.nan)
    out.retry[:, idx] = np.where(ok, prop.retry, out.retry[:, idx])
    out.fails[idx] = np.where(ok, prop.fails, -1)


def first_step(
    dist: Distribution, u_base: np.ndarray, u_after: np.ndarray, threshold: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first attempt's proposal: its drawn duration (NaN where Z_1 = 0: nothing drawn ends
    late and the attempt cannot fail), whether it is forced to fail (it completes by the day)
    and Z_1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        q = 1.0 - dist.cdf(threshold)
        z = q + (1.0 - q) * w
        after = u_after < np.where(z > 0, q / z, 1.0)
        base = np.where(after, dist.ppf_above(u_base, threshold), ppf_below(dist, u_base, threshold))
    return np.where(z > 0, base, np.nan), ~after & (z > 0), z


def retry_step(
    dist: Distribution, th: np.ndarray, u_x: np.ndarray, u_later: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A retry's proposal, its work to end after `th` or not: (drawn time, completes late, Z_k)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        qk = 1.0 - dist.cdf(th)
        zk = qk + (1.0 - qk) * w
        later = u_later < np.where(zk > 0, qk / zk, 1.0)
        x = np.where(later, dist.ppf_above(u_x, th), ppf_below(dist, u_x, th))
    return x, later, zk


def _propose(
    plan: Plan,
    row: int,
    late: float,
    u: np.ndarray,
    columns: _Columns,
) -> _Proposal:
    """One proposal per column from uniforms u (2·attempts + 1, m); see the module docstring."""
    start, scale, add, threshold, w = columns.start, columns.scale, columns.add, columns.threshold, columns.w
    m = plan.scenario.milestones[plan.ids[row]]
    attempts = (u.shape[0] - 1) // 2
    base, going, _ = first_step(m.duration, u[0], u[1], threshold, w)
    fails = going.astype(np.int64)
    weight = np.ones(threshold.shape)
    retry = columns.prior.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        t = complete(start + work(np.where(np.isnan(base), 0.0, base), scale, add), m.not_before, m.window)
        for k in range(1, attempts):
            assert m.retry is not None
            th = np.where(going, late - t, -np.inf)
            x, later, zk = retry_step(m.retry.after, th, u[2 * k], u[2 * k + 1], w)
            weight = np.where(going, weight * zk, weight)
            retry[k - 1] = np.where(going, x, retry[k - 1])
            t = np.where(going, complete(t + x, m.not_before, m.window), t)
            fails = fails + (going & ~later)
            going = going & ~later
    accepted = u[2 * attempts] < weight
    return _Proposal(base, retry, fails, accepted)
