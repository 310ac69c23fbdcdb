"""Backtests: a forecast scored against a later scenario's actuals, by hand-computed numbers."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim.backtest import backtest

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
    assert (rows["a"].p_done, rows["a"].done, rows["a"].pit) == (1.0, True, 1.0)
    assert (rows["c"].p_done, rows["c"].done, rows["c"].pit) == (0.0, False, None)
    # b ~ U(0, 200): done by the end of day 150 with probability 151/200; its actual (day 50)
    # gives PIT = P(done by the end of day 50) = 51/200. Tolerance 4 SE = 4 sqrt(p(1-p)/N).
    for got, p in ((rows["b"].p_done, (as_of + 1) / 200), (rows["b"].pit, 51 / 200)):
        assert got is not None and abs(got - p) <= 4 * math.sqrt(p * (1 - p) / N)
    assert scores.brier == pytest.approx((rows["b"].p_done - 1) ** 2 / 3, abs=1e-15)
    # The plan (a at 100, b at its median 100, c at 1000) gets all three right.
    assert [r.plan_done for r in scores.rows] == [True, True, False]
    assert scores.plan_brier == 0.0


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
