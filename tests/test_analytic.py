"""Whole-model checks against closed forms, at fixed seeds, with tolerances derived from N.

Each tolerance is k standard errors (k = 4 unless stated): for a mean, SE = sigma / sqrt(N); for a
probability p, SE = sqrt(p (1 - p) / N). At a fixed seed a correct model passes every time; a
wrong one (a bias of a few SE) fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from stats import mean_se, proportion_se, within

import sim

N = 40_000



def test_serial_chain_of_triangulars_sums_means_and_variances(scenario):
    sc = scenario("""
        name: chain
        start: 2030-01-01
        milestones:
          a: {duration: {triangular: [10d, 20d, 60d]}}
          b: {after: [a], duration: {triangular: [5d, 5d, 25d]}}
          c: {after: [b], duration: {triangular: [30d, 90d, 100d]}}
    """)
    r = sim.simulate(sc, N, seed=1)
    tri = [(10, 20, 60), (5, 5, 25), (30, 90, 100)]
    # Triangular(a, m, b): mean (a+m+b)/3, variance (a²+m²+b²-am-ab-mb)/18; a sum adds both.
    mean = sum((a + m + b) / 3 for a, m, b in tri)
    var = sum((a * a + m * m + b * b - a * m - a * b - m * b) / 18 for a, m, b in tri)
    x = r.finish_of("c")
    within(x.mean(), mean, mean_se(var, N))
    # SE of the sample sd is about sqrt((mu4 - sigma^4) / N) / (2 sigma); mu4 from the sample.
    mu4 = float(np.mean((x - x.mean()) ** 4))
    within(x.std(ddof=1), math.sqrt(var), math.sqrt((mu4 - var * var) / N) / (2 * math.sqrt(var)))


def test_parallel_merge_of_uniforms_has_product_cdf(scenario):
    sc = scenario("""
        name: merge
        start: 2030-01-01
        milestones:
          a: {duration: {uniform: [0d, 100d]}}
          b: {duration: {uniform: [50d, 150d]}}
          c: {duration: {uniform: [20d, 80d]}}
          join: {after: [a, b, c]}
    """)
    r = sim.simulate(sc, N, seed=2)
    x = r.finish_of("join")
    for t in (60.0, 75.0, 90.0, 110.0, 140.0):
        # P(max <= t) = product of the uniforms' CDFs.
        p = np.prod([np.clip((t - lo) / (hi - lo), 0, 1) for lo, hi in ((0, 100), (50, 150), (20, 80))])
        within((x <= t).mean(), p, proportion_se(p, N))


def test_decision_branches_make_a_mixture(scenario):
    sc = scenario("""
        name: decision
        start: 2030-01-01
        milestones:
          choose:
            branches:
              fast: {probability: 0.5}
              slow: {probability: 0.3, effects: [{milestones: [work], add: 100d}]}
              stop: {probability: 0.2, effects: [{milestones: [work], add: 300d}]}
          work: {after: [choose], duration: {uniform: [0d, 50d]}}
    """)
    r = sim.simulate(sc, N, seed=3)
    x = r.finish_of("work")
    # Mixture mean: 25 + 0.3*100 + 0.2*300; variance: E[Var] + Var[E].
    mean = 25 + 0.3 * 100 + 0.2 * 300
    var = 50**2 / 12 + (0.5 * 0**2 + 0.3 * 100**2 + 0.2 * 300**2 - (0.3 * 100 + 0.2 * 300) ** 2)
    within(x.mean(), mean, mean_se(var, N))
    freq = r.branch_frequencies()["choose"]
    for outcome, p in (("fast", 0.5), ("slow", 0.3), ("stop", 0.2)):
        within(freq[outcome], p, proportion_se(p, N))
    # Every iteration of the 'slow' outcome lies in [100, 150].
    slow = r.outcome["choose"] == 1
    assert ((x[slow] >= 100) & (x[slow] <= 150)).all()


def test_risk_that_cancels_lowers_done_fraction_and_nulls_high_percentiles(scenario):
    sc = scenario("""
        name: cancel
        start: 2030-01-01
        milestones:
          a: {duration: 100d}
          b: {after: [a], duration: 10d}
        risks:
          axe:
            probability: 0.25
            effects: [{milestones: [a], cancel: true}]
    """)
    r = sim.simulate(sc, N, seed=4)
    p_done = 0.75
    within(r.done_fraction("b"), p_done, proportion_se(p_done, N))
    assert r.percentile_days("b", 50) == 110.0
    assert r.percentile_days("b", 80) is None
    assert r.percentile_days("b", 95) is None
    assert r.mean_days("b") == 110.0
    # b never completes exactly where the risk occurred: its predecessor was cancelled.
    assert np.array_equal(np.isinf(r.finish_of("b")), r.risk_occurred["axe"])


def test_not_before_puts_probability_mass_on_the_date(scenario):
    sc = scenario("""
        name: nb
        start: 2030-01-01
        milestones:
          a: {duration: {uniform: [0d, 400d]}, not_before: 2030-04-11}
    """)
    r = sim.simulate(sc, N, seed=5)
    nb = 100.0  # 2030-04-11 is 100 days after start
    x = r.finish_of("a")
    assert x.min() == nb
    p = 100 / 400  # P(uniform work ends before the date) all lands on the date
    within((x == nb).mean(), p, proportion_se(p, N))
    # Above the date the uniform is untouched.
    within((x <= 300).mean(), 0.75, math.sqrt(0.75 * 0.25 / N))


def test_retries_make_geometric_attempts(scenario):
    sc = scenario("""
        name: retry
        start: 2030-01-01
        milestones:
          land:
            duration: 10d
            success: 0.6
            retry: {after: 100d, max: 3}
    """)
    r = sim.simulate(sc, N, seed=6)
    x = r.finish_of("land")
    q = 0.4
    for k in range(4):  # attempt k+1 succeeds with probability q^k p and completes at 10 + 100k
        p = q**k * 0.6
        within((x == 10 + 100 * k).mean(), p, proportion_se(p, N))
    p_never = q**4
    within(1 - r.done_fraction("land"), p_never, proportion_se(p_never, N))


@pytest.mark.parametrize(
    ("spec", "dist"),
    [
        (
            "{pert: [100d, 200d, 500d]}",
            stats.beta(1 + 4 * 100 / 400, 1 + 4 * 300 / 400, loc=100, scale=400),
        ),
        (
            "{pert: [100d, 200d, 500d], lambda: 2}",
            stats.beta(1 + 2 * 100 / 400, 1 + 2 * 300 / 400, loc=100, scale=400),
        ),
        # 'a to b': lognormal with 5th and 95th percentiles a and b.
        (
            "1y to 3y",
            stats.lognorm(
                s=(math.log(3 * 365.25) - math.log(365.25)) / (2 * stats.norm.ppf(0.95)),
                scale=math.sqrt(365.25 * 3 * 365.25),
            ),
        ),
    ],
)
def test_duration_quantiles_match_theory(scenario, spec, dist):
    sc = scenario(f"""
        name: quantiles
        start: 2030-01-01
        milestones:
          a: {{duration: {spec}}}
    """)
    r = sim.simulate(sc, N, seed=7)
    x = r.finish_of("a")
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        # The empirical CDF at the true quantile is q within sqrt(q(1-q)/N).
        within((x <= dist.ppf(q)).mean(), q, proportion_se(q, N))


def test_p_target_counts_the_whole_target_day(scenario):
    sc = scenario("""
        name: target day
        start: 2030-01-01
        milestones:
          a: {duration: 9.5d, target: 2030-01-10}
          b: {duration: 10d, target: 2030-01-10}
    """)
    r = sim.simulate(sc, 10, seed=1)
    # 9.5 days after start falls on 2030-01-10, the target date: done by the target.
    assert sc.date_of(r.percentile_days("a", 50)).isoformat() == "2030-01-10"
    assert r.p_by("a", sc.milestones["a"].target) == 1.0
    # 10 days after start is 2030-01-11: not done by the target.
    assert r.p_by("b", sc.milestones["b"].target) == 0.0
