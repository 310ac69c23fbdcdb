"""Why the headline moved between two scenarios: the shift of its P50, P80 and P(target) split
among what changed (`sim.analysis.changes`) by Shapley values on common random numbers.

Every combination of changes is a scenario (the old document with those changes taken from the
new one), run at the same seed, so an input that is the same in two variants draws the same
numbers in both (inputs are keyed by id). The milestone explained (`milestone`, by default the
old scenario's headline, the date readers were given last time, when the new scenario still has
it, else the new headline) and its target (the new scenario's) are the same in every variant.
Changes that cannot reach the milestone (`sim.analysis.changes.inert`) get exactly 0 unrun.
With at most `exact_up_to` other changes every combination is run and the Shapley values are
exact for those runs; with more, pairs of random orders (one and its reverse) are walked
and each change's part is the mean of its marginal contributions, with its standard error.
All arithmetic is in exact fractions, so the parts add up to the total exactly, in every order
and in their sum; a change whose variants all give the same value has a part of exactly 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.changes import (
    NOISE,
    RECORDED,
    Change,
    apply,
    changes,
    document,
    inert,
    influencing,
    recorded,
)
from sim.analysis.shapley import exact, sampled
from sim.errors import Problem, ScenarioError
from sim.scenario.loader import from_source
from sim.scenario.model import Scenario
from sim.scenario.yamlsource import Source

MEASURES = ("p50_days", "p80_days", "p_target")
Value = tuple[Fraction, Fraction, Fraction]


@dataclass(frozen=True)
class Part:
    change: Change
    value: Value
    se: tuple[float, float, float] | None  # standard error when sampled, else None


@dataclass(frozen=True)
class Explanation:
    old: Scenario
    new: Scenario
    headline: str
    target: str | None
    old_value: Value
    new_value: Value
    parts: list[Part]
    method: str  # "exact" or "sampled"
    orders: int  # orders walked (sampled) or 0
    variants: int
    iterations: int
    seed: int

    @property
    def total(self) -> Value:
        return tuple(n - o for n, o in zip(self.new_value, self.old_value))  # type: ignore[return-value]

    def to_json(self) -> dict[str, Any]:
        """`{"total": {...}, "parts": [{"change", "p50_days", "p80_days", "p_target"}]}`: days to
        0.1 and P(target) to 0.0001, the parts rounded (largest remainders) so that they add up to
        the rounded total exactly."""
        units = (Fraction(1, 10), Fraction(1, 10), Fraction(1, 10_000))
        columns = [
            _round_to_total([p.value[j] for p in self.parts], self.total[j], units[j]) for j in range(3)
        ]
        total = {m: _show(_round(self.total[j], units[j]), units[j]) for j, m in enumerate(MEASURES)}
        parts = [
            {"change": p.change.name, **{m: _show(columns[j][i], units[j]) for j, m in enumerate(MEASURES)}}
            for i, p in enumerate(self.parts)
        ]
        return {"total": total, "parts": parts}


def _round(x: Fraction, unit: Fraction) -> int:
    return math.floor(x / unit + Fraction(1, 2))


def _show(steps: int, unit: Fraction) -> float:
    return round(float(steps * unit), 4) + 0.0


def _round_to_total(values: list[Fraction], total: Fraction, unit: Fraction) -> list[int]:
    """Each value in whole `unit`s, rounded down or up so that they add up to the rounded total."""
    scaled = [v / unit for v in values]
    floors = [math.floor(s) for s in scaled]
    short = _round(total, unit) - sum(floors)
    order = sorted(range(len(values)), key=lambda i: scaled[i] - floors[i], reverse=True)
    for i in order[: max(short, 0)]:
        floors[i] += 1
    return floors


def _source(arg: str | Path, store: Path | None) -> tuple[Source, list[Path]]:
    if store is not None and isinstance(arg, str) and RECORDED.fullmatch(arg):
        return recorded(arg, store)
    return document(Path(arg))


def _scenario(source: Source, chain: list[Path]) -> Scenario:
    from sim.simulation.deterministic import resolved

    return resolved(from_source(source, chain))


class _Variants:
    """Each combination of changes run once (cached), at one seed and iteration count."""

    def __init__(
        self, old: Source, new: Source, chain: list[Path], settings: dict[str, Any], run: Callable[..., Any]
    ) -> None:
        self.old, self.new, self.chain, self.settings, self.run = old, new, chain, settings, run
        self.headline: str | None = None
        self.cache: dict[frozenset[int], Value] = {}
        self.found: list[Change] = changes(old.data, new.data)
        self.inert: list[Change] = []
        self.target: float | None = None

    def value(self, chosen: frozenset[int]) -> Value:
        if chosen in self.cache:
            return self.cache[chosen]
        picked = [self.found[i] for i in sorted(chosen)]
        doc = apply(self.old.data, self.new.data, picked)
        if self.headline is not None:
            doc["headline"] = self.headline
        try:
            scenario = from_source(Source(self.old.path, doc, {}, {}, self.old.text), self.chain)
        except ScenarioError as exc:
            what = ", ".join(c.name for c in picked) or "none"
            raise ScenarioError(
                Problem(
                    f"the old scenario with only these changes ({what}) is not a scenario "
                    f"({exc.problems[0].message}); explain needs every combination to be one",
                    self.new.path,
                )
            ) from None
        noise = any(self.found[i].name == NOISE for i in chosen)
        iterations = self.settings["iterations"] or (self.new if noise else self.old).data.get("iterations")
        seed = (
            self.settings["seed"]
            if self.settings["seed"] is not None
            else ((self.new if noise else self.old).data.get("seed") or 0)
        )
        result = self.run(scenario, iterations, seed)
        head = result.scenario.headline
        p50, p80 = result.percentile_days(head, 50), result.percentile_days(head, 80)
        if p50 is None or p80 is None or not (math.isfinite(p50) and math.isfinite(p80)):
            what = ", ".join(c.name for c in picked) or "none"
            raise ScenarioError(
                Problem(
                    f"{head}: its P50 or P80 is 'never' (not done by the horizon) in the variant with "
                    f"changes: {what}, so its shift has no size (choose another with --milestone)",
                    self.new.path,
                )
            )
        start = Fraction(scenario.start.toordinal())
        target = None if self.target is None else self.target - float(start)
        p = Fraction(result.p_by(head, target)) if target is not None else Fraction(0)
        out = (start + Fraction(p50), start + Fraction(p80), p)
        self.cache[chosen] = out
        return out


def explain(  # noqa: PLR0913 (keyword-only options, one per `lunarsim explain` option)
    old_path: str | Path,
    new_path: str | Path,
    *,
    store: Path | None = None,
    iterations: int | None = None,
    seed: int | None = None,
    milestone: str | None = None,
    exact_up_to: int = 7,
    variants: int = 128,
    workers: int | None = 1,
    progress: Callable[[int], None] | None = None,
) -> Explanation:
    """Split the headline's shift from `old_path` to `new_path` among what changed (see module).
    Either may be `run:ID`, a run recorded in the history `store`."""
    import sim

    old, chain = _source(old_path, store)
    new, new_chain = _source(new_path, store)
    old_scenario, new_scenario = _scenario(old, chain), _scenario(new, new_chain)
    head = _milestone_explained(milestone, (old_scenario, old), (new_scenario, new))

    def run(scenario: Scenario, n: int | None, s: int) -> Any:
        result = sim.simulate(scenario, n, s, workers=workers)
        if progress is not None:
            progress(1)
        return result

    settings = {"iterations": iterations, "seed": seed}
    table = _Variants(old, new, chain, settings, run)
    table.headline = head
    order = {c.name: i for i, c in enumerate(table.found)}
    moving = influencing(old.data, new.data, head)
    table.inert = [c for c in table.found if inert(c, old.data, new.data, moving)]
    table.found = [c for c in table.found if c not in table.inert]
    target = new_scenario.milestones[head].target
    table.target = None if target is None else target + new_scenario.start.toordinal()
    k = len(table.found)
    everything = frozenset(range(k))
    old_value, new_value = table.value(frozenset()), table.value(everything)
    parts, method, orders = _split(table, k, exact_up_to, variants, seed)
    zero: Value = (Fraction(0), Fraction(0), Fraction(0))
    parts += [Part(c, zero, None) for c in table.inert]
    parts.sort(key=lambda p: order[p.change.name])
    return Explanation(
        old=old_scenario,
        new=new_scenario,
        headline=head,
        target=None if target is None else new_scenario.date_of(target).isoformat(),  # type: ignore[union-attr]
        old_value=old_value,
        new_value=new_value,
        parts=parts,
        method=method,
        orders=orders,
        variants=len(table.cache),
        iterations=iterations or int(new.data.get("iterations") or 10_000),
        seed=seed if seed is not None else int(new.data.get("seed") or 0),
    )


def _milestone_explained(
    milestone: str | None, old: tuple[Scenario, Source], new: tuple[Scenario, Source]
) -> str:
    """`milestone`, else the old headline (the date readers were given) if the new scenario has
    it, else the new headline; refused unless both scenarios have it."""
    head = milestone or (old[0].headline if old[0].headline in new[0].milestones else new[0].headline)
    for scenario, source in (old, new):
        if head not in scenario.milestones:
            raise ScenarioError(Problem(f"no milestone {head!r} to explain (--milestone)", source.path))
    return head


def _split(
    table: _Variants, k: int, exact_up_to: int, variants: int, seed: int | None
) -> tuple[list[Part], str, int]:
    """The changes' parts, the method ("exact" or "sampled") and the orders walked."""
    if k <= exact_up_to:
        return _exact(table, k), "exact", 0
    pairs = max(1, variants // (2 * max(k - 1, 1)))
    return _sampled(table, k, pairs, seed if seed is not None else 0), "sampled", 2 * pairs


def _bits(table: _Variants) -> Callable[[int], Value]:
    """The variants as a game on bit masks (bit i set: change i taken from the new scenario)."""
    return lambda mask: table.value(frozenset(i for i in range(len(table.found)) if mask >> i & 1))


def _exact(table: _Variants, k: int) -> list[Part]:
    """Exact Shapley values: every subset S of the others, weighted |S|!(k-|S|-1)!/k!."""
    return [Part(c, v, None) for c, v in zip(table.found, exact(_bits(table), k))]


def _sampled(table: _Variants, k: int, pairs: int, seed: int) -> list[Part]:
    """Shapley values from `pairs` random orders and their reverses (antithetic): each change's
    marginal contribution averaged over the orders; its standard error from the pairs' means."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 25]))
    means, ses = sampled(_bits(table), k, pairs, rng, antithetic=True)
    return [Part(c, v, se) for c, v, se in zip(table.found, means, ses)]  # type: ignore[arg-type]
