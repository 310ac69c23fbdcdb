"""Conditional outcomes (`when`): choosing a decision's outcome from the state when it completes,
and folding the chosen outcome's effects into the milestones after it. Both engines call this with
the same state (the vector engine for a row's iterations at once, SimPy for one iteration), so
their choices and effects are the same bits."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from sim.scenario.model import Condition, Effect
from sim.simulation.engines.output import Realised
from sim.simulation.plan import Plan

# Where a decision never completes (a predecessor never does, or it is past the horizon), no
# outcome is taken: the realised outcome is this.
NOT_DECIDED = -1


class State(Protocol):
    """What a condition reads, for the iterations being decided."""

    def finished(self, row: int) -> np.ndarray:
        """The milestone's finish so far (inf where not done)."""
        ...

    def failures(self, row: int) -> np.ndarray:
        """(attempts, iterations): when each failed attempt completed, inf where none failed."""
        ...


def decide(
    plan: Plan, realised: Realised, row: int, cols: slice | np.ndarray, at: np.ndarray, state: State
) -> np.ndarray:
    """The outcome decision `row` takes in iterations `cols`, completing at `at` (inf: never),
    with the effects of each chosen outcome folded into the run's inputs `realised` (in place, at `cols`).

    The first outcome whose condition holds is taken with its probability (the decision's own
    uniform for that outcome, `realised.decision_u`), else the next is considered; the last is the
    default."""
    m = plan.milestones[row]
    u = realised.decision_u[m.id][:, cols]
    decided = np.isfinite(at)
    chosen = np.full(at.shape, len(m.branches) - 1, dtype=np.int32)
    left = decided.copy()
    for k, b in enumerate(m.branches[:-1]):
        assert b.when is not None
        take = left & _holds(plan, realised, b.when, cols, at, state) & (u[k] < b.probability)
        chosen[take] = k
        left &= ~take
    chosen[~decided] = NOT_DECIDED
    for k, effects in enumerate(plan.decision_effects[m.id]):
        active = chosen == k
        if effects and active.any():
            for source, effect in effects:
                _fold(plan, realised, source, effect, cols, active)
    return chosen


def _holds(
    plan: Plan, realised: Realised, cond: Condition, cols: slice | np.ndarray, at: np.ndarray, state: State
) -> np.ndarray:
    if cond.kind == "all":
        out = np.ones(at.shape, dtype=bool)
        for part in cond.parts:
            out &= _holds(plan, realised, part, cols, at, state)
        return out
    if cond.kind == "any":
        out = np.zeros(at.shape, dtype=bool)
        for part in cond.parts:
            out |= _holds(plan, realised, part, cols, at, state)
        return out
    if cond.kind == "not":
        return ~_holds(plan, realised, cond.parts[0], cols, at, state)
    assert cond.id is not None
    if cond.kind == "risk":
        return np.asarray(realised.risk_occurred[cond.id][cols], dtype=bool)
    row = plan.index[cond.id]
    if cond.kind == "failed":
        return (state.failures(row) <= at).sum(axis=0) >= cond.at_least
    done = state.finished(row) <= at
    return done if cond.kind == "done" else ~done


def _fold(
    plan: Plan, realised: Realised, source: int, effect: Effect, cols: slice | np.ndarray, active: np.ndarray
) -> None:
    """One effect of a chosen outcome, folded as `sampling._apply_effects` folds the others."""
    amount = realised.amount.get(source)
    for mid in effect.milestones:
        row = plan.index[mid]
        if effect.kind == "scale":
            assert amount is not None
            realised.scale[row][cols] = realised.scale[row][cols] * np.where(active, amount[cols], 1.0)
        elif effect.kind == "add":
            assert amount is not None
            realised.add[row][cols] = realised.add[row][cols] + np.where(active, amount[cols], 0.0)
        elif effect.kind == "cancel":
            realised.cancel[row][cols] = realised.cancel[row][cols] | active
        else:
            assert effect.probability is not None
            old = realised.replaced[row][cols]
            new = np.where(active, np.minimum(old, effect.probability), old)
            realised.replaced[row][cols] = new
            if row in realised.success:
                base = plan.milestones[row].success
                realised.success[row][cols] = np.where(np.isfinite(new), new, base)
