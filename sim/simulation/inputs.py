"""The random inputs of a run, one kind at a time: how each kind is drawn, valued and named.

Every uncertain input has a kind (duration, lag, attempts, retry, amount, hold, risk, decision)
and an `InputKey`: the kind, the place it belongs to in the compiled plan, and a part within it.
`KINDS` holds one object per kind that owns the three things done to an input:

- `draw`: its random numbers for a chunk of iterations, from a stream of its own keyed by the
  chunk's seed and the input's id (`input_stream`), into the fields of `sampling.Draws`;
- `keys` and `value`: the inputs of this kind that can vary, and one value per iteration of each.
  Durations, risks and decisions are valued from the arrays every run keeps (`kept`); the other
  kinds from a chunk's realised inputs once its engine has run (`realised`), since how many attempts
  failed depends on what the engine did;
- `label`: the input's id and its name in plain words, as `sim.analysis.results.RandomInput`
  carries them (the ids and words are part of the output format).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple, Protocol

import numpy as np

if TYPE_CHECKING:
    from sim.simulation.engines.output import Realised
    from sim.simulation.plan import Plan

KindName = Literal["duration", "lag", "attempts", "retry", "amount", "hold", "risk", "decision"]
# The kind a reader is told (`sim.analysis.results.RandomInput.kind`): an amount is an "effect".
InputKind = Literal["duration", "lag", "attempts", "retry", "effect", "hold", "risk", "decision"]


class InputKey(NamedTuple):
    """One random input: its kind, where it belongs and, for some kinds, which part.

    `at` is the milestone's row in the plan (duration, attempts, retry, hold, decision), the
    lag's slot (`Plan.lags`), the effect's place in `Plan.effect_sources` (amount) or the risk's
    place in `scenario.risks`. `part` is the resource use's place in the milestone's `uses`
    (hold) or the outcome's place in its `branches` (decision); 0 otherwise.
    """

    kind: KindName
    at: int
    part: int = 0


@dataclass(frozen=True)
class Label:
    """An input's id and name: "<subject>: <whole>" in full, `detail` where space is short."""

    ident: str
    kind: InputKind
    subject: str
    detail: str
    whole: str = ""  # the detail in the full label, when it says more than `detail`

    @property
    def text(self) -> str:
        return f"{self.subject}: {self.whole or self.detail}"


class Kept(Protocol):
    """The arrays every run keeps that durations, risks and decisions are valued from."""

    duration: np.ndarray
    risk_occurred: dict[str, np.ndarray]
    outcome: dict[str, np.ndarray]


@dataclass(frozen=True)
class Drawing:
    """What drawing one chunk's inputs needs: the plan, the chunk's seed, its size, the uniforms
    of correlated inputs (`correlated`) and, if given, the (M, n) array that receives durations."""

    plan: Plan
    seq: np.random.SeedSequence
    n: int
    joint: dict[InputKey, np.ndarray]
    out: np.ndarray | None = None

    def stream(self, kind: str, *key: str | int) -> np.random.Generator:
        return input_stream(self.seq, kind, *key)


class Kind:
    """One kind of input (see the module docstring)."""

    name: ClassVar[KindName]
    realised: ClassVar[bool] = True  # valued from a chunk's realised inputs; else from the arrays kept

    def draw(self, d: Drawing) -> dict[str, Any]:
        """The `Draws` fields of this kind for the chunk."""
        raise NotImplementedError

    def keys(self, plan: Plan) -> Iterator[InputKey]:
        """The inputs of this kind that can vary, in plan order."""
        raise NotImplementedError

    def value(self, plan: Plan, got: Any, key: InputKey) -> np.ndarray:
        """One value per iteration of input `key`, from a run's `Realised` inputs or `Kept` arrays."""
        raise NotImplementedError

    def label(self, plan: Plan, key: InputKey) -> Label:
        raise NotImplementedError


class Duration(Kind):
    """A milestone's own drawn duration in days (before effects). For milestones conditioned on a
    status date only its uniform is drawn here: the engine finds the duration from the start."""

    name = "duration"
    realised = False

    def draw(self, d: Drawing) -> dict[str, Any]:
        ms = d.plan.milestones
        duration = d.out if d.out is not None else np.empty((len(ms), d.n))
        duration_u: dict[int, np.ndarray] = {}
        for row, m in enumerate(ms):
            joint = d.joint.get(InputKey("duration", row))
            if d.plan.conditioned[row]:
                duration_u[row] = joint if joint is not None else d.stream("duration", m.id).random(d.n)
                duration[row] = np.nan
            elif joint is not None:
                duration[row] = m.duration.ppf(joint)
            else:
                duration[row] = m.duration.sample(d.stream("duration", m.id), d.n)
        return {"duration": duration, "duration_u": duration_u}

    def keys(self, plan: Plan) -> Iterator[InputKey]:
        for row, m in enumerate(plan.milestones):
            if m.actual is None and not m.duration.is_fixed:
                yield InputKey("duration", row)

    def value(self, plan: Plan, got: Kept, key: InputKey) -> np.ndarray:
        values: np.ndarray = got.duration[key.at]
        return values

    def label(self, plan: Plan, key: InputKey) -> Label:
        m = plan.milestones[key.at]
        return Label(m.id, "duration", m.title, "time it takes")


class Lag(Kind):
    """A drawn wait after a predecessor."""

    name = "lag"

    def draw(self, d: Drawing) -> dict[str, Any]:
        ms = d.plan.milestones
        lag = np.empty((len(d.plan.lags), d.n))
        for slot, (row, pos) in enumerate(d.plan.lags):
            link = ms[row].after[pos]
            assert link.lag is not None
            lag[slot] = link.lag.sample(d.stream("lag", ms[row].id, link.id), d.n)
        return {"lag": lag}

    def keys(self, plan: Plan) -> Iterator[InputKey]:
        for slot, (row, pos) in enumerate(plan.lags):
            lag = plan.milestones[row].after[pos].lag
            if lag is not None and not lag.is_fixed:
                yield InputKey("lag", slot)

    def value(self, plan: Plan, got: Realised, key: InputKey) -> np.ndarray:
        values: np.ndarray = got.lag[key.at]
        return values

    def label(self, plan: Plan, key: InputKey) -> Label:
        row, pos = plan.lags[key.at]
        m = plan.milestones[row]
        pred = m.after[pos].id
        title = plan.scenario.milestones[pred].title
        return Label(f"{m.id}.lag.{pred}", "lag", m.title, f"wait after {title}")


class Attempts(Kind):
    """Failed attempts before the one that succeeded (1 + max retries when all failed)."""

    name = "attempts"

    def draw(self, d: Drawing) -> dict[str, Any]:
        attempt_u = {
            row: d.stream("attempts", m.id).random((1 + (m.retry.max if m.retry else 0), d.n))
            for row, m in enumerate(d.plan.milestones)
            if d.plan.needs_attempts[row]
        }
        return {"attempt_u": attempt_u}

    def keys(self, plan: Plan) -> Iterator[InputKey]:
        for row in range(len(plan.milestones)):
            if plan.needs_attempts[row]:
                yield InputKey("attempts", row)

    def value(self, plan: Plan, got: Realised, key: InputKey) -> np.ndarray:
        return failed_attempts(got, key.at).astype(float)

    def label(self, plan: Plan, key: InputKey) -> Label:
        m = plan.milestones[key.at]
        return Label(f"{m.id}.attempts", "attempts", m.title, "failed attempts")


def failed_attempts(realised: Realised, row: int) -> np.ndarray:
    """Per iteration, the attempts of milestone `row` that failed before one succeeded."""
    u = realised.attempt_u[row]
    ok = u < realised.success[row]
    forced = realised.forced_fails.get(row)
    if forced is not None:
        # The status date made the leading attempts fail (sim.simulation.engines.condition).
        ok = ok & (np.arange(ok.shape[0])[:, None] >= forced[None, :])
    failed: np.ndarray = np.where(ok.any(axis=0), ok.argmax(axis=0), u.shape[0])
    return failed


class Retry(Kind):
    """The mean drawn time to try again over the retries taken (NaN when the first attempt
    succeeded)."""

    name = "retry"

    def draw(self, d: Drawing) -> dict[str, Any]:
        retry_after: dict[int, np.ndarray] = {}
        for row, m in enumerate(d.plan.milestones):
            if d.plan.needs_attempts[row] and m.retry and m.retry.max:
                rebuild = d.stream("retry", m.id)
                retry_after[row] = np.stack([m.retry.after.sample(rebuild, d.n) for _ in range(m.retry.max)])
        return {"retry_after": retry_after}

    def keys(self, plan: Plan) -> Iterator[InputKey]:
        for row, m in enumerate(plan.milestones):
            if plan.needs_attempts[row] and m.retry and m.retry.max and not m.retry.after.is_fixed:
                yield InputKey("retry", row)

    def value(self, plan: Plan, got: Realised, key: InputKey) -> np.ndarray:
        rebuild = got.retry_after[key.at]
        taken = np.minimum(failed_attempts(got, key.at), rebuild.shape[0])
        used = np.arange(rebuild.shape[0])[:, None] < taken
        total = np.where(used, rebuild, 0.0).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(taken > 0, total / np.maximum(taken, 1), np.nan)

    def label(self, plan: Plan, key: InputKey) -> Label:
        m = plan.milestones[key.at]
        return Label(f"{m.id}.retry", "retry", m.title, "time to try again")


class Amount(Kind):
    """A risk's or outcome's drawn scale or added time (NaN where it did not happen)."""

    name = "amount"

    def draw(self, d: Drawing) -> dict[str, Any]:
        amount: dict[int, np.ndarray] = {}
        position: dict[str, int] = {}
        for k, (_, owner, effect) in enumerate(d.plan.effect_sources):
            # Streams are keyed by the owner and the effect's place among the owner's effects.
            place = position[owner] = position.get(owner, -1) + 1
            if effect.amount is not None:
                amount[k] = effect.amount.sample(d.stream("amount", owner, str(place)), d.n)
        return {"amount": amount}

    def keys(self, plan: Plan) -> Iterator[InputKey]:
        for k, (_, _, effect) in enumerate(plan.effect_sources):
            if effect.amount is not None and not effect.amount.is_fixed:
                yield InputKey("amount", k)

    def value(self, plan: Plan, got: Realised, key: InputKey) -> np.ndarray:
        source, owner, _ = plan.effect_sources[key.at]
        if source == "risk":
            active = got.risk_occurred[owner]
        else:
            mid, chosen = decision_of(plan, owner)
            active = got.outcome[mid] == chosen
        return np.where(active, got.amount[key.at], np.nan)

    def label(self, plan: Plan, key: InputKey) -> Label:
        sc = plan.scenario
        source, owner, effect = plan.effect_sources[key.at]
        targets = [sc.milestones[t].title for t in effect.milestones]
        noun = "delay to" if effect.kind == "add" else "stretch of"
        # The detail names the first target briefly, the label all of them.
        first = _brief(targets[0]) + (f" +{len(targets) - 1}" if len(targets) > 1 else "")
        brief, whole = f"{noun} {first}", f"{noun} {_and(targets)}"
        ident = f"{owner}.{effect.kind}.{key.at}"
        if source == "risk":
            return Label(ident, "effect", sc.risks[owner].title, brief, whole)
        mid, chosen = decision_of(plan, owner)
        m = sc.milestones[mid]
        words = m.branches[chosen].words
        return Label(ident, "effect", m.title, f"{words} → {brief}", f"{words} → {whole}")


def decision_of(plan: Plan, owner: str) -> tuple[str, int]:
    """The milestone and outcome's place of a decision effect's owner (`<milestone>=<outcome>`,
    as `Plan.effect_sources` names it)."""
    mid, name = owner.split("=", 1)
    return mid, [b.id for b in plan.scenario.milestones[mid].branches].index(name)


class Hold(Kind):
    """A drawn time that a milestone holds a resource."""

    name = "hold"

    def draw(self, d: Drawing) -> dict[str, Any]:
        hold = {
            (row, k): use.hold.sample(d.stream("hold", m.id, use.resource, str(k)), d.n)
            for row, m in enumerate(d.plan.milestones)
            for k, use in enumerate(m.uses)
            if use.hold is not None
        }
        return {"hold": hold}

    def keys(self, plan: Plan) -> Iterator[InputKey]:
        for row, m in enumerate(plan.milestones):
            for k, use in enumerate(m.uses):
                if use.hold is not None and not use.hold.is_fixed:
                    yield InputKey("hold", row, k)

    def value(self, plan: Plan, got: Realised, key: InputKey) -> np.ndarray:
        values: np.ndarray = got.hold[(key.at, key.part)]
        return values

    def label(self, plan: Plan, key: InputKey) -> Label:
        m = plan.milestones[key.at]
        use = m.uses[key.part]
        title = plan.scenario.resources[use.resource].title
        return Label(f"{m.id}.hold.{use.resource}", "hold", m.title, f"time holding {title}")


class Risk(Kind):
    """Whether a risk occurred: 1.0 where it did, else 0.0.

    Occurrence is a uniform below the probability, so raising a probability only ever adds
    occurrences. A correlated risk occurs when its uniform is in the top `probability`, so that
    a positive rho means "occurs together with longer durations and with the group's other risks".
    """

    name = "risk"
    realised = False

    def draw(self, d: Drawing) -> dict[str, Any]:
        occurred = {}
        for i, (rid, r) in enumerate(d.plan.scenario.risks.items()):
            joint = d.joint.get(InputKey("risk", i))
            if joint is not None:
                occurred[rid] = joint > 1.0 - r.probability
            else:
                occurred[rid] = d.stream("risk", rid).random(d.n) < r.probability
        return {"risk_occurred": occurred}

    def keys(self, plan: Plan) -> Iterator[InputKey]:
        for i in range(len(plan.scenario.risks)):
            yield InputKey("risk", i)

    def value(self, plan: Plan, got: Kept, key: InputKey) -> np.ndarray:
        return got.risk_occurred[_risk_id(plan, key)].astype(float)

    def label(self, plan: Plan, key: InputKey) -> Label:
        rid = _risk_id(plan, key)
        return Label(rid, "risk", plan.scenario.risks[rid].title, "the risk happens")


def _risk_id(plan: Plan, key: InputKey) -> str:
    return list(plan.scenario.risks)[key.at]


class Decision(Kind):
    """Whether a decision took an outcome: 1.0 where it did, else 0.0 (decisions of two or more
    outcomes; the drawn outcome itself is kept as its place in `branches`)."""

    name = "decision"
    realised = False

    def draw(self, d: Drawing) -> dict[str, Any]:
        outcome: dict[str, np.ndarray] = {}
        decision_u: dict[str, np.ndarray] = {}
        for m in d.plan.milestones:
            if m.conditional:
                # Chosen by the engine when the decision completes (`Draws.decision_u`): one
                # uniform per conditional outcome, from the decision's own stream.
                decision_u[m.id] = d.stream("decision", m.id).random((len(m.branches) - 1, d.n))
            elif m.branches:
                cum = np.cumsum([b.probability for b in m.branches])
                u = d.stream("decision", m.id).random(d.n)
                picked = np.minimum(np.searchsorted(cum, u, side="right"), len(m.branches) - 1)
                outcome[m.id] = picked.astype(np.int32)
        return {"outcome": outcome, "decision_u": decision_u}

    def keys(self, plan: Plan) -> Iterator[InputKey]:
        for row, m in enumerate(plan.milestones):
            if len(m.branches) >= 2:
                for k in range(len(m.branches)):
                    yield InputKey("decision", row, k)

    def value(self, plan: Plan, got: Kept, key: InputKey) -> np.ndarray:
        taken: np.ndarray = got.outcome[plan.ids[key.at]] == key.part
        return taken.astype(float)

    def label(self, plan: Plan, key: InputKey) -> Label:
        m = plan.milestones[key.at]
        b = m.branches[key.part]
        return Label(f"{m.id}={b.id}", "decision", m.title, f"outcome {b.words}")


KINDS: dict[KindName, Kind] = {
    kind.name: kind for kind in (Duration(), Lag(), Attempts(), Retry(), Amount(), Hold(), Risk(), Decision())
}


def realised_keys(plan: Plan) -> list[InputKey]:
    """The inputs valued from a chunk's `Realised`, in the order a reader meets them: lags, each
    milestone's failed attempts beside its time to try again, effects' amounts, holds."""
    tries = sorted([*KINDS["attempts"].keys(plan), *KINDS["retry"].keys(plan)], key=lambda key: key.at)
    return [*KINDS["lag"].keys(plan), *tries, *KINDS["amount"].keys(plan), *KINDS["hold"].keys(plan)]


def described(
    plan: Plan, kept: Kept, realised: dict[InputKey, np.ndarray]
) -> Iterator[tuple[Label, np.ndarray]]:
    """Every uncertain input of a run with its values: durations, then the `realised` inputs
    (`sampling.input_values`), then risks and decisions."""
    kept_first = KINDS["duration"].keys(plan)
    kept_last = [*KINDS["risk"].keys(plan), *KINDS["decision"].keys(plan)]
    for key in kept_first:
        yield KINDS[key.kind].label(plan, key), KINDS[key.kind].value(plan, kept, key)
    for key, values in realised.items():
        yield KINDS[key.kind].label(plan, key), values
    for key in kept_last:
        yield KINDS[key.kind].label(plan, key), KINDS[key.kind].value(plan, kept, key)


def correlated(plan: Plan, seq: np.random.SeedSequence, n: int) -> dict[InputKey, np.ndarray]:
    """The uniforms of the durations and risks in correlation groups, drawn jointly per group."""
    joint: dict[InputKey, np.ndarray] = {}
    risks = list(plan.scenario.risks)
    for group, corr in zip(plan.scenario.correlations, plan.copulas, strict=True):
        members = ",".join([*group.milestones, *group.risks])
        u = _copula(input_stream(seq, "correlation", members), corr, n)
        keys = [InputKey("duration", plan.index[mid]) for mid in group.milestones]
        keys += [InputKey("risk", risks.index(rid)) for rid in group.risks]
        joint.update(zip(keys, u))
    return joint


def _copula(rng: np.random.Generator, corr: np.ndarray, n: int) -> np.ndarray:
    """Uniforms (k, n) from a Gaussian copula with correlation matrix `corr`.

    `corr` comes from sim.scenario.copula, which chose each pair's parameter so that the samples' Spearman
    rank correlation is the group's rho whatever the marginals.
    """
    from scipy.special import ndtr

    # An eigen-decomposition square root also works for singular (rho = 1) matrices.
    vals, vecs = np.linalg.eigh(corr)
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))
    z = root @ rng.standard_normal((corr.shape[0], n))
    u: np.ndarray = ndtr(z)
    return u


def input_stream(seq: np.random.SeedSequence, kind: str, *key: str | int) -> np.random.Generator:
    """The stream of one random input in one chunk: (seed, chunk, kind, input id, ...).

    Ids are hashed with CRC-32, which is the same in every process and on every machine
    (Python's `hash` of a string is salted per process). Independent of every other key's stream.
    """
    words = [stable_hash(kind), *(stable_hash(k) if isinstance(k, str) else k for k in key)]
    return np.random.default_rng(np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, *words)))


def stable_hash(text: str) -> int:
    """A 32-bit hash of `text` that never changes between runs, processes or machines."""
    return zlib.crc32(text.encode("utf-8"))


def _brief(title: str, width: int = 10) -> str:
    """A milestone's title cut to its first words (within `width` characters where the first
    word allows): "Luna-26 orbiter launched" reads "Luna-26"."""
    words = title.split(" ")
    kept = words[0]
    for word in words[1:]:
        if len(kept) + 1 + len(word) > width:
            break
        kept += " " + word
    return kept


def _and(titles: list[str]) -> str:
    return titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " and " + titles[-1]
