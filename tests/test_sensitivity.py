"""Sensitivity analysis: rank correlations (tornado) and criticality, on hand-built results."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sim
import sim.analysis.sensitivity
from sim.analysis.results import RandomInput, Result
from sim.analysis.sensitivity import criticality, ranks, sample_rows, spearman, spearman_se, tornado
from sim.scenario.model import Milestone, Predecessor, Scenario

INF = math.inf


def scenario_abcd() -> Scenario:
    """a -> b -> d <- c: d waits for both b and c."""
    milestones = {
        "a": Milestone("a", "A", None),  # type: ignore[arg-type]  # durations are not used here
        "b": Milestone("b", "B", None, after=(Predecessor("a"),)),  # type: ignore[arg-type]
        "c": Milestone("c", "C", None),  # type: ignore[arg-type]
        "d": Milestone("d", "D", None, after=(Predecessor("b"), Predecessor("c"))),  # type: ignore[arg-type]
    }
    return Scenario(
        name="abcd",
        start=dt.date(2030, 1, 1),
        horizon=dt.date(2080, 1, 1),
        milestones=milestones,
        headline="d",
    )


def result_abcd(finish: np.ndarray, driver: np.ndarray, inputs=()) -> Result:
    return Result(
        scenario=scenario_abcd(),
        milestone_ids=("a", "b", "c", "d"),
        finish=np.asarray(finish, dtype=float),
        driver=np.asarray(driver, dtype=np.int64),
        plan_days=np.zeros(4),
        inputs=list(inputs),
    )


A, B, C, D = range(4)


def test_criticality_always_and_never_on_the_path() -> None:
    # d is always driven by b (and b by a); c never drives anything.
    n = 50
    finish = np.tile(np.array([[10.0], [20.0], [5.0], [30.0]]), n)
    driver = np.full((4, n), -1)
    driver[B] = A
    driver[D] = B
    shares = criticality(result_abcd(finish, driver), "d")
    assert shares == {"a": 1.0, "b": 1.0, "c": 0.0, "d": 1.0}


def test_criticality_counts_only_iterations_where_the_milestone_completed() -> None:
    # Iterations 0-2: d driven by b (via a); 3-4: by c; 5-7: d never done, driver says c
    # (which must not count). Done iterations: 5, so b, a: 3/5 and c: 2/5.
    finish = np.array(
        [
            [1, 1, 1, 1, 1, 1, 1, 1],
            [2, 2, 2, 2, 2, 2, 2, 2],
            [1, 1, 1, 9, 9, 9, 9, 9],
            [3, 3, 3, 10, 10, INF, INF, INF],
        ],
        dtype=float,
    )
    driver = np.full((4, 8), -1)
    driver[B] = A
    driver[D] = [B, B, B, C, C, C, C, C]
    shares = criticality(result_abcd(finish, driver), "d")
    assert shares == {"a": 3 / 5, "b": 3 / 5, "c": 2 / 5, "d": 1.0}


def test_criticality_of_an_intermediate_milestone_and_unknown_id() -> None:
    finish = np.ones((4, 4))
    driver = np.full((4, 4), -1)
    driver[B] = [A, A, -1, -1]  # b's start set by a in half the iterations
    result = result_abcd(finish, driver)
    assert criticality(result, "b") == {"a": 0.5, "b": 1.0, "c": 0.0, "d": 0.0}
    with pytest.raises(KeyError, match="zz"):
        criticality(result, "zz")


def test_criticality_when_the_milestone_never_completes() -> None:
    finish = np.ones((4, 3))
    finish[D] = INF
    driver = np.full((4, 3), -1)
    driver[D] = B
    assert criticality(result_abcd(finish, driver), "d") == {"a": 0.0, "b": 0.0, "c": 0.0, "d": 1.0}


def test_an_input_that_alone_drives_the_finish_ranks_first() -> None:
    rng = np.random.default_rng(7)
    n = 4000
    driver_input = rng.lognormal(3.0, 0.5, n)
    noise = rng.normal(0, 1, n)
    against = rng.normal(0, 1, n)
    finish = np.zeros((4, n))
    # d's finish is a monotone function of `drives` plus a little of `against` (opposite sign).
    finish[D] = 100 + 10 * np.log(driver_input) - 0.5 * against
    inputs = [
        RandomInput("noise", "noise", "duration", noise),
        RandomInput("against", "against", "duration", against),
        RandomInput("drives", "drives", "duration", driver_input),
        RandomInput("constant", "constant", "risk", np.zeros(n)),
    ]
    ranked = tornado(result_abcd(finish, np.full((4, n), -1), inputs), "d")
    assert [item.id for item, _ in ranked] == ["drives", "against", "noise", "constant"]
    rho = dict((item.id, r) for item, r in ranked)
    assert rho["drives"] > 0.9
    assert rho["against"] < 0
    assert rho["constant"] == 0.0
    # Under independence Spearman's rho has sd 1/sqrt(n - 1) (about 0.016 here); 4 sd bound.
    assert abs(rho["noise"]) < 4 / math.sqrt(n - 1)


def test_never_ranks_last_as_one_tie() -> None:
    x = np.arange(20, dtype=float)
    finish = np.zeros((4, 20))
    finish[D] = x * 3
    finish[D, 15:] = INF  # the largest inputs never finish: they share the top ranks
    ranked = tornado(result_abcd(finish, np.full((4, 20), -1), [RandomInput("x", "x", "duration", x)]), "d")
    # Finish ranks are 1..15 and then (16+20)/2 = 18 five times; rho is Pearson's r of ranks.
    expected = np.corrcoef(np.arange(1, 21), np.r_[np.arange(1, 16), [18.0] * 5])[0, 1]
    assert ranked[0][1] == pytest.approx(expected, abs=1e-12)
    assert 0.99 < ranked[0][1] < 1.0


def test_ties_get_average_ranks() -> None:
    assert ranks(np.array([3.0, 1.0, INF, 1.0, INF])).tolist() == [3.0, 1.5, 4.5, 1.5, 4.5]
    assert ranks(np.array([2.0, 2.0, 2.0])).tolist() == [2.0, 2.0, 2.0]
    assert ranks(np.array([])).tolist() == []


def test_binary_risk_input_with_ties_matches_scipy() -> None:
    from scipy.stats import spearmanr

    rng = np.random.default_rng(3)
    n = 500
    occurred = (rng.random(n) < 0.3).astype(float)
    finish = np.round(rng.normal(100, 10, n) + 25 * occurred)  # rounding makes ties
    finish[rng.random(n) < 0.1] = INF
    expected = spearmanr(occurred, finish).statistic
    assert spearman(occurred, finish) == pytest.approx(expected, abs=1e-12)


def test_inputs_not_drawn_in_some_iterations_use_the_other_iterations() -> None:
    from scipy.stats import spearmanr

    rng = np.random.default_rng(5)
    n = 300
    x = rng.normal(size=n)
    finish = np.zeros((4, n))
    finish[D] = x + rng.normal(scale=0.5, size=n)
    partial = x.copy()
    partial[::3] = math.nan  # not drawn in a third of the iterations
    inputs = [
        RandomInput("partial", "partial", "duration", partial),
        RandomInput("never-drawn", "never drawn", "duration", np.full(n, math.nan)),
    ]
    ranked = dict((i.id, r) for i, r in tornado(result_abcd(finish, np.full((4, n), -1), inputs), "d"))
    drawn = ~np.isnan(partial)
    assert ranked["partial"] == pytest.approx(
        spearmanr(partial[drawn], finish[D][drawn]).statistic, abs=1e-12
    )
    assert ranked["never-drawn"] == 0.0


def test_ranks_reject_nan() -> None:
    with pytest.raises(ValueError, match="NaN"):
        ranks(np.array([1.0, math.nan]))


def test_equal_magnitudes_keep_input_order_and_constant_finish_gives_zero() -> None:
    n = 10
    x = np.arange(n, dtype=float)
    finish = np.zeros((4, n))
    finish[D] = 5.0  # constant finish: nothing correlates
    inputs = [RandomInput("p", "p", "duration", x), RandomInput("q", "q", "duration", -x)]
    ranked = tornado(result_abcd(finish, np.full((4, n), -1), inputs), "d")
    assert [(item.id, r) for item, r in ranked] == [("p", 0.0), ("q", 0.0)]
    finish[D] = x
    ranked = tornado(result_abcd(finish, np.full((4, n), -1), inputs), "d")
    assert [(item.id, round(r, 12)) for item, r in ranked] == [("p", 1.0), ("q", -1.0)]


values = st.lists(
    st.one_of(st.integers(-5, 5).map(float), st.just(INF), st.floats(-1e6, 1e6)),
    min_size=0,
    max_size=40,
)


@given(values)
def test_ranks_match_scipy_average_ranks(xs: list[float]) -> None:
    from scipy.stats import rankdata

    x = np.array(xs, dtype=float)
    got = ranks(x)
    assert got.tolist() == pytest.approx(rankdata(x, method="average").tolist())
    n = len(xs)
    assert got.sum() == pytest.approx(n * (n + 1) / 2)


NETWORK = """
name: three inputs
start: 2030-01-01
milestones:
  a: {duration: {triangular: [10d, 20d, 60d]}}
  b: {duration: {triangular: [10d, 30d, 40d]}}
  c: {duration: {uniform: [1d, 5d]}, after: [a, b]}
"""


def _full_tornado(result: Result, milestone: str) -> dict[str, float]:
    finish = result.finish_of(milestone)
    return {item.id: spearman(item.values, finish) for item in result.inputs}


def test_runs_up_to_the_sample_size_rank_every_iteration(scenario) -> None:
    result = sim.simulate(scenario(NETWORK), 3000, seed=5, workers=1)
    assert sample_rows(result.iterations, result.seed) is None
    assert {item.id: rho for item, rho in tornado(result, "c")} == _full_tornado(result, "c")


def test_larger_runs_rank_a_seeded_subsample_whatever_the_workers(scenario, monkeypatch) -> None:
    monkeypatch.setattr(sim.analysis.sensitivity, "SENSITIVITY_SAMPLE", 2000)
    sc = scenario(NETWORK)
    one = sim.simulate(sc, 20_000, seed=5, workers=1)
    two = sim.simulate(sc, 20_000, seed=5, workers=2)
    rows = sample_rows(20_000, 5)
    assert rows is not None and rows.size == 2000 and np.all(np.diff(rows) > 0)
    assert np.array_equal(rows, sample_rows(20_000, 5))
    assert not np.array_equal(rows, sample_rows(20_000, 6))
    ranked = [(item.id, rho) for item, rho in tornado(one, "c")]
    assert ranked == [(item.id, rho) for item, rho in tornado(two, "c")]
    finish = one.finish_of("c")[rows]
    on_rows = {item.id: spearman(item.values[rows], finish) for item in one.inputs}
    assert dict(ranked) == on_rows
    full = _full_tornado(one, "c")
    for key, rho in ranked:
        # The subsample's coefficient estimates the whole run's: within 4 standard errors of a
        # Spearman coefficient from 2,000 pairs, (1 - rho^2) sqrt(1.06 / 1997) (at most 0.092).
        assert abs(rho - full[key]) <= 4 * spearman_se(full[key], 2000), key


def test_spearman_standard_error() -> None:
    # Fieller, Hartley and Pearson: var(atanh rho) = 1.06 / (n - 3); by the delta method
    # se(rho) = (1 - rho^2) sqrt(1.06 / (n - 3)). At the default subsample and rho = 0: 0.00326.
    assert spearman_se(0.0, 100_000) == pytest.approx(math.sqrt(1.06 / 99_997))
    assert spearman_se(0.0, sim.analysis.sensitivity.SENSITIVITY_SAMPLE) < 0.005
    assert spearman_se(0.5, 103) == pytest.approx(0.75 * math.sqrt(1.06 / 100))
    assert spearman_se(0.3, 3) == math.inf


def _critical_counts_by_iteration(links, finish, driver, lag, row) -> tuple[np.ndarray, int]:
    """`critical_counts` spelled out one iteration at a time, as `criticality` defines the path."""
    count = np.zeros(finish.shape[0], dtype=np.int64)
    done = 0
    for i in range(finish.shape[1]):
        if not np.isfinite(finish[row, i]):
            continue
        done += 1
        on, todo = {row}, [row]
        while todo:
            r = todo.pop()
            d = int(driver[r, i])
            drove: list[int] = []
            if len(links[r]) > 1:
                arrival = [
                    finish[link.pred, i] + (lag[link.lag, i] if link.lag >= 0 and lag is not None else 0.0)
                    for link in links[r]
                ]
                tied = [link.pred for link, a in zip(links[r], arrival, strict=True) if a == max(arrival)]
                if d in tied:
                    drove = tied
            if not drove and d >= 0:
                drove = [d]
            for p in drove:
                if p not in on:
                    on.add(p)
                    todo.append(p)
        count[list(on)] += 1
    return count, done


SHARED_PAD = """
name: shared pad
start: 2030-01-01
resources:
  pad: {title: Pad, capacity: 1}
milestones:
  x: {duration: {uniform: [30d, 60d]}}
  a: {duration: {triangular: [10d, 20d, 60d]}, after: [x], uses: {pad: {hold: 15d}}}
  b: {duration: {triangular: [40d, 45d, 50d]}, uses: {pad: {hold: 45d}}}
  c: {duration: {uniform: [1d, 5d]}, after: [a, b]}
  d: {duration: {uniform: [1d, 5d]}, after: [a]}
  e: {duration: {uniform: [1d, 5d]}, after: [c, d]}
"""


@pytest.mark.parametrize("name", ["shared pad", "ilrs-2022-announced", "ilrs-2026-status"])
def test_critical_counts_match_the_path_followed_per_iteration(scenario, name: str) -> None:
    from sim.analysis.sensitivity import critical_counts
    from sim.simulation.plan import compile_plan

    sc = scenario(SHARED_PAD) if name == "shared pad" else sim.load(name)
    result = sim.simulate(sc, 1000, seed=11, workers=1)
    links = compile_plan(result.scenario).links
    if name == "shared pad":
        # The pad's queue: some starts were driven by a milestone later in plan order.
        assert (result.driver > np.arange(result.driver.shape[0])[:, None]).any()
    for row in range(result.finish.shape[0]):
        got = critical_counts(links, result.finish, result.driver, result.lag, row)
        want = _critical_counts_by_iteration(links, result.finish, result.driver, result.lag, row)
        assert np.array_equal(got[0], want[0]) and got[1] == want[1], result.milestone_ids[row]


def test_prepare_with_drivers_on_threads_gives_the_sequential_numbers(scenario) -> None:
    from sim.analysis.summary import summary

    sc = scenario(NETWORK)
    threaded = sim.simulate(sc, 5000, seed=9, workers=2)
    sequential = sim.simulate(sc, 5000, seed=9, workers=2)
    sequential.workers = 1  # prepare then runs every task in this thread
    threaded.prepare(drivers=True)
    assert ("tornado", "c") in threaded._memo and ("criticality", "c") in threaded._memo
    one, two = summary(threaded, "x"), summary(sequential, "x")
    for doc in (one, two):
        del doc["run"]
    assert one == two
