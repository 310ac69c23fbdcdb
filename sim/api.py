"""The library entry points a notebook or the CLI calls: load a scenario, simulate it."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.loader import load as _load
from sim.plan import Plan, compile_plan, deterministic_plan
from sim.results import RandomInput, Result
from sim.sampling import chunk_seeds, chunk_sizes, draw, input_values
from sim.scenario import Scenario

Progress = Callable[[int], None]


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file. Raises sim.ScenarioError listing every problem."""
    return _load(path)


def fresh_seed() -> int:
    """A new random seed from OS entropy, to be printed so the run can be replayed.

    Kept below 2**53 so that it survives JSON readers that hold numbers as doubles (JavaScript,
    jq) and can be typed back on the command line.
    """
    return int(np.random.SeedSequence().entropy) >> (128 - 53)  # type: ignore[arg-type]


@dataclass
class _Chunk:
    finish: np.ndarray
    driver: np.ndarray
    duration: np.ndarray
    lag: np.ndarray
    risk_occurred: dict[str, np.ndarray]
    outcome: dict[str, np.ndarray]
    inputs: dict[str, np.ndarray]


def _run_chunk(
    plan: Plan,
    engine: str,
    seq: np.random.SeedSequence,
    n: int,
    finish: np.ndarray | None = None,
    driver: np.ndarray | None = None,
    duration: np.ndarray | None = None,
) -> _Chunk:
    """Draw and run one chunk, writing into the given (M, n) views when there are some."""
    from sim.engines import EngineOutput, run_engine

    draws = draw(plan, seq, n, duration)
    m_count = len(plan.ids)
    out = EngineOutput(
        finish if finish is not None else np.empty((m_count, n)),
        driver if driver is not None else np.empty((m_count, n), dtype=np.int16),
    )
    run_engine(engine, plan, draws, out)
    return _Chunk(
        out.finish,
        out.driver,
        draws.duration,
        draws.lag,
        draws.risk_occurred,
        draws.outcome,
        input_values(plan, draws),
    )


def simulate(
    scenario: Scenario,
    iterations: int | None = None,
    seed: int | None = None,
    *,
    engine: str = "auto",
    workers: int | None = 1,
    progress: Progress | None = None,
    executor: Any = None,
) -> Result:
    """Run the Monte Carlo simulation and return the Result.

    `iterations` and `seed` default to the scenario's (a fresh seed if it has none: read it back
    from `result.seed`). `engine` is "auto" (vector where the scenario allows, else SimPy),
    "simpy" or "vector". `workers` > 1 runs chunks in parallel processes (None: all cores); the
    numbers do not depend on it. `executor`, if given, runs the chunks instead: anything with
    `submit(fn, *args)` returning futures with `.result()`, such as a
    `concurrent.futures.Executor` or a `dask.distributed.Client` for a cluster. `progress` is
    called with the number of iterations just done.
    Raises ValueError for an engine that cannot run the scenario.
    """
    from sim.engines import choose_engine

    began = time.perf_counter()
    n_total = iterations if iterations is not None else scenario.iterations
    if n_total < 1:
        raise ValueError(f"iterations must be at least 1, got {n_total}")
    seed = seed if seed is not None else (scenario.seed if scenario.seed is not None else fresh_seed())
    plan = compile_plan(scenario)
    chosen = choose_engine(plan, engine)
    check_fits(scenario, n_total)
    sizes = chunk_sizes(n_total)
    seqs = chunk_seeds(seed, n_total)
    n_workers = min(workers or os.cpu_count() or 1, len(sizes))
    m_count = len(plan.ids)
    finish = np.empty((m_count, n_total))
    driver = np.empty((m_count, n_total), dtype=np.int16)
    duration = np.empty((m_count, n_total))
    lag = np.empty((len(plan.lags), n_total))
    offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    chunks: list[_Chunk] = []
    if executor is not None:
        info = getattr(executor, "scheduler_info", None)  # a Dask client knows its cluster's size
        n_workers = len(info().get("workers", {})) if callable(info) else len(sizes)
        futures = [executor.submit(_run_chunk, plan, chosen, seq, n) for seq, n in zip(seqs, sizes)]
        chunks = _collect(futures, sizes, offsets, finish, driver, duration, lag, progress)
    elif n_workers <= 1 and chosen == "vector":
        # Each chunk is drawn from its own stream, then one engine call covers them all: the
        # numbers are those of chunk-by-chunk runs, without the per-chunk call overhead.
        from sim.engines import EngineOutput, run_engine
        from sim.sampling import merge

        parts = [
            draw(plan, seq, n, duration[:, offsets[k] : offsets[k] + n])
            for k, (seq, n) in enumerate(zip(seqs, sizes))
        ]
        merged = merge(parts, duration)
        run_engine(chosen, plan, merged, EngineOutput(finish, driver))
        lag = merged.lag
        extra = input_values(plan, merged)
        chunks = [_Chunk(finish, driver, duration, lag, merged.risk_occurred, merged.outcome, extra)]
        if progress:
            progress(n_total)
    elif n_workers <= 1:
        for k, (seq, n) in enumerate(zip(seqs, sizes)):
            part = slice(offsets[k], offsets[k] + n)
            chunks.append(
                _run_chunk(plan, chosen, seq, n, finish[:, part], driver[:, part], duration[:, part])
            )
            lag[:, part] = chunks[-1].lag
            if progress:
                progress(n)
    else:
        import multiprocessing

        ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
        pool = ProcessPoolExecutor(n_workers, mp_context=ctx, initializer=_ignore_interrupts)
        try:
            futures = [pool.submit(_run_chunk, plan, chosen, seq, n) for seq, n in zip(seqs, sizes)]
            chunks = _collect(futures, sizes, offsets, finish, driver, duration, lag, progress)
        except BaseException:
            # Ctrl-C or SIGTERM: drop the queued chunks and stop the running ones now, rather than
            # waiting for every chunk to finish as a plain shutdown would.
            _stop(pool)
            raise
        pool.shutdown()
    risk_occurred = {r: np.concatenate([c.risk_occurred[r] for c in chunks]) for r in scenario.risks}
    outcome = {m: np.concatenate([c.outcome[m] for c in chunks]) for m in chunks[0].outcome}
    others = {k: np.concatenate([c.inputs[k] for c in chunks]) for k in chunks[0].inputs}
    det = deterministic_plan(scenario)
    return Result(
        scenario=scenario,
        milestone_ids=plan.ids,
        finish=finish,
        driver=driver,
        lag=lag,
        plan_days=np.array([det.finish[m] for m in plan.ids]),
        inputs=_inputs(plan, duration, risk_occurred, outcome, others),
        risk_occurred=risk_occurred,
        outcome=outcome,
        seed=seed,
        engine=chosen,
        workers=max(n_workers, 1),
        seconds=time.perf_counter() - began,
        finished_at=dt.datetime.now(dt.timezone.utc),
    )


def _ignore_interrupts() -> None:
    """In a worker: leave Ctrl-C to the parent, which stops the pool (no traceback per worker)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stop(pool: ProcessPoolExecutor) -> None:
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=1.0)


# Peak memory per (milestone or retry attempt) and iteration, everything a run allocates counted:
# finish, duration and driver arrays, the draws, sensitivity ranks, criticality and the report's
# figures. Measured peak RSS of `lunarsim run` on a 2,000-milestone chain at 2,000 iterations was
# 214 bytes per cell (857 MB); 256 leaves room for branching and resources.
_BYTES_PER_CELL = 256
_BASE_BYTES = 300_000_000  # the interpreter, numpy, plotly and the report template


def memory_needed(scenario: Scenario, iterations: int) -> int:
    """Bytes a run of `iterations` needs at its peak: per iteration, a cell for each milestone,
    each retry attempt (an array of retry delays each) and each risk."""
    attempts = sum(m.retry.max for m in scenario.milestones.values() if m.retry)
    cells = max(len(scenario.milestones) + attempts + len(scenario.risks), 1)
    return _BASE_BYTES + _BYTES_PER_CELL * cells * iterations


def check_fits(scenario: Scenario, iterations: int) -> None:
    """Raise ValueError, with the numbers, if the run cannot fit in this machine's free memory."""
    need = memory_needed(scenario, iterations)
    cells = (need - _BASE_BYTES) // (_BYTES_PER_CELL * iterations)
    try:
        free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # not a POSIX system: no check
        return
    if need > free:
        per_iteration = max((need - _BASE_BYTES) // iterations, 1)
        fits = max((free - _BASE_BYTES) // per_iteration, 0)
        raise ValueError(
            f"{iterations:,} iterations of {len(scenario.milestones)} milestones "
            f"(with retries and risks, {cells:,} values each) need about {need / 1e9:.1f} GB of memory "
            f"and {free / 1e9:.1f} GB is free; use at most about {fits:,} iterations"
        )


def _collect(
    futures: list[Any],
    sizes: list[int],
    offsets: list[int],
    finish: np.ndarray,
    driver: np.ndarray,
    duration: np.ndarray,
    lag: np.ndarray,
    progress: Progress | None,
) -> list[_Chunk]:
    """Copy each chunk's arrays into place, in chunk order, as its future completes."""
    chunks = []
    for k, (fut, n) in enumerate(zip(futures, sizes)):
        chunk = fut.result()
        part = slice(offsets[k], offsets[k] + n)
        finish[:, part], driver[:, part], duration[:, part] = chunk.finish, chunk.driver, chunk.duration
        lag[:, part] = chunk.lag
        chunks.append(chunk)
        if progress:
            progress(n)
    return chunks


def _inputs(
    plan: Plan,
    duration: np.ndarray,
    risk_occurred: dict[str, np.ndarray],
    outcome: dict[str, np.ndarray],
    others: dict[str, np.ndarray],
) -> list[RandomInput]:
    """Every uncertain input of the run, labelled for a reader (see `sampling.input_values`)."""
    sc = plan.scenario
    ms = plan.milestones
    inputs: list[RandomInput] = []
    for row, m in enumerate(ms):
        if m.actual is None and not m.duration.is_fixed:
            inputs.append(RandomInput(m.id, f"{m.title}: duration", "duration", duration[row]))
    for key, values in others.items():
        kind, _, rest = key.partition(":")
        if kind == "lag":
            row, pos = plan.lags[int(rest)]
            m, pred = ms[row], ms[row].after[pos].id
            label = f"{m.title}: wait after {sc.milestones[pred].title}"
            inputs.append(RandomInput(f"{m.id}.lag.{pred}", label, "lag", values))
        elif kind == "attempts":
            m = ms[int(rest)]
            inputs.append(RandomInput(f"{m.id}.attempts", f"{m.title}: failed attempts", "attempts", values))
        elif kind == "retry":
            m = ms[int(rest)]
            inputs.append(RandomInput(f"{m.id}.retry", f"{m.title}: time to try again", "retry", values))
        elif kind == "amount":
            source, owner, effect = plan.effect_sources[int(rest)]
            if source == "risk":
                cause, ident = f"{sc.risks[owner].title} (risk)", f"{owner}.{effect.kind}"
            else:
                mid, name = owner.split("=", 1)
                cause, ident = f"{sc.milestones[mid].title} = {name}", f"{owner}.{effect.kind}"
            what = "delay added" if effect.kind == "add" else "duration scale"
            targets = ", ".join(sc.milestones[t].title for t in effect.milestones)
            if len(effect.milestones) > 2:
                targets = f"{len(effect.milestones)} milestones"
            inputs.append(RandomInput(f"{ident}.{rest}", f"{cause}: {what} ({targets})", "effect", values))
        elif kind == "hold":
            row_s, use_s = rest.split(":")
            m = ms[int(row_s)]
            use = m.uses[int(use_s)]
            title = sc.resources[use.resource].title
            label = f"{m.title}: time holding {title}"
            inputs.append(RandomInput(f"{m.id}.hold.{use.resource}", label, "hold", values))
    for rid, occ in risk_occurred.items():
        inputs.append(RandomInput(rid, f"{sc.risks[rid].title} (risk)", "risk", occ.astype(float)))
    for mid, chosen in outcome.items():
        m = sc.milestones[mid]
        if len(m.branches) < 2:
            continue
        for k, b in enumerate(m.branches):
            inputs.append(
                RandomInput(f"{mid}={b.id}", f"{m.title} = {b.id}", "decision", (chosen == k).astype(float))
            )
    return inputs
