"""Draws: every random input for a chunk of iterations, sampled up front and vectorised.

All randomness of a run comes from here, so results depend only on (scenario, seed, iterations):
never on the engine, the number of workers or the order in which chunks are run. Each random
input draws from a stream of its own, keyed by the seed, the chunk and a stable hash of the
input's id (common random numbers): adding, removing or changing one milestone, risk or decision
leaves every other input's draws as they were, so variants run at one seed differ only where the
scenarios differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.simulation.inputs import KINDS, Drawing, InputKey, correlated, input_stream, realised_keys
from sim.simulation.plan import Plan

if TYPE_CHECKING:
    from sim.scenario.distributions import Distribution
    from sim.scenario.model import Effect
    from sim.simulation.engines.output import Realised

# Proposal rounds drawn for a milestone with retries conditioned on a status date (see
# sim.simulation.engines.condition); the rare iteration none of them settles draws from its own stream.
CONDITION_ROUNDS = 3


@dataclass
class Draws:
    """Random inputs for `n` iterations. Row m is milestone `plan.ids[m]`.

    Read-only once drawn (`freeze`): a run writes what it realises into its own
    `engines.output.Realised`. `duration` holds each milestone's own drawn duration in days; for
    milestones conditioned on a status date it is NaN here, and the run draws it from `duration_u`
    (the conditioning depends on the start time). Effective duration = duration * scale + add.
    `scale`, `add`, `cancel` and `success` hold rows only for milestones that risks or decisions
    touch (or that have attempts).
    """

    n: int
    duration: np.ndarray
    lag: np.ndarray
    scale: dict[int, np.ndarray] = field(default_factory=dict)
    add: dict[int, np.ndarray] = field(default_factory=dict)
    cancel: dict[int, np.ndarray] = field(default_factory=dict)
    success: dict[int, np.ndarray] = field(default_factory=dict)
    duration_u: dict[int, np.ndarray] = field(default_factory=dict)
    attempt_u: dict[int, np.ndarray] = field(default_factory=dict)
    retry_after: dict[int, np.ndarray] = field(default_factory=dict)
    hold: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    risk_occurred: dict[str, np.ndarray] = field(default_factory=dict)
    outcome: dict[str, np.ndarray] = field(default_factory=dict)
    amount: dict[int, np.ndarray] = field(default_factory=dict)  # by index in plan.effect_sources
    # Status-date conditioning of milestones with attempts: (rounds, 2·attempts + 1) uniforms
    # per iteration, drawn when the engine reaches the milestone (`condition_rounds`).
    cond_shape: dict[int, tuple[int, int]] = field(default_factory=dict)
    # The chunks these iterations came from, in order: (seed sequence, iterations).
    streams: tuple[tuple[np.random.SeedSequence, int], ...] = ()
    # Milestone id of each row, for the streams drawn on demand (keyed by id, not by row).
    ids: tuple[str, ...] = ()
    # Conditioned rows' draws where the status date does not bind, made once (`free_draw`) and
    # shared by the variants `with_inputs` makes of these draws.
    free: dict[int, np.ndarray] = field(default_factory=dict)
    # For draws that are some columns of others (`columns`): each column's place in the chunks
    # of `streams`, so that the streams drawn on demand give those columns their own numbers.
    origin: np.ndarray | None = None
    # Conditional decisions (`when`) not forced to an outcome: per decision, one uniform per
    # conditional outcome and iteration (rows in outcome order), for the outcomes' probabilities.
    # Their outcomes are not in `outcome`: the engines choose them when the decision completes.
    decision_u: dict[str, np.ndarray] = field(default_factory=dict)
    # What the other risks and outcomes folded into the milestones that those decisions' effects
    # reach, keyed (kind, row) with kind scale, add, cancel, success or replaced (the success
    # the effects set, inf where none): each run copies them (`engines.output.Realised`) and the engine
    # folds in the outcomes it chooses.
    folded: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)
    # The success probabilities effects set, per row (inf where none does), beside `success`.
    replaced: dict[int, np.ndarray] = field(default_factory=dict)

    def freeze(self) -> Draws:
        """Make every drawn array read-only (a write raises): the draws are what was drawn, and a
        run writes what it realises into its own `engines.output.Realised`. The durations become a
        view, so an array they were drawn into (a run's, `draw`'s `out`) stays the caller's."""
        self.duration = self.duration.view()
        arrays = [self.duration, self.lag]
        for store in (self.scale, self.add, self.cancel, self.success, self.duration_u, self.attempt_u,
                      self.retry_after, self.hold, self.risk_occurred, self.outcome, self.amount,
                      self.decision_u, self.folded, self.replaced):
            arrays.extend(store.values())
        for a in arrays:
            a.flags.writeable = False
        return self

    def free_draw(self, row: int, dist: Distribution) -> np.ndarray:
        """A conditioned row's draws for starts at which the status date does not bind.

        The threshold lies below the support there, and the conditioned draw from `duration_u`
        is the unconditioned one: `ppf_above` at -inf.
        """
        got = self.free.get(row)
        if got is None:
            got = self.free[row] = dist.ppf_above(self.duration_u[row], np.full(self.n, -np.inf))
        return got

    def condition_rounds(self, row: int) -> np.ndarray:
        """The proposal uniforms (rounds, width, n) of a milestone conditioned with attempts.

        Drawn on demand, so that a run holds them for one milestone at a time, from a stream
        of the chunk's own for that row: the same numbers whichever engine asks and however
        chunks were merged.
        """
        rounds, width = self.cond_shape[row]
        key = ("condition", self.ids[row])
        parts = [input_stream(seq, *key).random((rounds, width, size)) for seq, size in self.streams]
        got = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)
        return got if self.origin is None else got[..., self.origin]

    def round_uniforms(
        self, row: int, cols: np.ndarray, rounds: np.ndarray, cached: np.ndarray | None = None
    ) -> np.ndarray:
        """The proposal uniforms (width, len(cols)) of round `rounds[j]` of iteration `cols[j]`
        (see sim.simulation.engines.queued): the pre-drawn rounds first (`cached`: `condition_rounds(row)`),
        then a stream of the iteration's own, so that each round has the same numbers whichever
        engine asks and however chunks were merged."""
        drawn, width = self.cond_shape[row]
        first = self.condition_rounds(row) if cached is None else cached
        out = first[np.minimum(rounds, drawn - 1), :, cols].T.copy()
        for j in np.flatnonzero(rounds >= drawn):
            extra = int(rounds[j]) - drawn
            rng = own_stream(self, "requeue", row, int(cols[j]))
            out[:, j] = rng.random((extra + 1, width))[extra]
        return out

    def columns(self, idx: np.ndarray) -> Draws:
        """These draws for iterations `idx` only (each keeps its own streams drawn on demand)."""

        def cut(d: dict) -> dict:
            return {key: a[..., idx] for key, a in d.items()}

        place = np.arange(self.n) if self.origin is None else self.origin
        return Draws(
            n=idx.size,
            duration=self.duration[:, idx],
            lag=self.lag[:, idx],
            scale=cut(self.scale),
            add=cut(self.add),
            cancel=cut(self.cancel),
            success=cut(self.success),
            duration_u=cut(self.duration_u),
            attempt_u=cut(self.attempt_u),
            retry_after=cut(self.retry_after),
            hold=cut(self.hold),
            risk_occurred=cut(self.risk_occurred),
            outcome=cut(self.outcome),
            amount=cut(self.amount),
            cond_shape=self.cond_shape,
            streams=self.streams,
            ids=self.ids,
            free=cut(self.free),
            origin=place[idx],
            decision_u=cut(self.decision_u),
            folded=cut(self.folded),
            replaced=cut(self.replaced),
        ).freeze()

    def scale_of(self, row: int) -> np.ndarray | float:
        return self.scale.get(row, 1.0)

    def add_of(self, row: int) -> np.ndarray | float:
        return self.add.get(row, 0.0)


def draw(plan: Plan, seq: np.random.SeedSequence, n: int, out: np.ndarray | None = None) -> Draws:
    """Draw all random inputs for `n` iterations from the chunk's seed sequence, kind by kind
    (`sim.simulation.inputs.KINDS`).

    `out`, if given, is an (M, n) array (a view into a whole run's array) that receives the
    drawn durations, so that nothing is copied afterwards.
    """
    drawing = Drawing(plan, seq, n, correlated(plan, seq, n), out)
    fields: dict[str, Any] = {}
    for kind in KINDS.values():
        fields.update(kind.draw(drawing))
    draws = Draws(n, **fields, cond_shape=_condition_shape(plan), streams=((seq, n),), ids=plan.ids)
    _apply_effects(plan, draws, [draws.amount.get(k) for k in range(len(plan.effect_sources))])
    return draws.freeze()


def _condition_shape(plan: Plan) -> dict[int, tuple[int, int]]:
    """The (rounds, 2·attempts + 1) proposal uniforms of each milestone conditioned on a status
    date with attempts (`Draws.condition_rounds`)."""
    shape: dict[int, tuple[int, int]] = {}
    for row, m in enumerate(plan.milestones):
        if plan.conditioned[row] and plan.needs_attempts[row]:
            attempts = 1 + (m.retry.max if m.retry else 0)
            # One attempt: every proposal is accepted (see sim.simulation.engines.condition).
            shape[row] = (1 if attempts == 1 else CONDITION_ROUNDS, 2 * attempts + 1)
    return shape


def with_inputs(
    plan: Plan,
    draws: Draws,
    risk_occurred: dict[str, np.ndarray] | None = None,
    outcome: dict[str, np.ndarray] | None = None,
) -> Draws:
    """The same draws with some risks' occurrences or decisions' outcomes replaced.

    Every other draw (durations, lags, amounts, attempts, holds) is shared, so the difference
    between running the two is due to the replaced inputs alone. Effects are folded in again.
    """
    changed = replace(
        draws,
        risk_occurred={**draws.risk_occurred, **(risk_occurred or {})},
        outcome={**draws.outcome, **(outcome or {})},
        scale={},
        add={},
        cancel={},
        success={},
        folded={},
        replaced={},
        decision_u={k: u for k, u in draws.decision_u.items() if k not in (outcome or {})},
    )
    _apply_effects(plan, changed, [draws.amount.get(k) for k in range(len(plan.effect_sources))])
    return changed.freeze()


def input_values(
    plan: Plan, realised: Realised, outcome: dict[str, np.ndarray] | None = None
) -> dict[InputKey, np.ndarray]:
    """The uncertain inputs besides durations, risks and decisions, one value per iteration,
    valued from what an engine run realised of the draws (`EngineOutput.realised`), by
    `sim.simulation.inputs.realised_keys`: lags, failed attempts, times to try again, effects'
    amounts, resource holds. Inputs that cannot vary (a fixed lag, amount or hold) are left out.
    `outcome`: every decision's outcome as the run took them, where conditional decisions' come
    from the engine (None: the draws')."""
    got = realised if outcome is None else realised.with_outcome(outcome)
    return {key: KINDS[key.kind].value(plan, got, key) for key in realised_keys(plan)}


def fallback_rng(draws: Draws, row: int, i: int) -> np.random.Generator:
    """A stream of its own for milestone `row` in iteration `i` of these draws.

    Seeded from the iteration's chunk seed, the row and the iteration's place in its chunk, so
    it is the same whichever engine asks and however chunks were merged.
    """
    return own_stream(draws, "fallback", row, i)


def own_stream(draws: Draws, kind: str, row: int, i: int) -> np.random.Generator:
    """The stream `kind` of milestone `row` in iteration `i` of these draws (see fallback_rng)."""
    if draws.origin is not None:
        i = int(draws.origin[i])
    for seq, size in draws.streams:
        if i < size:
            return input_stream(seq, kind, draws.ids[row], i)
        i -= size
    raise IndexError("iteration outside these draws")


def merge(parts: list[Draws], duration: np.ndarray) -> Draws:
    """One Draws for consecutive chunks, in chunk order (each chunk keeps its own random stream).

    `duration` is the run's (M, N) array that the chunks' durations were drawn into.
    """

    def joined(name: str) -> dict:
        first: dict = getattr(parts[0], name)
        return {key: np.concatenate([getattr(p, name)[key] for p in parts], axis=-1) for key in first}

    return Draws(
        n=sum(p.n for p in parts),
        duration=duration,
        lag=np.concatenate([p.lag for p in parts], axis=1),
        scale=joined("scale"),
        add=joined("add"),
        cancel=joined("cancel"),
        success=joined("success"),
        duration_u=joined("duration_u"),
        attempt_u=joined("attempt_u"),
        retry_after=joined("retry_after"),
        hold=joined("hold"),
        risk_occurred=joined("risk_occurred"),
        outcome=joined("outcome"),
        amount=joined("amount"),
        decision_u=joined("decision_u"),
        folded=joined("folded"),
        replaced=joined("replaced"),
        cond_shape=parts[0].cond_shape,
        streams=tuple(s for p in parts for s in p.streams),
        ids=parts[0].ids,
    ).freeze()


def plan_draws(plan: Plan) -> Draws:
    """One iteration of the deterministic plan: modes, certain success, no risks, likeliest outcomes."""
    ms = plan.milestones
    m_count = len(ms)
    duration = np.array([[m.duration.mode] for m in ms])
    lag = np.array([[ms[row].after[pos].lag.mode] for row, pos in plan.lags])  # type: ignore[union-attr]
    lag = lag.reshape(len(plan.lags), 1)
    outcome = {
        m.id: np.array([int(np.argmax([b.probability for b in m.branches]))], dtype=np.int32)
        for m in ms
        if m.branches and not m.conditional
    }
    # A conditional outcome whose condition holds is the likelier if its probability is at least
    # 1/2 (a tie goes to the first listed, as for drawn outcomes): a uniform just below 1/2.
    decision_u = {
        m.id: np.full((len(m.branches) - 1, 1), np.nextafter(0.5, 0.0)) for m in ms if m.conditional
    }
    occurred = {rid: np.zeros(1, dtype=bool) for rid in plan.scenario.risks}
    amounts = [np.array([e.amount.mode]) if e.amount is not None else None for _, _, e in plan.effect_sources]
    # Attempts always succeed in the plan: a uniform of -1 is below any success probability.
    attempt_u = {row: np.full((1, 1), -1.0) for row in range(m_count) if plan.needs_attempts[row]}
    hold = {
        (row, k): np.array([u.hold.mode])
        for row, m in enumerate(ms)
        for k, u in enumerate(m.uses)
        if u.hold is not None
    }
    duration_u = {row: np.array([0.5]) for row in range(m_count) if plan.conditioned[row]}
    draws = Draws(
        1,
        duration,
        lag,
        duration_u=duration_u,
        attempt_u=attempt_u,
        hold=hold,
        risk_occurred=occurred,
        outcome=outcome,
        decision_u=decision_u,
        amount={k: a for k, a in enumerate(amounts) if a is not None},
    )
    for row in duration_u:
        draws.duration[row] = np.nan
    _apply_effects(plan, draws, amounts)
    for row in draws.success:
        draws.success[row] = np.ones(1)
    return draws.freeze()


def _apply_effects(plan: Plan, draws: Draws, amounts: list[np.ndarray | None]) -> None:
    """Fold active risk and decision effects into per-milestone scale, add, cancel and success.

    The effects of conditional decisions that are not forced (`draws.decision_u`) wait for the
    engine: their milestones get neutral arrays here (kept in `draws.folded`), which the engine
    changes in place once it has chosen (`sim.simulation.engines.decide`).
    """
    n = draws.n
    replaced: dict[int, np.ndarray] = {}
    waiting: set[int] = set()
    for (kind, owner, effect), amount in zip(plan.effect_sources, amounts):
        if kind == "decision" and owner.split("=", 1)[0] in draws.decision_u:
            for mid in effect.milestones:
                waiting.add(plan.index[mid])
                _neutral(draws, effect, plan.index[mid], replaced)
            continue
        active = _active(plan, draws, kind, owner)
        for mid in effect.milestones:
            _fold(draws, effect, plan.index[mid], active, amount, replaced)
    for row, m in enumerate(plan.milestones):
        if plan.needs_attempts[row]:
            base = np.full(n, m.success)
            draws.success[row] = (
                np.where(np.isfinite(replaced[row]), replaced[row], base) if row in replaced else base
            )
    _keep_folded(draws, waiting, replaced)


def _neutral(draws: Draws, effect: Effect, row: int, replaced: dict[int, np.ndarray]) -> None:
    """Give milestone `row` the neutral array of a waiting decision effect (if it has none yet)."""
    n = draws.n
    if effect.kind == "scale":
        draws.scale.setdefault(row, np.ones(n))
    elif effect.kind == "add":
        draws.add.setdefault(row, np.zeros(n))
    elif effect.kind == "cancel":
        draws.cancel.setdefault(row, np.zeros(n, dtype=bool))
    else:
        replaced.setdefault(row, np.full(n, np.inf))


def _active(plan: Plan, draws: Draws, kind: str, owner: str) -> np.ndarray:
    """Per iteration, whether the risk occurred or the decision took the effect's outcome."""
    if kind == "risk":
        return draws.risk_occurred[owner]
    mid, outcome = owner.split("=", 1)
    branches = plan.scenario.milestones[mid].branches
    chosen = next(i for i, b in enumerate(branches) if b.id == outcome)
    return draws.outcome[mid] == chosen


def _fold(
    draws: Draws,
    effect: Effect,
    row: int,
    active: np.ndarray,
    amount: np.ndarray | None,
    replaced: dict[int, np.ndarray],
) -> None:
    """Fold one effect, where `active`, into milestone `row`'s scale, add, cancel or success."""
    n = draws.n
    if effect.kind == "scale":
        assert amount is not None
        draws.scale[row] = draws.scale.get(row, np.ones(n)) * np.where(active, amount, 1.0)
    elif effect.kind == "add":
        assert amount is not None
        draws.add[row] = draws.add.get(row, np.zeros(n)) + np.where(active, amount, 0.0)
    elif effect.kind == "cancel":
        draws.cancel[row] = draws.cancel.get(row, np.zeros(n, dtype=bool)) | active
    else:
        assert effect.probability is not None
        old = replaced.get(row, np.full(n, np.inf))
        replaced[row] = np.where(active, np.minimum(old, effect.probability), old)


def _keep_folded(draws: Draws, waiting: set[int], replaced: dict[int, np.ndarray]) -> None:
    """Keep the arrays of milestones whose effects wait for a decision, for the engine to change."""
    stores = {"scale": draws.scale, "add": draws.add, "cancel": draws.cancel, "success": draws.success}
    for row in waiting:
        for kind, store in stores.items():
            if row in store:
                draws.folded[(kind, row)] = store[row]
        if row in replaced:
            draws.replaced[row] = draws.folded[("replaced", row)] = replaced[row]
