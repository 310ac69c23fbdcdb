"""The library entry points a notebook or the CLI calls: load, validate, simulate and run a scenario."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.analysis.results import RandomInput, Result
from sim.scenario.loader import load as _load
from sim.scenario.model import Scenario
from sim.simulation.inputs import described
from sim.simulation.plan import Plan

if TYPE_CHECKING:  # the executor imports the engines, which loading never needs
    from sim.simulation.executor import Progress, Submitter
    from sim.simulation.reduction import IterationArrays, Reduction


def load(path: str | Path) -> Scenario:
    """Read and check a scenario file, or a bundled scenario by name (`"ilrs-2022-announced"`, as
    `lunarsim scenarios` lists them); no engine runs. Raises sim.ScenarioError listing every problem.

    A scenario without a `headline` has an empty one here; `simulate` and `validate` choose it.
    """
    return _load(_located(path))


def _located(path: str | Path) -> Path:
    """`path` as given when it exists; else the bundled scenario of that name, if there is one."""
    from sim.bundled import find
    from sim.errors import ScenarioError

    given = Path(path)
    try:
        return find(str(path))
    except ScenarioError:
        return given  # reading it then reports the problem at the path the user gave


def validate(path: str | Path) -> Scenario:
    """`load`, then compute the deterministic plan: the scenario with its headline chosen and the
    plan's warnings (such as a milestone the plan finishes before `as_of` without an actual)."""
    from sim.simulation.deterministic import resolved

    return resolved(load(path))


def simulate(
    scenario: str | Path | Scenario,
    iterations: int | None = None,
    seed: int | None = None,
    *,
    engine: str = "auto",
    workers: int | None = 1,
    progress: Progress | None = None,
    executor: Submitter | None = None,
    stream: bool | None = None,
) -> Result:
    """Run the Monte Carlo simulation and return the Result: one worker process unless told (`run`
    is this on all cores).

    `scenario` is a `Scenario`, or a path or a bundled scenario's name to `load` first.
    `iterations` and `seed` default to the scenario's (a fresh seed if it has none: read it back
    from `result.seed`; `result.seed_fresh` says it was). `engine` is "auto" (vector where the
    scenario allows, else SimPy), "simpy" or "vector". `workers` > 1 runs chunks in parallel
    processes (None: all cores); the numbers do not depend on it. `executor`, if given, runs the
    chunks instead: anything with `submit(fn, *args)` returning futures with `.result()`, such as
    a `concurrent.futures.Executor` or a `dask.distributed.Client` for a cluster (see
    `sim.simulation.executor`). `progress` is called with the number of iterations just done. The
    deterministic plan is computed here, once: it gives `result.plan_of` and, when the scenario
    names none, the headline (the milestone the plan finishes last).
    `stream` keeps reductions and a seeded subsample instead of every iteration (a streamed
    Result, see `Result.streamed`), in memory that does not grow with `iterations`; None streams
    exactly when `streams(scenario, iterations)` says the run is too big to keep whole.
    Raises ValueError for an engine that cannot run the scenario or a run too big for memory.
    """
    from sim.simulation.deterministic import deterministic_plan, resolved
    from sim.simulation.engines import choose_engine
    from sim.simulation.executor import execute
    from sim.simulation.plan import compile_plan

    began = time.perf_counter()
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    n_total = iterations_for(scenario, iterations)
    if n_total < 1:
        raise ValueError(f"iterations must be at least 1, got {n_total}")
    fresh = seed is None and scenario.seed is None
    seed = seed_for(scenario, seed)
    plan = compile_plan(scenario)
    chosen = choose_engine(plan, engine)
    streamed = streams(scenario, n_total) if stream is None else stream
    check_fits(scenario, n_total, streamed=streamed)
    det = deterministic_plan(scenario, plan)
    final = resolved(scenario, det)
    ran = _Run(final, plan, det.finish, chosen, seed, fresh, began)
    if streamed:
        return _streamed(ran, n_total, workers, executor, progress)
    arrays = execute(plan, chosen, seed, n_total, workers=workers, executor=executor, progress=progress)
    return _result(ran, arrays, arrays.workers)


@dataclasses.dataclass(frozen=True)
class _Run:
    """What `simulate` settled before running: the resolved scenario, the plan compiled from it
    and its deterministic finish days, the engine, the seed (and whether it is fresh), and the
    `time.perf_counter()` the run began at."""

    scenario: Scenario
    plan: Plan
    plan_finish: dict[str, float]
    engine: str
    seed: int
    fresh: bool
    began: float


def _result(ran: _Run, kept: IterationArrays, workers: int, stats: Reduction | None = None) -> Result:
    """The Result of a run from the iterations it keeps: every one, or a streamed run's subsample
    beside `stats`, its reductions."""
    plan = ran.plan
    return Result(
        scenario=ran.scenario,
        milestone_ids=plan.ids,
        finish=kept.finish,
        driver=kept.driver,
        lag=kept.lag,
        plan_days=np.array([ran.plan_finish[m] for m in plan.ids]),
        inputs=_inputs(plan, kept),
        risk_occurred=kept.risk_occurred,
        outcome=kept.outcome,
        seed=ran.seed,
        seed_fresh=ran.fresh,
        engine=ran.engine,
        workers=workers,
        seconds=time.perf_counter() - ran.began,
        finished_at=dt.datetime.now(dt.timezone.utc),
        replayable=True,
        stats=stats,
        # The plan compiled for the run, of the resolved scenario (the headline, which the plan
        # does not read, chosen).
        compiled_plan=dataclasses.replace(plan, scenario=ran.scenario),
    )


def _streamed(
    ran: _Run,
    iterations: int,
    workers: int | None,
    executor: Submitter | None,
    progress: Progress | None,
) -> Result:
    """`simulate`'s streamed run: chunks reduced as they finish (`executor.execute_streamed`)."""
    from sim.analysis.sensitivity import sample_rows
    from sim.simulation.executor import Kept, execute_streamed

    rows = sample_rows(iterations, ran.seed)
    if rows is None:
        rows = np.arange(iterations)
    head = ran.plan.index[ran.scenario.headline]
    stats, n_workers = execute_streamed(
        ran.plan,
        ran.engine,
        ran.seed,
        iterations,
        kept=Kept(head, rows),
        workers=workers,
        executor=executor,
        progress=progress,
    )
    return _result(ran, stats.sample, n_workers, stats)


def run(
    scenario: str | Path | Scenario,
    iterations: int | None = None,
    seed: int | None = None,
    *,
    engine: str = "auto",
    workers: int | None = None,
    progress: Progress | None = None,
    executor: Submitter | None = None,
    stream: bool | None = None,
) -> Result:
    """`simulate` on all cores (`workers=None`): the same run, the same numbers, sooner.

    The call behind `lunarsim run` and `compare`; every argument means what it means for `simulate`.
    """
    return simulate(
        scenario,
        iterations,
        seed,
        engine=engine,
        workers=workers,
        progress=progress,
        executor=executor,
        stream=stream,
    )


def iterations_for(scenario: Scenario, iterations: int | None) -> int:
    """The iterations a run of `scenario` makes: those asked for, else the scenario's."""
    return iterations if iterations is not None else scenario.iterations


def seed_for(scenario: Scenario, seed: int | None, *, repeatable: bool = False) -> int:
    """The seed a run of `scenario` uses: the one given, else the scenario's, else a fresh one, or
    0 when `repeatable` (runs compared with each other, a sweep's variants or a watch's re-runs,
    share one set of draws and so differ only by what changed)."""
    if seed is not None:
        return seed
    if scenario.seed is not None:
        return int(scenario.seed)
    return 0 if repeatable else fresh_seed()


def fresh_seed() -> int:
    """A new random seed from OS entropy, to be printed so the run can be replayed.

    Kept below 2**53 so that it survives JSON readers that hold numbers as doubles (JavaScript,
    jq) and can be typed back on the command line.
    """
    return int(np.random.SeedSequence().entropy) >> (128 - 53)  # type: ignore[arg-type]


# Peak memory per (milestone or retry attempt) and iteration kept, everything a run allocates
# counted: finish, duration and driver arrays, the draws, sensitivity ranks, criticality and the
# report's figures. Measured peak RSS of `lunarsim run` on a 2,000-milestone chain at 2,000
# iterations was 214 bytes per cell (857 MB); 256 leaves room for branching and resources.
_BYTES_PER_CELL = 256
_BASE_BYTES = 300_000_000  # the interpreter, numpy, plotly and the report template
# Runs of more cells (iterations times milestones, retry attempts and risks) than this stream
# (`streams`): about 1.3 GB by the measure above at the largest run kept whole, and a rule on the
# run's size alone, so that the same run is kept whole or streamed on every machine.
STREAM_CELLS = 50_000_000


def _cells(scenario: Scenario) -> int:
    """Values per iteration: one for each milestone, each retry attempt and each risk."""
    attempts = sum(m.retry.max for m in scenario.milestones.values() if m.retry)
    return max(len(scenario.milestones) + attempts + len(scenario.risks), 1)


def streams(scenario: Scenario, iterations: int) -> bool:
    """Whether `simulate` streams a run of `iterations` (see `Result.streamed`): when it would
    keep more than `STREAM_CELLS` values."""
    return _cells(scenario) * iterations > STREAM_CELLS


def memory_needed(scenario: Scenario, iterations: int, *, streamed: bool | None = None) -> int:
    """Bytes a run of `iterations` needs at its peak (`streamed` as `simulate` decides if None).

    Kept whole: a cell per milestone, retry attempt and risk, per iteration. Streamed: the
    subsample's cells (`sim.analysis.sensitivity.SENSITIVITY_SAMPLE` iterations, analysed as a run that
    size would be), the cells of one chunk in each process that runs chunks, and the day counts:
    a count per day up to the horizon for each milestone and for the running headline total.
    None of it grows with `iterations` once chunks reach their largest size.
    """
    from sim.analysis.sensitivity import SENSITIVITY_SAMPLE
    from sim.simulation.executor import chunk_size, chunk_sizes

    cells = _cells(scenario)
    if not (streams(scenario, iterations) if streamed is None else streamed):
        return _BASE_BYTES + _BYTES_PER_CELL * cells * iterations
    processes = min(os.cpu_count() or 1, len(chunk_sizes(iterations)))
    rows = min(iterations, SENSITIVITY_SAMPLE) + chunk_size(iterations) * processes
    span = max(int(scenario.horizon_days), 1) + 1
    counts = 8 * span * (len(scenario.milestones) + 1)
    return _BASE_BYTES * processes + _BYTES_PER_CELL * cells * rows + counts


def check_fits(scenario: Scenario, iterations: int | None = None, *, streamed: bool | None = None) -> None:
    """Raise ValueError, with the numbers, if the run cannot fit in this machine's free memory, or
    could not finish within a day (`sim.runtime.check_finishes`); `iterations` defaulting to the
    scenario's, `streamed` as `simulate` decides if None."""
    iterations = iterations_for(scenario, iterations)
    from sim.runtime import check_finishes

    # Memory stops growing with iterations once a run streams: past 10^9 it is that of 10^9.
    capped = iterations if streamed is False else min(iterations, 10**9)
    need = memory_needed(scenario, capped, streamed=streamed)
    try:
        free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # not a POSIX system: no memory check
        free = None
    if free is None or need <= free:
        check_finishes(_cells(scenario), len(scenario.milestones), iterations, need)
        return
    raise ValueError(
        f"{iterations:,} iterations of {len(scenario.milestones)} milestones "
        f"(with retries and risks, {_cells(scenario):,} values each) need about {need / 1e9:.1f} GB "
        f"of memory and {free / 1e9:.1f} GB is free"
    )


def _inputs(plan: Plan, kept: IterationArrays) -> list[RandomInput]:
    """Every uncertain input of the run, labelled for a reader in plain words
    (`sim.simulation.inputs.described`; `RandomInput` for the label's two parts)."""
    return [
        RandomInput(label.ident, label.text, label.kind, values, label.subject, label.detail)
        for label, values in described(plan, kept, kept.inputs)
    ]
