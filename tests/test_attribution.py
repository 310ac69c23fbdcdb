"""Attribution (`drivers.attribution`): exact Shapley values over risks and decisions on the same
draws. The parts sum to the total exactly; additive risks on a serial chain get p x days each."""

from __future__ import annotations

import math

import numpy as np
import pytest
from stats import mean_se, within

import sim
from sim.analysis.attribution import STATS, coalition_finishes, coalition_statistics, shapley, statistics

INTERACTING = {
    "parallel": """
        name: parallel risks
        start: 2030-01-01
        headline: join
        milestones:
          a: {duration: {triangular: [50d, 100d, 200d]}}
          b: {duration: {triangular: [60d, 100d, 180d]}}
          join: {after: [a, b], target: 2030-08-01}
        risks:
          ra: {title: RA, probability: 0.4, effects: [{milestones: [a], add: {uniform: [30d, 90d]}}]}
          rb: {title: RB, probability: 0.5, effects: [{milestones: [b], add: 60d}]}
          rc: {title: RC, probability: 0.3, effects: [{milestones: [a, b], scale: 1.5}]}
    """,
    "scaled": """
        name: scaled and added
        start: 2030-01-01
        headline: b
        milestones:
          a: {duration: {pert: [100d, 150d, 300d]}}
          b: {after: [a], duration: {uniform: [10d, 50d]}, target: 2030-09-01}
        risks:
          grow: {title: Grow, probability: 0.5, effects: [{milestones: [a], scale: {uniform: [1.2, 2]}}]}
          add: {title: Add, probability: 0.5, effects: [{milestones: [a], add: 60d}]}
    """,
    "decision": """
        name: decision and risk
        start: 2030-01-01
        headline: c
        milestones:
          d:
            duration: 10d
            branches:
              fast: {probability: 0.6}
              slow: {probability: 0.4, effects: [{milestones: [c], add: 100d}]}
          c: {after: [d], duration: {triangular: [50d, 80d, 150d]}, target: 2030-06-01}
        risks:
          r: {title: R, probability: 0.5, effects: [{milestones: [c], scale: 1.3}]}
    """,
}


@pytest.mark.parametrize("name", sorted(INTERACTING))
def test_parts_sum_to_the_total_exactly(scenario, name):
    r = sim.simulate(scenario(INTERACTING[name]), 20_000, seed=11)
    fs, finishes = coalition_finishes(r)
    # The full coalition is the run itself, to the last bit.
    assert np.array_equal(finishes[-1], r.finish_of(r.headline))
    target = r.scenario.milestones[r.headline].target
    per = [statistics(row, target) for row in finishes]
    for stat in STATS:
        parts = shapley([p[stat] for p in per], len(fs))
        assert parts is not None
        total = per[-1][stat] - per[0][stat]
        assert math.isclose(sum(parts), total, rel_tol=0, abs_tol=1e-9)
    # The risks interact: each one's switch-off impact alone does not add up to the total.
    alone = [per[-1]["p80_days"] - per[(2 ** len(fs) - 1) & ~(1 << j)]["p80_days"] for j in range(len(fs))]
    assert not math.isclose(sum(alone), per[-1]["p80_days"] - per[0]["p80_days"], abs_tol=0.5)


def test_summary_section_has_the_contract_keys_and_rounded_parts_add_up(scenario):
    r = sim.simulate(scenario(INTERACTING["decision"]), 10_000, seed=2)
    section = r.summary(impacts=True)["drivers"]["attribution"]
    assert set(section) == {"total", "inputs"}
    assert set(section["total"]) == {"mean_days", "p50_days", "p80_days", "p_target"}
    keys = ["input", "label", "kind", "mean_days", "p50_days", "p80_days", "p_target"]
    # Exactly the contract's keys; the intervals stay in the Python object and the report.
    assert all(list(i) == keys for i in section["inputs"])
    assert all("interval" in i for i in r.attribution()["inputs"])
    assert {i["kind"] for i in section["inputs"]} == {"risk", "decision"}
    for stat, unit in (("mean_days", 0.01), ("p80_days", 0.01), ("p_target", 0.0001)):
        # Each part is rounded to half a unit at most.
        parts = sum(i[stat] for i in section["inputs"])
        assert abs(parts - section["total"][stat]) <= len(section["inputs"]) * unit / 2 + 1e-9


def test_additive_risks_on_a_serial_chain_get_p_times_days_each(scenario):
    sc = scenario("""
        name: additive
        start: 2030-01-01
        headline: c
        milestones:
          a: {duration: {uniform: [50d, 150d]}}
          b: {after: [a], duration: {uniform: [20d, 40d]}}
          c: {after: [b], duration: 30d}
        risks:
          r1: {title: R1, probability: 0.3, effects: [{milestones: [a], add: 50d}]}
          r2: {title: R2, probability: 0.5, effects: [{milestones: [b], add: 20d}]}
          r3: {title: R3, probability: 0.1, effects: [{milestones: [c], add: 200d}]}
    """)
    n = 40_000
    section = sim.simulate(sc, n, seed=4).attribution()
    got = {i["input"]: i["mean_days"] for i in section["inputs"]}
    # On a serial chain a risk adds its days in every iteration where it occurs, whatever else
    # happens: its share of the mean is (days) x (share of iterations it occurred), whose SE is
    # days x sqrt(p (1 - p) / n).
    for rid, p, days in (("r1", 0.3, 50), ("r2", 0.5, 20), ("r3", 0.1, 200)):
        within(got[rid], p * days, mean_se(days * days * p * (1 - p), n))


def test_report_walks_from_the_plan_to_p80(scenario, tmp_path):
    text = INTERACTING["decision"].replace("title: R,", 'title: "<b>R</b>",')
    html = sim.simulate(scenario(text), 5_000, seed=1).write_report(tmp_path, impacts=True).read_text()
    assert 'id="waterfall-list"' in html
    assert "The plan (every input at its most likely value, no risk) reaches" in html
    assert "The risk \u201c&lt;b&gt;R&lt;/b&gt;\u201d adds" in html
    assert "As modelled, 8 in 10 futures reach it by" in html


@pytest.mark.parametrize("name", sorted(INTERACTING))
def test_runs_of_active_iterations_only_give_exactly_the_full_enumeration(scenario, name):
    r = sim.simulate(scenario(INTERACTING[name]), 5_000, seed=3)
    _, finishes = coalition_finishes(r)
    target = r.scenario.milestones[r.headline].target
    _, fast = coalition_statistics(r)
    assert fast == [statistics(row, target) for row in finishes]


def _chain_with_risks(count: int, interact: bool) -> str:
    lines = ["name: many risks", "start: 2030-01-01", "headline: end", "milestones:"]
    for i in range(count):
        after = (
            f"after: [m{i - 1}], "
            if i and not interact
            else f"after: [m{i - 2}, m{i - 1}], "
            if i > 1
            else ""
        )
        lines.append(f"  m{i}: {{{after}duration: {{uniform: [20d, 40d]}}}}")
    lines.append(f"  end: {{after: [m{count - 1}, m{count - 2}], duration: 1d, target: 2031-06-01}}")
    lines.append("risks:")
    for i in range(count):
        p = 0.05 + 0.02 * i
        lines.append(
            f"  r{i}: {{title: R{i}, probability: {p:.2f}, effects: [{{milestones: [m{i}], add: 30d}}]}}"
        )
    return "\n".join(lines) + "\n"


def test_above_twelve_factors_sampled_orders_still_add_up_and_state_their_error(scenario):
    n = 20_000
    r = sim.simulate(scenario(_chain_with_risks(14, interact=True)), n, seed=8)
    section = r.attribution()
    assert "random orders" in section["method"]
    assert all(set(i["se"]) == set(STATS) for i in section["inputs"])
    for stat, unit in (("mean_days", 0.01), ("p80_days", 0.01), ("p_target", 0.0001)):
        parts = sum(i[stat] for i in section["inputs"])
        assert abs(parts - section["total"][stat]) <= 14 * unit / 2 + 1e-9
    # Interacting risks: some order changes a risk's marginal P80 contribution.
    assert any(i["se"]["p80_days"] > 0 for i in section["inputs"])


def test_above_twelve_additive_risks_on_a_serial_chain_get_p_times_days_each(scenario):
    n = 20_000
    r = sim.simulate(scenario(_chain_with_risks(14, interact=False)), n, seed=9)
    section = r.attribution()
    got = {i["input"]: i for i in section["inputs"]}
    for k in range(14):
        p = 0.05 + 0.02 * k
        # Additive on a serial chain: the same marginal in every order, so the estimate of the
        # mean share has no permutation error, and its sampling SE is 30 sqrt(p (1 - p) / n).
        assert got[f"r{k}"]["se"]["mean_days"] == 0.0
        within(got[f"r{k}"]["mean_days"], p * 30, mean_se(900 * p * (1 - p), n))


def test_exact_parts_carry_paired_bootstrap_intervals(scenario):
    n = 20_000
    sc = scenario(
        INTERACTING["parallel"].replace(
            "rc: {title: RC, probability: 0.3", "rc: {title: RC, probability: 0.0"
        )
    )
    section = sim.simulate(sc, n, seed=12).attribution()
    got = {i["input"]: i for i in section["inputs"]}
    for item in section["inputs"]:
        for stat in STATS:
            low, high = item["interval"][stat]
            assert low <= item[stat] <= high
    # A risk that never occurs moves nothing in any resample.
    assert got["rc"]["interval"]["p80_days"] == [0.0, 0.0]
    # A real one: an interval of a few SE around its share, not a point.
    low, high = got["rb"]["interval"]["mean_days"]
    assert 0 < high - low < 0.2 * got["rb"]["mean_days"]


def test_percentile_intervals_at_any_size_and_the_report_quotes_them(scenario):
    """P50 and P80 intervals where re-sorting every coalition on every resample would read 200 ×
    2^3 × 30,000 = 48 million values (more than was once afforded), and the walk quotes each P80
    interval that does not round to one day."""
    from sim.report.drivertext import waterfall_lines

    r = sim.simulate(scenario(INTERACTING["parallel"]), 30_000, seed=3)
    section = r.attribution()
    quoted = 0
    for item in section["inputs"]:
        for stat in ("p50_days", "p80_days"):
            low, high = item["interval"][stat]
            assert low <= item[stat] <= high
        low, high = (round(v) for v in item["interval"]["p80_days"])
        quoted += low != high
        text = f"(95 % interval {low:+,} to {high:+,} days)"
        assert any(text in line for line in waterfall_lines(r, section)) == (low != high)
    assert quoted >= 2


@pytest.mark.parametrize("name", sorted(INTERACTING))
def test_per_iteration_shapley_values_average_to_the_exact_parts(scenario, name):
    from sim.analysis.attribution import Game
    from sim.analysis.attributionci import per_iteration

    r = sim.simulate(scenario(INTERACTING[name]), 5_000, seed=8)
    game = Game(r)
    per = game.every_coalition()
    for stat in ("mean_days", "p_target"):
        exact = shapley([p[stat] for p in per], len(game.factors))
        phi = per_iteration(game, stat)
        assert exact is not None and phi is not None
        assert np.allclose(phi.mean(axis=0), exact, rtol=0, atol=1e-9)
        # Each iteration's values add up to its own change from no risk to as modelled.
        assert np.allclose(phi.sum(axis=1).mean(), per[-1][stat] - per[0][stat], atol=1e-9)


def full_paired_bootstrap(game, rng):
    """The reference: every coalition's statistics recomputed on each resample of iterations (the
    same resample for all), and the Shapley values of each; per statistic, per factor, the 95 %
    percentile interval, or None where a statistic has no value in some coalition of some resample."""
    k = len(game.factors)
    n = game.offset.size
    by_mask = sorted(game.walk(), key=lambda t: t[0])
    finishes = np.stack([game.flat[game.offset + local] for _, local in by_mask])
    draws = {s: [] for s in STATS}
    broken = set()
    for _ in range(200):
        pick = rng.integers(0, n, size=n)
        per = [statistics(finishes[m, pick], game.target) for m in range(2**k)]
        for s in STATS:
            values = [p[s] for p in per]
            if None in values:
                broken.add(s)
            else:
                draws[s].append(shapley(values, k))
    out = {}
    for s in STATS:  # the 5th and 195th of the 200 ordered resamples
        ordered = np.sort(np.array(draws[s]), axis=0) if s not in broken else None
        out[s] = None if ordered is None else [[ordered[4, j], ordered[194, j]] for j in range(k)]
    return out


@pytest.mark.parametrize("name", sorted(INTERACTING))
def test_intervals_are_the_full_paired_bootstrap(scenario, name):
    """The intervals (mean and P(target) from per-iteration values, P50 and P80 from windows
    around each coalition's percentile) are the full paired bootstrap's, drawn with the same
    resamples: the percentiles' exactly, the means' to float rounding."""
    from sim.analysis.attribution import Game
    from sim.analysis.attributionci import intervals

    game = Game(sim.simulate(scenario(INTERACTING[name]), 3_000, seed=9))
    full = full_paired_bootstrap(game, np.random.default_rng(4))
    got = intervals(game, np.random.default_rng(4))
    for stat in STATS:
        assert (got[stat] is None) == (full[stat] is None), stat
        if full[stat] is not None:
            assert np.allclose(got[stat], full[stat], rtol=0, atol=1e-9), stat


@pytest.mark.parametrize("name", sorted(INTERACTING))
def test_one_walk_gives_every_coalitions_statistics(scenario, name):
    """The walk that finds the intervals also gives every coalition's own statistics: the same
    numbers, bit for bit, as computing each coalition's on its own."""
    from sim.analysis.attribution import Game
    from sim.analysis.attributionci import coalitions_and_intervals

    game = Game(sim.simulate(scenario(INTERACTING[name]), 2_000, seed=12))
    per, _ = coalitions_and_intervals(game, np.random.default_rng(0))
    assert per == game.every_coalition()


def test_intervals_with_never_done_iterations_are_the_full_paired_bootstrap(scenario):
    """A milestone some futures never reach: no mean (the mean of the completed iterations is not a
    mean of per-iteration values), percentiles where none is "never" in any resample."""
    from sim.analysis.attribution import Game
    from sim.analysis.attributionci import intervals

    text = """
        name: sometimes never
        start: 2030-01-01
        headline: b
        milestones:
          a: {duration: {uniform: [50d, 150d]}, success: 0.9}
          b: {after: [a], duration: 30d, target: 2030-07-01}
        risks:
          slow: {title: Slow, probability: 0.4, effects: [{milestones: [a], add: 60d}]}
          late: {title: Late, probability: 0.3, effects: [{milestones: [b], add: {uniform: [10d, 40d]}}]}
    """
    game = Game(sim.simulate(scenario(text), 2_000, seed=2))
    assert not np.all(np.isfinite(game.flat))
    full = full_paired_bootstrap(game, np.random.default_rng(6))
    got = intervals(game, np.random.default_rng(6))
    assert got["mean_days"] is None
    for stat in ("p50_days", "p80_days", "p_target"):
        assert full[stat] is not None and np.allclose(got[stat], full[stat], rtol=0, atol=1e-9), stat


@pytest.mark.parametrize("k", [1, 2, 5, 8])
def test_the_shapley_weight_matrix_gives_the_shapley_values(k):
    from sim.analysis.attributionci import _weights

    values = np.random.default_rng(k).normal(size=2**k)
    exact = shapley(list(values), k)
    assert exact is not None
    assert np.allclose(values @ _weights(k), exact, rtol=0, atol=1e-12)
