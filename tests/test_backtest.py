"""Backtests: a forecast scored against a later scenario's actuals, by hand-computed numbers."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.analysis.backtest import backtest

N = 20_000
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def pair(write):
    forecast = write(
        """
        name: forecast
        start: 2030-01-01
        seed: 4
        milestones:
          a: {duration: 100d}
          b: {duration: {uniform: [0d, 200d]}}
          c: {after: [a], duration: 900d}
    """,
        "forecast.yaml",
    )
    outcome = write(
        """
        extends: forecast.yaml
        name: outcome
        as_of: 2030-05-31
        milestones:
          a: {actual: 2030-05-01}
          b: {actual: 2030-02-20}
    """,
        "outcome.yaml",
    )
    return sim.load(forecast), sim.load(outcome)


def test_scores_match_hand_calculation(pair):
    forecast, outcome = pair
    scores = backtest(sim.simulate(forecast, N), outcome)
    rows = {r.milestone: r for r in scores.rows}
    as_of = 150  # 2030-05-31 is day 150
    # a (always day 100) was done on day 120: F(119) = F(120) = 1, so its PIT is exactly 1.
    assert (rows["a"].p_done, rows["a"].done, rows["a"].pit) == (1.0, True, 1.0)
    # c (day 1000) was not done: censored, its PIT is uniform on [F(150), 1] = [0, 1].
    assert (rows["c"].p_done, rows["c"].done) == (0.0, False)
    assert 0.0 <= rows["c"].pit <= 1.0
    # b ~ U(0, 200): done by the end of day 150 with probability 151/200. Its actual (day 50)
    # lies between F(49) = 50/200 and F(50) = 51/200. Tolerance 4 SE = 4 sqrt(p(1-p)/N).
    p = (as_of + 1) / 200
    assert abs(rows["b"].p_done - p) <= 4 * math.sqrt(p * (1 - p) / N)
    low, high = 50 / 200, 51 / 200
    slack = 4 * math.sqrt(high * (1 - high) / N)  # the larger of the two ends' 4 SE
    assert low - slack <= rows["b"].pit <= high + slack
    assert scores.brier == pytest.approx((rows["b"].p_done - 1) ** 2 / 3, abs=1e-15)
    # The plan (a at 100, b at its median 100, c at 1000) gets all three right.
    assert [r.plan_done for r in scores.rows] == [True, True, False]
    assert scores.plan_brier == 0.0
    # CRPS over the days 0..150: a says "done" from day 100, it happened on day 120: 20 days
    # of (1 - 0)^2, for the forecast and the plan alike. c: F = 0 and nothing happened: 0.
    assert (rows["a"].crps, rows["a"].plan_crps) == (20.0, 20.0)
    assert (rows["c"].crps, rows["c"].plan_crps) == (0.0, 0.0)
    # b: F(k) = (k + 1)/200, happened from day 50. The plan (day 100) is wrong on days 50..99.
    f = [(k + 1) / 200 for k in range(as_of + 1)]
    hit = [float(k >= 50) for k in range(as_of + 1)]
    want = sum((fk - h) ** 2 for fk, h in zip(f, hit, strict=True))
    # d/dF (F - h)^2 = 2 (F - h) and SE(F_k) = sqrt(F (1 - F) / N); summing the terms' SEs bounds
    # the SE of the sum whatever their correlation.
    se = sum(abs(2 * (fk - h)) * math.sqrt(fk * (1 - fk) / N) for fk, h in zip(f, hit, strict=True))
    assert abs(rows["b"].crps - want) <= 4 * se
    assert rows["b"].plan_crps == 50.0
    assert scores.crps == pytest.approx(sum(r.crps for r in scores.rows) / 3)


def test_a_milestone_the_outcome_removes_is_listed_and_scored_only_when_known(pair, write):
    forecast, _ = pair
    later = write(
        """
        extends: forecast.yaml
        name: outcome
        as_of: 2030-05-31
        remove: [b]
        milestones:
          a: {actual: 2030-05-01}
    """,
        "removed.yaml",
    )
    result = sim.simulate(forecast, 2000, 1)
    outcome = sim.load(later)
    # A removal alone does not say whether b happened: listed, with the reason, and not scored.
    unknown = backtest(result, outcome)
    rows = {r.milestone: r for r in unknown.rows}
    assert list(rows) == ["a", "b", "c"]  # nothing dropped
    b = rows["b"]
    assert (b.scored, b.pit, b.crps) == (False, None, None)
    assert b.note == (
        "left out of the outcome scenario, so whether it happened by as_of is unknown: not scored"
    )
    assert unknown.brier == pytest.approx((rows["a"].p_done - 1) ** 2 / 2, abs=1e-15)  # a and c
    # Stated as not done by as_of (the mission crashed): scored as a miss.
    crashed = backtest(result, outcome, not_done=["b"])
    b = {r.milestone: r for r in crashed.rows}["b"]
    assert (b.scored, b.done, b.actual) == (True, False, None)
    assert b.note == "left out of the outcome scenario; given as not done by as_of"
    # It was about 75 % likely to be done by as_of and was not: the Brier score counts the miss.
    assert crashed.brier == pytest.approx(b.p_done**2 / 3, abs=1e-15)
    assert b.pit is not None and b.pit >= b.p_done  # censored: uniform on [F(as_of), 1]
    with pytest.raises(sim.ScenarioError, match="not-done 'a' is in the outcome scenario"):
        backtest(result, outcome, not_done=["a"])


def test_outcome_without_status_date_is_an_error(pair, write):
    forecast, _ = pair
    no_date = sim.load(
        write("name: later\nstart: 2030-01-01\nmilestones:\n  a: {duration: 1d}\n", "later.yaml")
    )
    with pytest.raises(sim.ScenarioError, match="needs a status date"):
        backtest(sim.simulate(forecast, 100), no_date)


def test_cli_backtest_json_for_the_bundled_pair():
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "backtest",
            "ilrs-2022-announced",
            "ilrs-2026-status",
            "-n",
            "3000",
            "--json",
            "-",
            "--no-report",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["as_of"] == "2026-11-25"
    done = {m for m, row in doc["milestones"].items() if row["done_by_as_of"]}
    assert done == {"joint-base-agreement", "iss-decision", "phase4-engineering-start", "change-6-launch"}
    assert 0.0 <= doc["brier"] <= 1.0 and 0.0 <= doc["plan_brier"] <= 1.0


CALIBRATION = """
name: calibration
start: 2030-01-01
milestones:
  a: {duration: {uniform: [0d, 400d]}}
  b: {duration: {lognormal: {median: 200d, p90: 500d}}}
  c: {duration: {discrete: {100d: 0.3, 250d: 0.7}}}
  d:
    duration: 150d
    success: 0.5
    retry: {after: {uniform: [50d, 300d]}, max: 1}
"""


def outcomes_from(truth: sim.Result, rng: np.random.Generator, slower: float = 1.0) -> list[sim.Scenario]:
    """One outcome scenario per iteration of `truth`: a random status date, and as actuals the
    finishes (times `slower`) that fall by the end of that day."""
    base = truth.scenario
    out = []
    for i in range(truth.iterations):
        cut = int(rng.integers(30, 450))
        milestones = {}
        for mid, m in base.milestones.items():
            t = truth.finish_of(mid)[i] * slower
            milestones[mid] = replace(m, actual=float(math.floor(t)) if t < cut + 1 else None)
        out.append(
            replace(base, name=f"truth {i}", as_of=base.start + dt.timedelta(days=cut), milestones=milestones)
        )
    return out


def pits(forecast: sim.Result, outcomes: list[sim.Scenario]) -> np.ndarray:
    return np.array([p for k, o in enumerate(outcomes) for p in backtest(forecast, o, seed=k).pits])


def test_a_calibrated_forecast_gives_uniform_pits_under_censoring(scenario):
    from scipy import stats

    sc = scenario(CALIBRATION)
    forecast = sim.simulate(sc, 20_000, 1)
    # Truth drawn from the forecast's own model (an independent run), 300 outcome scenarios,
    # each censored at its own status date; the four milestones are independent, so the 1,200
    # PITs are independent draws. Kolmogorov-Smirnov against U(0, 1) at alpha = 0.01 (fixed seeds).
    calibrated = pits(forecast, outcomes_from(sim.simulate(sc, 300, 2), np.random.default_rng(3)))
    assert calibrated.size == 1200
    assert stats.kstest(calibrated, "uniform").pvalue > 0.01
    # The same test has power: a world 1.5 times slower than forecast is detected, and the
    # PITs of its milestones pile up towards 1.
    slow = pits(forecast, outcomes_from(sim.simulate(sc, 300, 2), np.random.default_rng(3), slower=1.5))
    assert stats.kstest(slow, "uniform").pvalue < 0.01
    assert slow.mean() > calibrated.mean()


def test_the_pit_of_done_milestones_alone_would_not_be_uniform(scenario):
    from scipy import stats

    # Why the censored milestones need their randomised PIT: kept only for milestones done by
    # as_of, F(actual) is bounded by F(as_of) and piles towards 0 for a calibrated forecast.
    sc = scenario(CALIBRATION)
    forecast = sim.simulate(sc, 20_000, 1)
    outcomes = outcomes_from(sim.simulate(sc, 300, 2), np.random.default_rng(3))
    done_only = np.array(
        [r.pit for k, o in enumerate(outcomes) for r in backtest(forecast, o, seed=k).rows if r.done]
    )
    assert stats.kstest(done_only, "uniform").pvalue < 0.01
