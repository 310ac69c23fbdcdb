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
Exact enumeration needs 2^k re-runs of the model, so it is done up to `MAX_FACTORS` factors and
`MAX_CELLS` coalition-iterations; above that, no attribution is given.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.doneby import done_by
from sim.percentiles import percentile_of
from sim.simulation.executor import chunk_seeds, chunk_sizes
from sim.simulation.plan import compile_plan
from sim.simulation.sampling import draw, with_inputs

if TYPE_CHECKING:
    from sim.analysis.results import Result

MAX_FACTORS = 12
MAX_CELLS = 50_000_000  # coalitions x iterations kept in memory (8 bytes each: 400 MB)
STATS = ("mean_days", "p50_days", "p80_days", "p_target")


def factors(result: Result) -> list[tuple[str, str, str]]:
    """(input, kind, label) of every risk and decision, risks first, decisions in plan order."""
    sc = result.scenario
    out = [(rid, "risk", r.title) for rid, r in sc.risks.items()]
    out += [
        (mid, "decision", sc.milestones[mid].title)
        for mid in compile_plan(sc).ids
        if len(sc.milestones[mid].branches) >= 2
    ]
    return out


def feasible(result: Result) -> bool:
    """Whether exact attribution can be computed for this run (see the module's limits)."""
    k = len(factors(result))
    return 0 < k <= MAX_FACTORS and result.replayable and (2**k) * result.iterations <= MAX_CELLS


def _statistics(finish: np.ndarray, target: float | None) -> dict[str, float | None]:
    done = finish[np.isfinite(finish)]
    return {
        "mean_days": float(done.mean()) if done.size else None,
        "p50_days": percentile_of(finish, 50),
        "p80_days": percentile_of(finish, 80),
        "p_target": None if target is None else float(done_by(finish, target).mean()),
    }


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


def shapley(values: list[float | None], k: int) -> list[float | None] | None:
    """Exact Shapley values of the k players of a game given by `values[mask]`; None if any value
    is None (a percentile that is "never" in some coalition)."""
    if any(v is None for v in values):
        return None
    v = [float(x) for x in values if x is not None]
    weight = [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)]
    out: list[float | None] = []
    for j in range(k):
        bit = 1 << j
        total = 0.0
        for mask in range(2**k):
            if not mask & bit:
                total += weight[mask.bit_count()] * (v[mask | bit] - v[mask])
        out.append(total)
    return out


def attribution(result: Result) -> dict[str, Any]:
    """The `drivers.attribution` section of outputs.md: `total` (as modelled minus no risk) and
    one record per risk and decision, largest P80 share first; values rounded as the summary
    rounds days (0.01) and shares (0.0001)."""
    sc = result.scenario
    target = sc.milestones[sc.headline].target
    fs, finishes = coalition_finishes(result)
    k = len(fs)
    per = [_statistics(row, target) for row in finishes]
    full, none = per[-1], per[0]
    total = {
        s: None if full[s] is None or none[s] is None else _round(full[s] - none[s], s)  # type: ignore[operator]
        for s in STATS
    }
    parts = {s: shapley([p[s] for p in per], k) for s in STATS}
    inputs = []
    for j, (key, kind, label) in enumerate(fs):
        record: dict[str, Any] = {"input": key, "label": label, "kind": kind}
        for s in STATS:
            values = parts[s]
            record[s] = None if values is None else _round(values[j], s)
        inputs.append(record)
    inputs.sort(key=lambda r: -(r["p80_days"] or 0.0))
    return {"total": total, "inputs": inputs}


def _round(x: float | None, stat: str) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(x, 4 if stat == "p_target" else 2) + 0.0
