"""Attribution: the headline's shift from "no risk, every decision at its plan outcome" to the run
as modelled, split among the risks and decisions by exact Shapley values on the same draws.

A factor is a risk or a decision (a milestone with two or more outcomes). For each coalition S of
factors the model is re-run on the run's own draws (`sim.simulation.sampling.with_inputs`) with
the risks outside S switched off and the decisions outside S at their plan outcome (the likeliest,
ties the first listed, as in the deterministic plan); the risks and decisions in S keep what was
drawn. The empty coalition is the no-risk run, the full one the run itself. A statistic v (mean,
P50, P80 or P(target) of the headline) is split by Shapley values:

    phi_j = sum over S without j of |S|! (k - |S| - 1)! / k! (v(S + j) - v(S)),

which add up to v(all) - v(none) exactly: the parts always sum to the total (to float rounding).
In an iteration where a risk did not occur (or a decision took its plan outcome), switching that
factor off changes nothing, so an iteration's finish under S is its finish under S ∩ A, A being
the factors active in it. `coalition_statistics` therefore runs the model, for each set T of
factors, only on the iterations in which all of T is active: about n · E[2^|A|] iteration-runs in
all (n · prod(1 + p_j) for independent risks of probability p_j) rather than n · 2^k. It is exact:
the same numbers as `coalition_finishes`, which runs every coalition on every iteration. Exact
enumeration over the 2^k coalitions is done up to `EXACT_UP_TO` factors; above, Shapley values are
estimated from random orders of the factors (`sampled_shapley`), with standard errors. Either way
at most `MAX_CELLS` iteration-runs (estimated) are made; above that no attribution is given.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.analysis.shapley import EXACT_UP_TO, STATS, sampled, shapley, statistics
from sim.simulation.executor import chunk_seeds, chunk_sizes
from sim.simulation.inputs import stable_hash
from sim.simulation.plan import compile_plan
from sim.simulation.sampling import Draws, draw, merge, with_inputs

if TYPE_CHECKING:
    from sim.analysis.results import Result

MAX_FACTORS = 30  # bit masks fit an int64 with room to spare
PERMUTATIONS = 200
MAX_DRAWN = 20_000_000  # iterations x milestones of draws rebuilt at once
MAX_CELLS = 50_000_000  # coalitions x iterations kept in memory (8 bytes each: 400 MB)
DEFAULT_RUNS = 2_000_000
DEFAULT_CELLS = 20_000_000


def factors(result: Result) -> list[tuple[str, str, str]]:
    """(input, kind, label) of every risk and decision, risks first, decisions in plan order.

    A conditional decision (`when`) is not a factor: it chooses its outcome from what the
    factors did in that future, in every coalition alike (a re-plan is part of how the risks
    play out), so its effect is in theirs."""
    sc = result.scenario
    out = [(rid, "risk", r.title) for rid, r in sc.risks.items()]
    out += [
        (mid, "decision", sc.milestones[mid].title)
        for mid in compile_plan(sc).ids
        if len(sc.milestones[mid].branches) >= 2 and not sc.milestones[mid].conditional
    ]
    return out


def feasible(result: Result) -> bool:
    """Whether exact attribution can be computed for this run (see the module's limits)."""
    k = len(factors(result))
    if not 0 < k <= MAX_FACTORS or not result.replayable:
        return False
    # The draws of every iteration are rebuilt at once (a streamed run too: the same numbers as
    # the run kept whole), so their size is bounded as well as the iteration-runs.
    if result.iterations * len(result.milestone_ids) > MAX_DRAWN:
        return False
    return _growth(result) * result.iterations <= MAX_CELLS


def _growth(result: Result) -> float:
    """E[2^|A|] estimated from the run's own risk and decision frequencies, as if independent:
    the iteration-runs per iteration that `coalition_statistics` makes."""
    risks = result.risk_frequencies()
    branches = result.branch_frequencies()
    growth = 1.0
    for key, kind, _ in factors(result):
        if kind == "risk":
            growth *= 1 + risks.get(key, 0.0)
        else:
            shares = list(branches.get(key, {}).values())
            growth *= 2 - max(shares) if shares else 1.0
    return growth


def by_default(result: Result) -> bool:
    """Whether the summary and report include attribution when not told to (they include it with
    the impacts): when it is feasible and cheap, at most `DEFAULT_RUNS` estimated iteration-runs
    and `DEFAULT_CELLS` coalition-iterations to read (a few seconds at most)."""
    k = len(factors(result))
    reads = min(2**k, PERMUTATIONS * k) * result.iterations
    return feasible(result) and _growth(result) * result.iterations <= DEFAULT_RUNS and reads <= DEFAULT_CELLS


def coalition_finishes(result: Result) -> tuple[list[tuple[str, str, str]], np.ndarray]:
    """The factors and the headline's finish per coalition (bit j set: factor j as modelled) and
    iteration: an array (2^k, iterations), on the run's own draws."""
    from sim.simulation.engines import EngineOutput, choose_engine, run_engine

    sc = result.scenario
    plan = compile_plan(sc)
    engine = choose_engine(plan, "auto")
    head = plan.index[sc.headline]
    fs = factors(result)
    k = len(fs)
    n = result.iterations
    out = np.empty((2**k, n))
    plan_outcome = {
        mid: int(np.argmax([b.probability for b in sc.milestones[mid].branches]))
        for mid, kind, _ in fs
        if kind == "decision"
    }
    start = 0
    for seq, size in zip(chunk_seeds(result.seed, n), chunk_sizes(n)):
        draws = draw(plan, seq, size)
        for mask in range(2**k):
            risks, outcomes = {}, {}
            for j, (key, kind, _) in enumerate(fs):
                if mask >> j & 1:
                    continue
                if kind == "risk":
                    risks[key] = np.zeros(size, dtype=bool)
                else:
                    outcomes[key] = np.full(size, plan_outcome[key], dtype=np.int32)
            changed = with_inputs(plan, draws, risks, outcomes) if risks or outcomes else draws
            m_count = len(plan.ids)
            result_out = EngineOutput(np.empty((m_count, size)), np.empty((m_count, size), dtype=np.int16))
            run_engine(engine, plan, changed, result_out)
            out[mask, start : start + size] = result_out.finish[head]
        start += size
    return fs, out


def _all_draws(result: Result) -> Draws:
    plan = compile_plan(result.scenario)
    n = result.iterations
    parts = [draw(plan, seq, size) for seq, size in zip(chunk_seeds(result.seed, n), chunk_sizes(n))]
    if len(parts) == 1:
        return parts[0]
    return merge(parts, np.concatenate([p.duration for p in parts], axis=1))


class Game:
    """The headline's finish in every iteration under every coalition of factors, kept only where
    it can differ: iteration i keeps one finish per subset t of its active set a_i, at
    offset_i + local(t). local(t) numbers t's bits by their rank among a_i's, so local(S ∩ a_i)
    = sum over j in S of contrib_j, with contrib_j = 2^(rank of j in a_i) where j is in a_i,
    else 0; a coalition's finishes are one gather."""

    def __init__(self, result: Result) -> None:
        from sim.simulation.engines import EngineOutput, choose_engine, run_engine

        sc = result.scenario
        plan = compile_plan(sc)
        engine = choose_engine(plan, "auto")
        head = plan.index[sc.headline]
        self.target = sc.milestones[sc.headline].target
        self.factors = fs = factors(result)
        k = len(fs)
        draws = _all_draws(result)
        n = draws.n
        plan_outcome = {
            mid: int(np.argmax([b.probability for b in sc.milestones[mid].branches]))
            for mid, kind, _ in fs
            if kind == "decision"
        }
        active = np.zeros(n, dtype=np.int64)
        for j, (key, kind, _) in enumerate(fs):
            on = draws.risk_occurred[key] if kind == "risk" else draws.outcome[key] != plan_outcome[key]
            active |= on.astype(np.int64) << j
        sizes = np.ones(n, dtype=np.int64)
        self.contrib = contrib = np.zeros((k, n), dtype=np.int64)
        for j in range(k):
            bit = (active >> j) & 1
            contrib[j] = bit * sizes
            sizes <<= bit
        self.offset = offset = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self.flat = np.empty(int(sizes.sum()))
        m_count = len(plan.ids)
        for t in sorted(_submasks(np.unique(active))):
            idx = np.flatnonzero(active & t == t)
            risks: dict[str, np.ndarray] = {}
            outcomes: dict[str, np.ndarray] = {}
            for j, (key, kind, _) in enumerate(fs):
                if not t >> j & 1:
                    if kind == "risk":
                        risks[key] = np.zeros(idx.size, dtype=bool)
                    else:
                        outcomes[key] = np.full(idx.size, plan_outcome[key], dtype=np.int32)
            sub = draws.columns(idx)
            changed = with_inputs(plan, sub, risks, outcomes) if risks or outcomes else sub
            out = EngineOutput(np.empty((m_count, idx.size)), np.empty((m_count, idx.size), dtype=np.int16))
            run_engine(engine, plan, changed, out)
            local = sum((contrib[j, idx] for j in range(k) if t >> j & 1), np.zeros(idx.size, dtype=np.int64))
            self.flat[offset[idx] + local] = out.finish[head]
        self._last: tuple[int, np.ndarray] = (0, np.zeros(n, dtype=np.int64))

    def value(self, local: np.ndarray) -> dict[str, float | None]:
        """The statistics of the coalition whose local indices are `local`."""
        return statistics(self.flat[self.offset + local], self.target)

    def of(self, mask: int) -> tuple[float | None, ...]:
        """The statistics (`STATS`, in order) of the coalition `mask`. A walk that adds one factor
        at a time (`sim.analysis.shapley.sampled`) adds one contrib row to the last local index."""
        last, local = self._last
        if mask & last == last and (mask ^ last).bit_count() == 1:
            local = local + self.contrib[(mask ^ last).bit_length() - 1]
        elif mask != last:
            local = sum(
                (self.contrib[j] for j in range(len(self.factors)) if mask >> j & 1),
                np.zeros(self.offset.size, dtype=np.int64),
            )
        self._last = (mask, local)
        stats = self.value(local)
        return tuple(stats[s] for s in STATS)

    def every_coalition(self) -> list[dict[str, float | None]]:
        """The statistics of every coalition (index: its bit mask)."""
        per: list[dict[str, float | None]] = [{} for _ in range(2 ** len(self.factors))]
        for mask, local in self.walk():
            per[mask] = self.value(local)
        return per

    def walk(self) -> Iterator[tuple[int, np.ndarray]]:
        """Every coalition's bit mask and local indices, in Gray-code order: each differs from the
        last by one factor, so the local index moves by one contrib row."""
        local = np.zeros(self.offset.size, dtype=np.int64)
        mask = 0
        for g in range(2 ** len(self.factors)):
            if g:
                j = (g & -g).bit_length() - 1
                mask ^= 1 << j
                local = local + self.contrib[j] if mask >> j & 1 else local - self.contrib[j]
            yield mask, local


def _submasks(sets: np.ndarray) -> set[int]:
    """Every subset (bit mask) of any of `sets`."""
    out: set[int] = set()
    for a in (int(x) for x in sets):
        t = a
        while True:
            out.add(t)
            if t == 0:
                break
            t = (t - 1) & a
    return out


def coalition_statistics(result: Result) -> tuple[list[tuple[str, str, str]], list[dict[str, float | None]]]:
    """The factors and the headline's statistics (`STATS`) for every coalition (bit j set: factor
    j as modelled), from runs of only the iterations each set of active factors concerns."""
    game = Game(result)
    return game.factors, game.every_coalition()


def sampled_shapley(
    game: Game, permutations: int, rng: np.random.Generator
) -> tuple[dict[str, list[float] | None], dict[str, list[float] | None]]:
    """Shapley values estimated from `permutations` random orders of the factors, and their
    standard errors (`sim.analysis.shapley.sampled`): the estimates add up to the total whatever
    the count. None for a statistic that is "never" somewhere."""
    means, ses = sampled(game.of, len(game.factors), permutations, rng)
    columns = {s: [p[m] for p in means] for m, s in enumerate(STATS)}
    errors = {s: [e[m] for e in ses] for m, s in enumerate(STATS)}
    return (
        {s: None if None in columns[s] else columns[s] for s in STATS},
        {s: None if None in columns[s] else errors[s] for s in STATS},
    )


def attribution(result: Result, *, permutations: int = PERMUTATIONS) -> dict[str, Any]:
    """The `drivers.attribution` section of outputs.md: `total` (as modelled minus no risk) and
    one record per risk and decision, largest P80 share first; values rounded as the summary
    rounds days (0.01) and shares (0.0001). Exact Shapley values up to `EXACT_UP_TO` factors;
    above, estimated from `permutations` random orders (seeded by the run's seed), and then the
    section also says `method` and each input its standard errors (`se`). Exact values also come
    with each input's 95 % paired-bootstrap `interval` per statistic (`sim.analysis.attributionci`).
    The summary JSON keeps the contract's keys only (`summary_section`)."""
    game = Game(result)
    fs = game.factors
    k = len(fs)
    n = game.offset.size
    none = game.value(np.zeros(n, dtype=np.int64))
    full = game.value(np.sum(game.contrib, axis=0))
    total = {
        s: None if full[s] is None or none[s] is None else _round(full[s] - none[s], s)  # type: ignore[operator]
        for s in STATS
    }
    ses: dict[str, list[float] | None] | None = None
    cis = None
    if k <= EXACT_UP_TO:
        from sim.analysis import attributionci

        stream = np.random.SeedSequence(result.seed, spawn_key=(stable_hash("attribution-intervals"),))
        per, cis = attributionci.coalitions_and_intervals(game, np.random.default_rng(stream))
        parts = {s: shapley([p[s] for p in per], k) for s in STATS}
    else:
        rng = np.random.default_rng(
            np.random.SeedSequence(result.seed, spawn_key=(stable_hash("attribution"),))
        )
        parts, ses = sampled_shapley(game, permutations, rng)  # type: ignore[assignment]
    inputs = []
    for j, (key, kind, label) in enumerate(fs):
        record: dict[str, Any] = {"input": key, "label": label, "kind": kind}
        for s in STATS:
            values = parts[s]
            record[s] = None if values is None else _round(values[j], s)
        if cis is not None:
            record["interval"] = {
                s: None if cis[s] is None else [_round(v, s) for v in cis[s][j]]  # type: ignore[index]
                for s in STATS
            }
        if ses is not None:
            record["se"] = {s: None if ses[s] is None else _round(ses[s][j], s) for s in STATS}  # type: ignore[index]
        inputs.append(record)
    inputs.sort(key=lambda r: -(r["p80_days"] or 0.0))
    out: dict[str, Any] = {"total": total, "inputs": inputs}
    if ses is not None:
        out["method"] = (
            f"Shapley values estimated from {permutations} random orders of the {k} risks and "
            "decisions (more than 12: exact enumeration would take too long); `se` is each "
            "estimate's standard error; the parts still add up to the total exactly"
        )
    return out


# The keys outputs.md fixes for `drivers.attribution` in the summary JSON.
SUMMARY_KEYS = ("total", "inputs")
SUMMARY_INPUT_KEYS = ("input", "label", "kind", *STATS)


def summary_section(section: dict[str, Any]) -> dict[str, Any]:
    """`section` (from `attribution`) with exactly the keys the summary JSON's contract fixes: the
    intervals, standard errors and method stay in the Python object and the report."""
    out = {key: section[key] for key in SUMMARY_KEYS}
    out["inputs"] = [{key: item[key] for key in SUMMARY_INPUT_KEYS} for item in section["inputs"]]
    return out


def _round(x: float | None, stat: str) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(x, 4 if stat == "p_target" else 2) + 0.0
