"""Same (scenario, seed, iterations) gives the same numbers, whatever the engine or the workers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from engine_checks import assert_same_finish

import sim
from sim.analysis.summary import summary
from sim.simulation.engines import run_engine
from sim.simulation.executor import MIN_CHUNK, chunk_sizes
from sim.simulation.plan import compile_plan
from sim.simulation.sampling import draw

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))


def _stable(doc: dict) -> dict:
    doc = dict(doc)
    doc["run"] = {k: v for k, v in doc["run"].items() if k not in ("seconds", "engine", "workers")}
    return doc


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_same_seed_same_summary_across_runs_workers_and_engines(path):
    sc = sim.load(path)
    n = MIN_CHUNK + 500
    assert len(chunk_sizes(n)) == 2  # two chunks, the second one partial
    first = sim.simulate(sc, n, seed=11, workers=1)
    again = sim.simulate(sc, n, seed=11, workers=1)
    parallel = sim.simulate(sc, n, seed=11, workers=2)
    reference = sim.simulate(sc, n, seed=11, engine="simpy", workers=2)
    base = _stable(summary(first))
    assert _stable(summary(again)) == base
    assert _stable(summary(parallel)) == base
    assert _stable(summary(reference)) == base
    assert np.array_equal(first.finish, parallel.finish)


def test_different_seeds_differ(scenario):
    sc = scenario("""
        name: s
        start: 2030-01-01
        milestones:
          a: {duration: {uniform: [0d, 10d]}}
    """)
    a = sim.simulate(sc, 100, seed=1).finish_of("a")
    b = sim.simulate(sc, 100, seed=2).finish_of("a")
    assert not np.array_equal(a, b)


def test_fresh_seed_is_recorded_and_replays(scenario):
    sc = scenario("""
        name: s
        start: 2030-01-01
        milestones:
          a: {duration: {uniform: [0d, 10d]}}
    """)
    r = sim.simulate(sc, 50)
    assert 0 < r.seed < 2**53  # exact in every JSON reader
    assert np.array_equal(sim.simulate(sc, 50, seed=r.seed).finish, r.finish)


# The vector engine does not run resources, so only the bundled scenarios without them.
WITHOUT_RESOURCES = [p for p in BUNDLED if not compile_plan(sim.load(p)).uses_resources]


@pytest.mark.parametrize("path", WITHOUT_RESOURCES, ids=lambda p: p.stem)
def test_engines_agree_iteration_by_iteration_on_bundled(path):
    sc = sim.load(path)
    plan = compile_plan(sc)
    seq = np.random.SeedSequence(5)
    a = run_engine("vector", plan, draw(plan, seq, 2000))
    b = run_engine("simpy", plan, draw(plan, seq, 2000))
    assert_same_finish(a, b)


def _chunk_sum(seed: int, n: int) -> float:
    return float(np.random.default_rng(seed).random(n).sum())


def test_map_chunks_gives_results_in_job_order_wherever_they_run():
    # The one dispatcher behind runs, streamed runs, impacts and sweeps: in this process, in a
    # pool, or through any submit(), with or without a window, the results come back in job order.
    from concurrent.futures import ThreadPoolExecutor

    from sim.simulation.executor import map_chunks

    jobs = [(seed, 1000 + seed) for seed in range(7)]
    expected = [_chunk_sum(*job) for job in jobs]
    with map_chunks(_chunk_sum, jobs) as done:
        assert list(done) == expected
    with map_chunks(_chunk_sum, jobs, workers=2, window=2) as done:
        assert list(done) == expected
    with (
        ThreadPoolExecutor(3) as threads,
        map_chunks(_chunk_sum, iter(jobs), executor=threads, window=3) as done,
    ):
        assert list(done) == expected


def test_a_sweep_in_a_pool_gives_the_table_of_one_process(tmp_path):
    from sim.analysis.sweep import parse_setting, sweep

    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nstart: 2030-01-01\nmilestones:\n"
        "  a: {duration: {uniform: [10d, 40d]}}\n"
        "  b: {after: [a], duration: {uniform: [20d, 60d]}}\n",
        encoding="utf-8",
    )
    settings = [parse_setting("milestones.a.duration={uniform: [10d, 40d]},{uniform: [30d, 90d]}")]
    assert sweep(path, settings, 500, seed=2, workers=2) == sweep(path, settings, 500, seed=2, workers=1)
