"""The public surface of `import sim` and the seed and iteration policy every entry point shares."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import sim
from sim.api import iterations_for, seed_for

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "scenarios" / "tutorial-launch-campaign.yaml"


def test_dir_of_sim_lists_the_public_names_only() -> None:
    assert dir(sim) == sorted([*sim.__all__, "__version__"])


def test_backtest_stays_the_function_after_its_module_is_imported() -> None:
    code = (
        "import sim, sim.analysis.backtest, sim.simulation.plan; "
        "print(callable(sim.backtest), callable(sim.run))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["True", "True"]


def test_seed_is_the_given_else_the_scenarios_else_fresh_or_zero_when_repeatable() -> None:
    scenario = sim.load(TUTORIAL)
    with_seed = dataclasses.replace(scenario, seed=7)
    without = dataclasses.replace(scenario, seed=None)
    assert seed_for(with_seed, 3) == 3
    assert seed_for(with_seed, None) == 7
    assert seed_for(with_seed, None, repeatable=True) == 7
    assert seed_for(without, None, repeatable=True) == 0
    # A fresh seed: from OS entropy, below 2**53; two in a row differ (the chance they match is 2**-53).
    fresh = {seed_for(without, None) for _ in range(2)}
    assert len(fresh) == 2
    assert all(0 <= s < 2**53 for s in fresh)


def test_iterations_are_the_given_else_the_scenarios() -> None:
    scenario = sim.load(TUTORIAL)
    assert iterations_for(scenario, 123) == 123
    assert iterations_for(scenario, None) == scenario.iterations


def test_run_is_simulate_on_all_cores_with_the_same_numbers(monkeypatch) -> None:
    import os

    import numpy as np

    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # two workers even on a one-core machine
    one = sim.simulate("tutorial-launch-campaign", 3000, 5)  # a bundled name, loaded first
    every = sim.run(TUTORIAL, 3000, 5)
    assert (one.workers, every.workers) == (1, 2)
    assert np.array_equal(one.finish, every.finish, equal_nan=True)
    assert one.summary("x") == {**every.summary("x"), "run": one.summary("x")["run"]}
    kept = sim.run(sim.load(TUTORIAL), 3000, 5, stream=True)  # run takes every simulate option
    assert kept.streamed and not one.streamed
    # a streamed run counts finishes per calendar day: its percentiles are whole days
    assert abs(kept.percentile_days(kept.headline, 80) - one.percentile_days(one.headline, 80)) < 1
