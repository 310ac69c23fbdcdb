"""Percentiles by the inverted CDF: the earliest simulated finish by which p % are done, everywhere."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

import sim
from sim.analysis.backtest import backtest
from sim.analysis.summary import summary
from sim.cli.render import print_table
from sim.percentiles import PERCENTILES, percentile_of, percentiles_of
from sim.report.headline import headline

INF = math.inf


def test_clustered_finishes_give_a_simulated_date_never_an_interpolation() -> None:
    x = np.array([100.0] * 5 + [200.0] * 5)
    # Linear interpolation would say 150 for P50 and 110 for P20: dates no future finishes on.
    assert np.percentile(x, 50) == 150.0
    assert percentile_of(x, 50) == 100.0  # 5 of 10 are done by day 100
    assert percentile_of(x, 51) == 200.0  # 5.1 of 10 need the 6th
    assert percentile_of(x, 20) == 100.0
    assert percentile_of(x, 100) == 200.0


def test_k_is_the_ceiling_of_p_n() -> None:
    x = np.arange(1.0, 11.0)[::-1]  # unsorted on purpose
    assert [percentile_of(x, p) for p in (5, 10, 20, 50, 80, 90, 95)] == [1, 1, 2, 5, 8, 9, 10]
    # 7 values: P50 is the 4th (ceil 3.5), P80 the 6th (ceil 5.6), P5 the 1st.
    y = np.array([3.0, 1.0, 7.0, 5.0, 2.0, 6.0, 4.0])
    assert (percentile_of(y, 50), percentile_of(y, 80), percentile_of(y, 5)) == (4.0, 6.0, 1.0)


def test_never_done_iterations_make_a_percentile_null() -> None:
    x = np.array([1.0, 2.0, INF, INF])
    assert percentile_of(x, 50) == 2.0  # 2 of 4 are done by day 2
    assert percentile_of(x, 51) is None  # the 3rd value is a never
    assert percentile_of(np.array([]), 50) is None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_numpy_inverted_cdf_and_the_claim_holds(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.choice([10.0, 20.0, 30.0, 45.5], size=37)
    for p in (*PERCENTILES, 1, 33, 99):
        v = percentile_of(x, p)
        assert v == np.percentile(x, p, method="inverted_cdf")
        assert v in x
        # "p % likely by v" is true of the sample, and no earlier sample value makes it true.
        assert (x <= v).mean() >= p / 100
        assert (x < v).mean() < p / 100


@pytest.mark.parametrize("n", [0, 1, 7, 10, 1000])
def test_partial_sorts_give_exactly_the_sorted_percentiles(n: int) -> None:
    rng = np.random.default_rng(n)
    # Ties (whole days) and nevers, unsorted: the partitioned k-th value must be the sorted one.
    x = np.where(rng.random(n) < 0.2, INF, rng.integers(0, 30, n).astype(float))
    before = x.copy()
    ps = (*PERCENTILES, 1, 33, 99, 100)
    assert percentiles_of(x, ps) == {p: percentile_of(x, p) for p in ps}
    assert np.array_equal(x, before)  # partitioned a copy, not the caller's array


TWO_POINT = """
name: two-point
start: 2030-01-01
milestones:
  a:
    duration: {discrete: {100d: 0.5, 200d: 0.5}}
    target: 2030-05-01
"""


def test_terminal_json_report_and_backtest_read_the_same_percentile(scenario) -> None:
    sc = scenario(TWO_POINT)
    result = sim.simulate(sc, 2000, 5)
    done = result.finish_of("a")
    # Only 100 or 200 days are ever simulated: the percentiles must be one of them.
    doc = summary(result)
    days = doc["milestones"]["a"]["percentiles_days"]
    assert set(days.values()) <= {100.0, 200.0}
    share = float((done <= 100.0).mean())
    for p in PERCENTILES:
        assert days[str(p)] == (100.0 if share >= p / 100 else 200.0)
    p50 = sc.date_of(days["50"]).isoformat()
    p90 = sc.date_of(days["90"]).isoformat()
    out = io.StringIO()
    print_table(result, file=out)
    # The terminal's table gives percentile dates to the month.
    row = next(line for line in out.getvalue().splitlines() if line.startswith("a "))
    assert row.split()[2:4] == [p50[:7], p90[:7]], row
    assert doc["milestones"]["a"]["percentiles_date"]["50"] == p50
    assert f"median {p50[:7]}" in headline(result, "a").text
    outcome = scenario(TWO_POINT.replace("name: two-point", "name: later\nas_of: 2030-03-01"), "later.yaml")
    row = backtest(result, outcome).rows[0]
    assert row.median is not None and row.median.isoformat() == p50
