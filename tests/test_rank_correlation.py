"""Rank correlation is the rho written, for marginals with ties too (discrete, empirical, risks)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import sim
from sim.errors import ScenarioError
from sim.scenario import copula


def batch_se(x: np.ndarray, y: np.ndarray, batches: int = 25) -> float:
    """Standard error of the full-sample Spearman, estimated by batch means: the Spearman of each
    of `batches` equal consecutive batches (independent iterations) has a spread sd_b, and the
    full sample's estimate has SE ~ sd_b / sqrt(batches). Ties make the textbook normal-ranks
    formulas wrong, so the SE is measured rather than assumed."""
    pieces = zip(np.array_split(x, batches), np.array_split(y, batches), strict=True)
    parts = [stats.spearmanr(a, b).statistic for a, b in pieces]
    return float(np.std(parts, ddof=1) / math.sqrt(batches))


def check(x: np.ndarray, y: np.ndarray, rho: float) -> None:
    measured = stats.spearmanr(x, y).statistic  # ties at mid-ranks
    se = batch_se(x, y)
    # 4 standard errors; SE from 25 batch means of N/25 iterations (see batch_se).
    assert abs(measured - rho) <= 4 * se, f"Spearman {measured:.4f} vs rho {rho} (SE {se:.4f})"


def pair(a: str, b: str, rho: float) -> str:
    return f"""
        name: pair
        start: 2030-01-01
        milestones:
          a: {{duration: {a}}}
          b: {{duration: {b}}}
        correlations:
          - {{milestones: [a, b], rho: {rho}}}
    """


TWO_POINT = "{discrete: {100d: 0.5, 200d: 0.5}}"
THREE_EMPIRICAL = "{empirical: [2y, 3.5y, 4y]}"


@pytest.mark.parametrize("engine", ["simpy", "vector"])
def test_two_point_fifty_fifty_durations_at_rho_0_6(scenario, engine: str) -> None:
    r = sim.simulate(scenario(pair(TWO_POINT, TWO_POINT, 0.6)), 20_000, 1, engine=engine)
    check(r.finish_of("a"), r.finish_of("b"), 0.6)


def test_two_point_pair_against_sheppards_formula() -> None:
    # For two 50/50 two-point marginals, Spearman = phi = 4 P(both high) - 1, and Sheppard's
    # formula gives P(both high) = 1/4 + asin(r) / (2 pi): so rho = (2/pi) asin(r), r = sin(pi rho / 2).
    half = (0.5, 1.0)
    for rho in (0.6, -0.3, 0.95):
        assert copula.solve(rho, half, half) == pytest.approx(math.sin(math.pi * rho / 2), abs=1e-6)
    # Continuous marginals keep the closed form r = 2 sin(pi rho / 6).
    assert copula.solve(0.6, None, None) == 2 * math.sin(math.pi * 0.6 / 6)


def test_three_point_empirical_durations(scenario) -> None:
    r = sim.simulate(scenario(pair(THREE_EMPIRICAL, THREE_EMPIRICAL, 0.6)), 20_000, 2)
    check(r.finish_of("a"), r.finish_of("b"), 0.6)


def test_continuous_with_discrete(scenario) -> None:
    text = pair("{pert: [100d, 150d, 400d]}", "{discrete: {1y: 0.2, 2y: 0.5, 3y: 0.3}}", 0.5)
    r = sim.simulate(scenario(text), 20_000, 3)
    check(r.finish_of("a"), r.finish_of("b"), 0.5)


@pytest.mark.parametrize("rho", [0.5, -0.4])
def test_duration_with_risk_occurrence(scenario, rho: float) -> None:
    sc = scenario(f"""
        name: risk with duration
        start: 2030-01-01
        milestones:
          a: {{duration: {{uniform: [0d, 100d]}}}}
        risks:
          r: {{probability: 0.3, effects: [{{milestones: [a], add: 0d}}]}}
        correlations:
          - {{milestones: [a], risks: [r], rho: {rho}}}
    """)
    res = sim.simulate(sc, 20_000, 4)
    occurred = res.risk_occurred["r"].astype(float)
    check(res.finish_of("a"), occurred, rho)
    # The occurrence keeps its probability: binomial SE sqrt(p (1 - p) / N).
    assert abs(occurred.mean() - 0.3) <= 4 * math.sqrt(0.3 * 0.7 / 20_000)


def test_discrete_duration_with_two_risks(scenario) -> None:
    sc = scenario("""
        name: mixed group
        start: 2030-01-01
        milestones:
          a: {duration: {empirical: [1y, 2y, 2y, 5y]}}
        risks:
          r: {probability: 0.2, effects: [{milestones: [a], add: 0d}]}
          s: {probability: 0.6, effects: [{milestones: [a], add: 0d}]}
        correlations:
          - {milestones: [a], risks: [r, s], rho: 0.3}
    """)
    res = sim.simulate(sc, 20_000, 5)
    occ = {k: v.astype(float) for k, v in res.risk_occurred.items()}
    check(res.finish_of("a"), occ["r"], 0.3)
    check(res.finish_of("a"), occ["s"], 0.3)
    check(occ["r"], occ["s"], 0.3)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("a", "b"),
    [
        (TWO_POINT, TWO_POINT),
        (THREE_EMPIRICAL, THREE_EMPIRICAL),
        ("{discrete: {1y: 0.1, 2y: 0.9}}", "{discrete: {1y: 0.4, 2y: 0.6}}"),
        ("{normal: {mean: 300d, sd: 80d}}", "{empirical: [1y, 2y, 3y, 3y]}"),
    ],
)
@pytest.mark.parametrize("rho", [0.3, -0.2, 0.4])
def test_grid_of_marginals_at_large_n(scenario, a: str, b: str, rho: float) -> None:
    r = sim.simulate(scenario(pair(a, b, rho)), 200_000, 6)
    check(r.finish_of("a"), r.finish_of("b"), rho)


def test_a_rho_the_marginals_cannot_reach_is_a_located_error(scenario) -> None:
    # A 90/10 and a 10/90 two-point marginal tie so much that their ranks correlate at most 1/9.
    text = pair("{discrete: {1y: 0.1, 2y: 0.9}}", "{discrete: {1y: 0.9, 2y: 0.1}}", 0.6)
    with pytest.raises(ScenarioError) as info:
        scenario(text)
    message = str(info.value)
    assert "correlations[0].rho: correlation group 0: rank correlation 0.6 cannot be reached" in message
    assert "(these members allow -1.000 to 0.111)" in message
