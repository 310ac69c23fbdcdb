"""Exact risk and decision impacts: the headline re-run on the same draws with one input changed."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.analysis.bootquantiles import Bootstrap
from sim.doneby import done_by
from sim.percentiles import BOUNDS_95, percentile_of
from sim.simulation.executor import chunk_seeds, chunk_sizes, map_chunks
from sim.simulation.inputs import stable_hash
from sim.simulation.plan import Plan
from sim.simulation.sampling import Draws, draw, with_inputs

if TYPE_CHECKING:
    from sim.analysis.results import Result

_Z = 1.959963984540054  # the standard normal's 97.5th percentile, for a 95 % interval
RESAMPLES = 200
METHOD = (
    "each risk switched off (probability 0) and each decision forced to one outcome, re-run on "
    "the same random draws; 95 % intervals: a normal interval on the paired per-iteration "
    "differences for P(target), a paired bootstrap over iterations (200 resamples, percentile "
    "interval) for P50 and P80"
)

# Up to this many re-run iterations (the run's iterations times the risks and decision outcomes),
# impacts are computed by default: a few seconds at most on one core, for each engine.
SIMPY_BOUND = 200_000
VECTOR_BOUND = 2_000_000


def variant_count(result: Result) -> int:
    """How many re-runs `impacts` makes: one per risk and one per outcome of each decision."""
    return sum(1 for _ in _variants(result.compiled()))


def by_default(result: Result) -> bool:
    """Whether `run`'s summary and report include the impacts when not told: when the re-runs
    (the run's iterations times the risks and decision outcomes) total at most `VECTOR_BOUND`
    iterations where the vector engine can run the scenario, `SIMPY_BOUND` where only SimPy can;
    impacts already computed are always shown, and never for a Result built by hand (its
    draws cannot be rebuilt)."""
    from sim.simulation.engines import choose_engine

    if result.impacts_computed:
        return True
    if not result.replayable:
        return False
    plan = result.compiled()
    bound = VECTOR_BOUND if choose_engine(plan, "auto") == "vector" else SIMPY_BOUND
    return result.iterations * sum(1 for _ in _variants(plan)) <= bound


def impacts(result: Result, *, resamples: int = RESAMPLES) -> list[dict[str, Any]]:
    """How the headline's P50, P80 and P(target) change when each risk is switched off and when
    each decision (a milestone with two or more branches) is forced to each of its outcomes.

    The run's own draws are rebuilt from (scenario, seed, iterations) and each variant is run on
    them with only that input changed, so a change is the input's effect with no sampling noise
    in it: a risk that cannot reach the headline shows exactly 0. Records are plain dicts:
    `input` (risk id, or `<milestone>=<outcome>`), `kind` (`risk` or `decision`), `label`,
    `p50_change_days`, `p80_change_days`, `p_target_change` (variant minus run; None when the
    percentile is "never" in either, or the headline has no target) and for each a `*_interval`
    [low, high] (95 %; a bound is None where it is "never"). Intervals are described in `METHOD`.
    """
    from sim.simulation.engines import choose_engine

    sc = result.scenario
    plan = result.compiled()
    engine = choose_engine(plan, "auto")
    head = plan.index[sc.headline]
    variants = list(_variants(plan))
    n = result.iterations
    base = np.empty(n)
    finishes = {key: np.empty(n) for key, *_ in variants}
    jobs = [
        (plan, engine, head, variants, seq, size)
        for seq, size in zip(chunk_seeds(result.seed, n), chunk_sizes(n))
    ]
    start = 0
    with map_chunks(_chunk, jobs) as done:
        for (_, _, _, _, _, size), (base_part, parts) in zip(jobs, done, strict=True):
            part = slice(start, start + size)
            base[part] = base_part
            for key, finish in parts.items():
                finishes[key][part] = finish
            start += size
    target = sc.milestones[sc.headline].target
    # The same resamples for every variant: one stream keyed by the seed.
    rng = np.random.default_rng(np.random.SeedSequence(result.seed, spawn_key=(stable_hash("impacts"),)))
    resampled = Resamples(base, rng, resamples)
    rows = []
    for key, kind, label, _, _ in variants:
        changes = _changes(base, finishes[key], target, resampled)
        rows.append({"input": key, "kind": kind, "label": label, **changes})
    return rows


# (input, kind, label, risks to set, outcomes to force)
Variant = tuple[str, str, str, dict[str, bool], dict[str, int]]


def _variants(plan: Plan) -> Iterator[Variant]:
    """(input, kind, label, risks to set, outcomes to force) for every risk and decision outcome."""
    sc = plan.scenario
    for rid, risk in sc.risks.items():
        yield rid, "risk", f"{risk.title}: risk switched off", {rid: False}, {}
    for mid in plan.ids:
        m = sc.milestones[mid]
        if len(m.branches) < 2:
            continue
        for k, b in enumerate(m.branches):
            yield f"{mid}={b.id}", "decision", f"{m.title}: always {b.words}", {}, {mid: k}


def _chunk(
    plan: Plan, engine: str, head: int, variants: list[Variant], seq: np.random.SeedSequence, size: int
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One chunk's headline finishes as run and under each variant, on the chunk's own draws."""
    from sim.simulation.engines import EngineOutput, run_engine

    draws = draw(plan, seq, size)
    base = _headline(run_engine, EngineOutput, engine, plan, draws, head)
    finishes = {}
    for key, _, _, risks, outcomes in variants:
        changed = with_inputs(plan, draws, _fill(risks, size), _fill(outcomes, size))
        finishes[key] = _headline(run_engine, EngineOutput, engine, plan, changed, head)
    return base, finishes


def _fill(values: dict[str, Any], n: int) -> dict[str, np.ndarray]:
    return {key: np.full(n, v, dtype=bool if isinstance(v, bool) else np.int32) for key, v in values.items()}


def _headline(run_engine: Any, output: Any, engine: str, plan: Plan, draws: Draws, row: int) -> np.ndarray:
    m_count = len(plan.ids)
    out = output(np.empty((m_count, draws.n)), np.empty((m_count, draws.n), dtype=np.int16))
    run_engine(engine, plan, draws, out)
    finish: np.ndarray = np.asarray(out.finish[row]).copy()
    return finish


def _changes(
    base: np.ndarray, variant: np.ndarray, target: float | None, resampled: Resamples
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    same = np.array_equal(base, variant)
    intervals = {50: [0.0, 0.0], 80: [0.0, 0.0]} if same else resampled.intervals(variant)
    for p in (50, 80):
        before, after = percentile_of(base, p), percentile_of(variant, p)
        change = None if before is None or after is None else after - before
        out[f"p{p}_change_days"] = _round(change, 2)
        out[f"p{p}_interval"] = [_round(v, 2) for v in intervals[p]]
    if target is None:
        out["p_target_change"], out["p_target_interval"] = None, None
    else:
        # Paired differences of the done-by-target indicators: their mean is the change, and its
        # standard error is their standard deviation over the square root of the iterations.
        d = done_by(variant, target).astype(float) - done_by(base, target).astype(float)
        mean = float(d.mean())
        se = float(d.std(ddof=1)) / math.sqrt(d.size) if d.size > 1 else 0.0
        out["p_target_change"] = _round(mean, 4)
        out["p_target_interval"] = [_round(mean - _Z * se, 4), _round(mean + _Z * se, 4)]
    return out


class Resamples:
    """A paired percentile bootstrap over iterations for the changes in P50 and P80: each resample
    draws n iterations with replacement, and the run and every variant are read at the same ones
    (`sim.analysis.bootquantiles`: exactly the k-th smallest resampled values, without sorting
    each resample). The run's own resampled percentiles are found once for all variants."""

    def __init__(self, base: np.ndarray, rng: np.random.Generator, resamples: int) -> None:
        self._boot = Bootstrap.drawn(base.size, resamples, rng)
        self._base = self._picks(base)

    def _picks(self, x: np.ndarray) -> np.ndarray:
        """Each resample's P50 and P80 of `x`: an array (resamples, 2)."""
        _, found = self._boot.percentiles([x], (50, 80))
        return np.concatenate([found[50], found[80]], axis=1)

    def intervals(self, variant: np.ndarray) -> dict[int, list[float]]:
        a, b = self._base, self._picks(variant)
        with np.errstate(invalid="ignore"):
            # Never in both: no change; never in one: an unbounded change.
            d = np.where(np.isinf(a) & np.isinf(b), 0.0, b - a)
        lo_hi = np.quantile(d, BOUNDS_95, axis=0, method="inverted_cdf")
        return {p: [float(lo_hi[0, j]), float(lo_hi[1, j])] for j, p in enumerate((50, 80))}


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, digits) + 0.0
