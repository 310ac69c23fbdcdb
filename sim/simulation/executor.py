"""Where a run's chunks execute: the chunk and seed policy, and the in-process, process-pool and
submit-based (concurrent.futures, Dask) strategies behind one `execute` call."""

from __future__ import annotations

import mmap
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np

from sim.simulation.daycounts import DayCounts
from sim.simulation.engines import EngineOutput, Realised, run_engine
from sim.simulation.plan import Plan
from sim.simulation.reduction import Accumulator, IterationArrays, Moments, Reduction, merge_counts
from sim.simulation.sampling import Draws, draw, input_values, merge

Progress = Callable[[int], None]
T = TypeVar("T")
_Whole = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # a run's finish, driver, duration, lag

# Chunk boundaries depend on the iteration count only, never on the number of workers: about
# 16 chunks (so parallel workers stay busy), each of 1,024 to 65,536 iterations (so NumPy's
# per-call overhead stays small and a chunk's arrays stay in memory comfortably).
MIN_CHUNK = 1024
MAX_CHUNK = 65_536


def chunk_size(iterations: int) -> int:
    return min(MAX_CHUNK, max(MIN_CHUNK, -(-iterations // 16)))


def chunk_sizes(iterations: int) -> list[int]:
    size = chunk_size(iterations)
    full, rest = divmod(iterations, size)
    return [size] * full + ([rest] if rest else [])


def chunk_seeds(seed: int, iterations: int) -> list[np.random.SeedSequence]:
    return np.random.SeedSequence(seed).spawn(len(chunk_sizes(iterations)))


class Submitter(Protocol):
    """Anything that runs a function elsewhere: a `concurrent.futures.Executor`, a Dask client."""

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Any: ...


@dataclass
class Arrays(IterationArrays):
    """Every iteration's finish days, drivers and draws of a whole run, in chunk order, and how
    many workers ran them."""

    workers: int = 1


def execute(
    plan: Plan,
    engine: str,
    seed: int,
    iterations: int,
    *,
    workers: int | None = 1,
    executor: Submitter | None = None,
    progress: Progress | None = None,
) -> Arrays:
    """Draw and run `iterations` iterations of `plan` with `engine` and return every array.

    Chunk boundaries and each chunk's seed depend on `seed` and `iterations` only
    (`sim.simulation.sampling.chunk_seeds`), so where the chunks run never changes the numbers: in this
    process (`workers` 1), in a pool of `workers` processes (None: all cores), or through
    `executor`'s `submit` when one is given. `progress` is called with each count of iterations done.
    """
    sizes = chunk_sizes(iterations)
    seqs = chunk_seeds(seed, iterations)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    m_count = len(plan.ids)
    n_workers = min(workers or os.cpu_count() or 1, len(sizes))
    # Forked workers write their chunks straight into the run's arrays when these are in memory
    # shared with them: nothing is pickled back.
    shared = executor is None and n_workers > 1 and _FORK
    alloc = _shared_empty if shared else np.empty
    finish = alloc((m_count, iterations), np.float64)
    driver = alloc((m_count, iterations), np.int16)
    duration = alloc((m_count, iterations), np.float64)
    lag = alloc((len(plan.lags), iterations), np.float64)
    whole = (finish, driver, duration, lag)
    if executor is not None:
        n_workers = _submitter_size(executor, len(sizes))
    if executor is None and n_workers <= 1 and engine == "vector":
        # Each chunk is drawn from its own stream, then one engine call covers them all: the
        # numbers are those of chunk-by-chunk runs, without the per-chunk call overhead.
        parts = [
            draw(plan, seq, n, duration[:, offsets[k] : offsets[k] + n])
            for k, (seq, n) in enumerate(zip(seqs, sizes))
        ]
        merged = merge(parts, duration)
        whole_out = run_engine(engine, plan, merged, EngineOutput(finish, driver))
        lag = merged.lag
        taken = outcomes(plan, merged, whole_out)
        realised = _realised(whole_out)
        _realised_durations(realised, duration)
        extra = input_values(plan, realised, taken)
        chunks = [IterationArrays(finish, driver, duration, lag, merged.risk_occurred, taken, extra)]
        if progress:
            progress(iterations)
    else:
        spans = [slice(at, at + n) for at, n in zip(offsets, sizes)]
        # Who writes the arrays into place: forked workers, into shared memory ("none" left to
        # copy); this process, into views of them (but for the lags); else the chunks come back.
        copy = "none" if shared else "lag" if executor is None and n_workers <= 1 else "all"

        def job(seq: np.random.SeedSequence, n: int, part: slice) -> tuple[Any, ...]:
            if copy == "none":
                return (plan, engine, seq, n, part.start)
            if copy == "lag":
                return (plan, engine, seq, n, finish[:, part], driver[:, part], duration[:, part])
            return (plan, engine, seq, n)

        jobs = [job(seq, n, part) for seq, n, part in zip(seqs, sizes, spans)]
        fn = _run_chunk_shared if shared else _run_chunk
        with map_chunks(
            fn, jobs, workers=n_workers, executor=executor, shared=whole if shared else None
        ) as done:
            chunks = _collect(done, spans, whole, progress, copy)
    return Arrays(
        finish=finish,
        driver=driver,
        duration=duration,
        lag=lag,
        risk_occurred={r: np.concatenate([c.risk_occurred[r] for c in chunks]) for r in plan.scenario.risks},
        outcome={m: np.concatenate([c.outcome[m] for c in chunks]) for m in chunks[0].outcome},
        inputs={k: np.concatenate([c.inputs[k] for c in chunks]) for k in chunks[0].inputs},
        workers=max(n_workers, 1),
    )


def outcome_counts(chosen: np.ndarray, outcomes: int) -> np.ndarray:
    """How many iterations took each outcome (a decision never made, -1, counts for none)."""
    return np.bincount(chosen[chosen >= 0], minlength=outcomes).astype(np.int64)


def _run_chunk(
    plan: Plan,
    engine: str,
    seq: np.random.SeedSequence,
    n: int,
    finish: np.ndarray | None = None,
    driver: np.ndarray | None = None,
    duration: np.ndarray | None = None,
) -> IterationArrays:
    """Draw and run one chunk, writing into the given (M, n) views when there are some."""
    draws = draw(plan, seq, n, duration)
    m_count = len(plan.ids)
    out = EngineOutput(
        finish if finish is not None else np.empty((m_count, n)),
        driver if driver is not None else np.empty((m_count, n), dtype=np.int16),
    )
    run_engine(engine, plan, draws, out)
    taken = outcomes(plan, draws, out)
    realised = _realised(out)
    return IterationArrays(
        out.finish,
        out.driver,
        realised.duration if duration is None else _realised_durations(realised, duration),
        draws.lag,
        draws.risk_occurred,
        taken,
        input_values(plan, realised, taken),
    )


def _realised(out: EngineOutput) -> Realised:
    assert out.realised is not None  # set by run_engine
    return out.realised


def _realised_durations(realised: Realised, into: np.ndarray) -> np.ndarray:
    """Write a run's realised durations into the run's array `into`, which the drawn ones were
    drawn into (`draw`'s `out`): only the rows the run drew, those conditioned on the status date."""
    for row in realised.duration_u:
        into[row] = realised.duration[row]
    return into


def outcomes(plan: Plan, draws: Draws, out: EngineOutput) -> dict[str, np.ndarray]:
    """Every decision's outcome per iteration, in row order: drawn up front (`draws.outcome`),
    or chosen by the engine when a conditional decision completed (`out.outcome`, -1 where it
    never did)."""
    return {
        mid: out.outcome[mid] if mid in out.outcome else draws.outcome[mid]
        for mid in plan.ids
        if mid in out.outcome or mid in draws.outcome
    }


_FORK = hasattr(os, "fork")
# In a worker forked to fill them: the run's arrays, in memory shared with the parent.
_SHARED: _Whole | None = None


def _start_worker(shared: _Whole | None) -> None:
    global _SHARED
    _SHARED = shared
    _ignore_interrupts()


def _shared_empty(shape: tuple[int, int], dtype: type) -> np.ndarray:
    """An uninitialised array in anonymous shared memory, which processes forked later write to."""
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if size == 0:
        return np.empty(shape, dtype)
    return np.frombuffer(mmap.mmap(-1, size), dtype=dtype).reshape(shape)


def _run_chunk_shared(
    plan: Plan, engine: str, seq: np.random.SeedSequence, n: int, offset: int
) -> IterationArrays:
    """In a forked worker: run one chunk into the shared arrays; send back only the rest."""
    assert _SHARED is not None
    finish, driver, duration, lag = _SHARED
    part = slice(offset, offset + n)
    chunk = _run_chunk(plan, engine, seq, n, finish[:, part], driver[:, part], duration[:, part])
    lag[:, part] = chunk.lag
    empty = np.empty((0, 0))
    return IterationArrays(empty, empty, empty, empty, chunk.risk_occurred, chunk.outcome, chunk.inputs)


def _submitter_size(executor: Submitter, chunks: int) -> int:
    """How many workers an executor has, for the record: a Dask client knows its cluster's size."""
    info = getattr(executor, "scheduler_info", None)
    return len(info().get("workers", {})) if callable(info) else chunks


def map_chunks(
    fn: Callable[..., T],
    jobs: Iterable[tuple[Any, ...]],
    *,
    workers: int = 1,
    executor: Submitter | None = None,
    window: int | None = None,
    shared: _Whole | None = None,
) -> AbstractContextManager[Iterator[T]]:
    """`fn(*job)` for every job, in job order: the one dispatcher behind runs kept whole, streamed
    runs, impacts and sweeps. Through `executor.submit` when one is given (a
    `concurrent.futures.Executor`, a Dask client); else in this process (`workers` <= 1) or in a
    pool of `workers` processes that stops at once on Ctrl-C, SIGTERM or an error (`_pool`).

    Use it as `with map_chunks(...) as results: for r in results: ...`, so that leaving the block
    early (an error while the results are used) stops the pool. `window`: at most that many jobs
    submitted and not yet taken (None: all at once). `shared`: a pool's forked workers write into
    these arrays in shared memory (`_run_chunk_shared`)."""
    return _dispatched(fn, jobs, workers, executor, window, shared)


@contextmanager
def _dispatched(
    fn: Callable[..., T],
    jobs: Iterable[tuple[Any, ...]],
    workers: int,
    executor: Submitter | None,
    window: int | None,
    shared: _Whole | None,
) -> Iterator[Iterator[T]]:
    if executor is not None:
        yield _in_order(executor.submit, fn, jobs, window)
    elif workers <= 1:
        yield (fn(*job) for job in jobs)
    else:
        with _pool(workers, shared) as pool:
            yield _in_order(pool.submit, fn, jobs, window)


def _in_order(
    submit: Callable[..., Any], fn: Callable[..., T], jobs: Iterable[tuple[Any, ...]], window: int | None
) -> Iterator[T]:
    """The results of `jobs` run through `submit`, in job order, with at most `window` of them
    submitted and not yet taken. A streamed chunk's reduction spans its chunk's dates (about
    0.8 MB a chunk on `ilrs-2022-announced`): submitting every chunk at once and keeping their
    futures made memory grow with the iterations, and a busy parent could still fall behind its
    workers; the window bounds both."""
    pending: deque[Any] = deque()
    for job in jobs:
        pending.append(submit(fn, *job))
        if window is not None and len(pending) >= window:
            yield _result(pending.popleft())
    while pending:
        yield _result(pending.popleft())


@contextmanager
def _pool(n_workers: int, shared: _Whole | None = None) -> Iterator[ProcessPoolExecutor]:
    """A pool of `n_workers` processes (forked where the system can) that leave Ctrl-C to this
    one; `shared`: arrays in shared memory the forked workers write into (`_run_chunk_shared`).
    On Ctrl-C, SIGTERM or any error the queued chunks are dropped and the running ones stopped
    at once, rather than waited for as a plain shutdown would."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork" if _FORK else "spawn")
    # Forked workers inherit the initializer's arguments, not a pickled copy: the shared arrays.
    pool = ProcessPoolExecutor(n_workers, mp_context=ctx, initializer=_start_worker, initargs=(shared,))
    try:
        yield pool
        pool.shutdown()
    except BaseException:
        _stop(pool)
        raise


def _ignore_interrupts() -> None:
    """In a worker: leave Ctrl-C to the parent, which stops the pool (no traceback per worker)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop `pool` now: drop the queued chunks, end the running ones, and let its manager thread
    finish, so that the process can exit (the interpreter waits for that thread at exit).

    A worker ended while it was sending back a chunk's result (megabytes, written in pieces)
    leaves the manager thread reading the middle of that message, and the pipe it reads reaches
    its end only once every process holding its write end has closed it: the workers by dying,
    this process by closing its own copy, which it never writes to. A Ctrl-C or SIGTERM arriving
    meanwhile is held until the pool is stopped, so that no worker is left running."""
    # The only reads of the pool's private attributes in lunarsim: the standard library has no
    # public way to end a pool's running workers or to reach the pipe its manager thread reads
    # (shutdown(cancel_futures=True) drops only queued work). Guarded with getattr, so that a
    # Python without them falls back to a plain shutdown.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    results = getattr(pool, "_result_queue", None)
    manager = getattr(pool, "_executor_manager_thread", None)
    with _signals_held():
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=1.0)
            if process.is_alive():
                process.kill()
                process.join(timeout=1.0)
        writer = getattr(results, "_writer", None)
        if writer is not None:
            writer.close()
        if manager is not None and manager is not threading.current_thread():
            manager.join(timeout=2.0)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM (in the main thread, where Python runs signal handlers) and deliver
    them once the block is done; elsewhere, do nothing."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    kinds = (signal.SIGINT, signal.SIGTERM)
    before = {kind: signal.getsignal(kind) for kind in kinds}
    for kind in kinds:
        signal.signal(kind, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for kind, handler in before.items():
            signal.signal(kind, signal.SIG_DFL if handler is None else handler)
        for signum in caught[:1]:
            signal.raise_signal(signum)


def _result(future: Any) -> Any:
    """`future.result()`, waking every 0.1 s for a `concurrent.futures` future: a Ctrl-C or
    SIGTERM that the system delivered to another thread of this process (the pool's manager
    thread, say) then still reaches its handler, which Python runs in the main thread only when
    that thread runs, within 0.1 s. Other futures (Dask's) are waited for as they are."""
    if not isinstance(future, Future):
        return future.result()
    while True:
        try:
            return future.result(timeout=0.1)
        except TimeoutError:
            if future.done():  # the chunk itself raised TimeoutError
                raise


def _collect(
    done: Iterator[IterationArrays],
    parts: list[slice],
    whole: _Whole,
    progress: Progress | None,
    copy: str,
) -> list[IterationArrays]:
    """Copy each chunk's arrays into place in the run's (finish, driver, duration, lag), in chunk
    order, as it completes: all of them (`copy` "all"), only the lags (the chunk wrote the rest
    into views: "lag") or none (forked workers wrote them into shared memory: "none")."""
    finish, driver, duration, lag = whole
    chunks = []
    for chunk, part in zip(done, parts, strict=True):
        if copy == "all":
            finish[:, part], driver[:, part], duration[:, part] = chunk.finish, chunk.driver, chunk.duration
        if copy != "none":
            lag[:, part] = chunk.lag
        chunks.append(chunk)
        if progress:
            progress(part.stop - part.start)
    return chunks


@dataclass(frozen=True)
class Kept:
    """What a streamed run keeps of each iteration besides its counts: the criticality of
    milestone row `head`, and every array of the iterations listed in `rows` (sorted numbers)."""

    head: int
    rows: np.ndarray


def execute_streamed(
    plan: Plan,
    engine: str,
    seed: int,
    iterations: int,
    *,
    kept: Kept,
    workers: int | None = 1,
    executor: Submitter | None = None,
    progress: Progress | None = None,
) -> tuple[Reduction, int]:
    """Draw and run the same chunks as `execute`, but keep of each only its `sim.simulation.reduction`:
    day counts, moments, risk and outcome counts, and what `kept` lists. Workers send
    back these reductions, not their arrays, so memory does not grow with `iterations`.
    Returns the merged reduction and the number of workers."""
    head, rows = kept.head, kept.rows
    sizes = chunk_sizes(iterations)
    offsets = np.cumsum([0, *sizes])
    bounds = np.searchsorted(rows, offsets)  # rows[bounds[k]:bounds[k + 1]] fall in chunk k
    jobs = (
        (plan, engine, seq, n, rows[bounds[k] : bounds[k + 1]] - offsets[k], head)
        for k, (seq, n) in enumerate(zip(chunk_seeds(seed, iterations), sizes))
    )
    n_workers = min(workers or os.cpu_count() or 1, len(sizes))
    total = Accumulator(sizes, head, rows)
    if executor is not None:
        n_workers = _submitter_size(executor, len(sizes))
    with map_chunks(_reduce_chunk, jobs, workers=n_workers, executor=executor, window=2 * n_workers) as done:
        _accumulate(done, sizes, total, progress)
    return total.total(), max(n_workers, 1)


def _accumulate(
    reductions: Iterator[Reduction], sizes: list[int], total: Accumulator, progress: Progress | None
) -> None:
    """Add each chunk's reduction to `total` in chunk order, as it arrives."""
    for part, n in zip(reductions, sizes, strict=True):
        total.add(part)
        if progress:
            progress(n)


def _reduce_chunk(
    plan: Plan, engine: str, seq: np.random.SeedSequence, n: int, pick: np.ndarray, head: int
) -> Reduction:
    """Run one chunk and reduce it (see `execute_streamed`)."""
    from sim.analysis.sensitivity import critical_counts
    from sim.analysis.signposts import event_counts

    c = _run_chunk(plan, engine, seq, n)
    critical, critical_done = critical_counts(plan.links, c.finish, c.driver, c.lag, head)
    sc = plan.scenario
    days = [DayCounts.of(row) for row in c.finish]
    return Reduction(
        n=n,
        days=days,
        moments=[Moments.of(row) for row in c.finish],
        critical=critical,
        critical_done=critical_done,
        risks={r: int(np.count_nonzero(occ)) for r, occ in c.risk_occurred.items()},
        outcomes={
            m: outcome_counts(chosen, len(sc.milestones[m].branches)) for m, chosen in c.outcome.items()
        },
        rows=pick,
        head=head,
        sample=IterationArrays(
            c.finish[:, pick],
            c.driver[:, pick],
            c.duration[:, pick],
            c.lag[:, pick],
            {r: v[pick] for r, v in c.risk_occurred.items()},
            {m: v[pick] for m, v in c.outcome.items()},
            {k: v[pick] for k, v in c.inputs.items()},
        ),
        signposts=event_counts(sc, plan.ids, c.finish, head),
        merges=merge_counts(sc, plan.ids, c.finish),
    )


def replay_chunks(plan: Plan, engine: str, seed: int, iterations: int) -> Iterator[IterationArrays]:
    """The chunks of a run re-drawn and re-run one at a time, in order: the same iterations as
    `execute` and `execute_streamed` give for (seed, iterations), in memory for one chunk."""
    for seq, n in zip(chunk_seeds(seed, iterations), chunk_sizes(iterations)):
        yield _run_chunk(plan, engine, seq, n)
