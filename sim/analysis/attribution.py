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
enumeration is done up to `MAX_FACTORS` factors and `MAX_CELLS` iteration-runs; above that no
attribution is given.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.doneby import done_by
from sim.percentiles import percentile_of
from sim.simulation.executor import chunk_seeds, chunk_sizes
from sim.simulation.plan import compile_plan
from sim.simulation.sampling import Draws, draw, merge, with_inputs

if TYPE_CHECKING:
    from sim.analysis.results import Result

MAX_FACTORS = 12
MAX_CELLS = 50_000_000  # coalitions x iterations kept in memory (8 bytes each: 400 MB)
DEFAULT_RUNS = 2_000_000
DEFAULT_CELLS = 20_000_000
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
    if not 0 < k <= MAX_FACTORS or not result.replayable or result.streamed:
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
    return (
        feasible(result)
        and _growth(result) * result.iterations <= DEFAULT_RUNS
        and (2 ** len(factors(result))) * result.iterations <= DEFAULT_CELLS
    )


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


def _all_draws(result: Result) -> Draws:
    plan = compile_plan(result.scenario)
    n = result.iterations
    parts = [draw(plan, seq, size) for seq, size in zip(chunk_seeds(result.seed, n), chunk_sizes(n))]
    if len(parts) == 1:
        return parts[0]
    return merge(parts, np.concatenate([p.duration for p in parts], axis=1))


def coalition_statistics(result: Result) -> tuple[list[tuple[str, str, str]], list[dict[str, float | None]]]:
    """The factors and the headline's statistics (`STATS`) for every coalition (bit j set: factor
    j as modelled), from runs of only the iterations each set of active factors concerns."""
    from sim.simulation.engines import EngineOutput, choose_engine, run_engine

    sc = result.scenario
    plan = compile_plan(sc)
    engine = choose_engine(plan, "auto")
    head = plan.index[sc.headline]
    target = sc.milestones[sc.headline].target
    fs = factors(result)
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
    # Iteration i keeps one finish per subset t of its active set a_i, at offset_i + local(t):
    # local(t) numbers t's bits by their rank among a_i's, so local(t) = sum over j in t of
    # contrib_j, with contrib_j = 2^(rank of j in a_i) where j is in a_i, else 0.
    sizes = np.ones(n, dtype=np.int64)
    contrib = np.zeros((k, n), dtype=np.int64)
    for j in range(k):
        bit = (active >> j) & 1
        contrib[j] = bit * sizes
        sizes <<= bit
    offset = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    flat = np.empty(int(sizes.sum()))
    m_count = len(plan.ids)
    for t in range(2**k):
        idx = np.flatnonzero(active & t == t)
        if not idx.size:
            continue
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
        flat[offset[idx] + local] = out.finish[head]
    # Every coalition in Gray-code order: each differs from the last by one factor, so the local
    # index moves by one contrib row.
    per: list[dict[str, float | None]] = [{} for _ in range(2**k)]
    local = np.zeros(n, dtype=np.int64)
    mask = 0
    for g in range(2**k):
        if g:
            j = (g & -g).bit_length() - 1
            mask ^= 1 << j
            local = local + contrib[j] if mask >> j & 1 else local - contrib[j]
        per[mask] = _statistics(flat[offset + local], target)
    return fs, per


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
    fs, per = coalition_statistics(result)
    k = len(fs)
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
