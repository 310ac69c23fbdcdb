"""Common random numbers: each random input keeps its draws when other inputs change."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.analysis.summary import summary

BASE = """
    name: base
    start: 2030-01-01
    seed: 7
    milestones:
      a: {duration: {triangular: [10d, 20d, 60d]}}
      b:
        after: [{id: a, lag: {uniform: [1d, 9d]}}]
        duration: {lognormal: {p10: 20d, p90: 80d}}
        target: 2030-08-01
      c:
        after: [b]
        duration: {uniform: [5d, 50d]}
        success: 0.8
        retry: {max: 2, after: {uniform: [10d, 30d]}}
      d:
        after: [c]
        duration: 10d
        branches:
          fast: {probability: 0.6}
          slow: {probability: 0.4, effects: [{milestones: [d], add: {uniform: [10d, 40d]}}]}
    risks:
      sanctions:
        probability: 0.3
        effects: [{milestones: [b], scale: {uniform: [1.1, 1.6]}}]
    correlations:
      - {milestones: [a, b], rho: 0.5}
"""

EXTRA = """
      z: {duration: {triangular: [100d, 200d, 900d]}}
"""


@pytest.mark.parametrize("engine", ["simpy", "vector"])
def test_adding_an_unrelated_milestone_leaves_every_shared_milestone_identical(scenario, engine):
    try:
        base = sim.simulate(scenario(BASE, "base.yaml"), 3000, engine=engine)
    except ValueError:
        pytest.skip(f"{engine} cannot run this scenario")
    # The new milestone is listed first, so every other milestone moves down a row of the plan.
    text = BASE.replace("milestones:\n", "milestones:" + EXTRA, 1)
    extended = sim.simulate(scenario(text, "extended.yaml"), 3000, engine=engine)
    for mid in "abcd":
        assert np.array_equal(base.finish_of(mid), extended.finish_of(mid)), mid
    # The numbers `compare` shows come from the summary: identical for every shared milestone.
    one, two = summary(base)["milestones"], summary(extended)["milestones"]
    for mid in "abcd":
        assert one[mid] == two[mid], mid
    assert summary(base)["risks"] == summary(extended)["risks"]
    assert summary(base)["branches"] == summary(extended)["branches"]


def test_adding_a_risk_leaves_the_other_inputs_draws(scenario):
    base = sim.simulate(scenario(BASE, "base.yaml"), 2000)
    strike = "\n      strike: {probability: 0.5, effects: [{milestones: [d], add: 30d}]}\n"
    text = BASE.replace("risks:\n", "risks:" + strike, 1)
    extended = sim.simulate(scenario(text, "risk.yaml"), 2000)
    for mid in "abc":
        assert np.array_equal(base.finish_of(mid), extended.finish_of(mid)), mid
    assert np.array_equal(base.risk_occurred["sanctions"], extended.risk_occurred["sanctions"])
    assert np.array_equal(base.outcome["d"], extended.outcome["d"])


@pytest.mark.parametrize("low, high", [(0.1, 0.3), (0.3, 0.75), (0.05, 0.95)])
def test_raising_a_probability_only_adds_occurrences(scenario, low, high):
    def occurred(p: float) -> np.ndarray:
        text = BASE.replace("probability: 0.3", f"probability: {p}")
        return sim.simulate(scenario(text, f"p{p}.yaml"), 4000).risk_occurred["sanctions"]

    before, after = occurred(low), occurred(high)
    # Per iteration: every occurrence at the low probability is still there at the high one.
    assert np.all(after[before])
    assert after.sum() > before.sum()


def test_the_same_draws_whatever_the_workers(scenario):
    sc = scenario(BASE)
    one = sim.simulate(sc, 5000, workers=1)
    two = sim.simulate(sc, 5000, workers=2)
    assert np.array_equal(one.finish, two.finish)
