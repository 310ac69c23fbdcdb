"""Resources, windows, correlations, status dates and extends, checked against hand calculations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from stats import proportion_se, within

import sim
import sim.doneby
from sim.analysis.summary import summary

N = 40_000
ENGINES = ["simpy", "vector"]



RESOURCE = """
    name: shared pad
    start: 2030-01-01
    resources:
      pad: {{capacity: 1}}
    milestones:
      first: {{duration: 10d, uses: {{pad: {{{hold}}}}}}}
      second: {{duration: 10d, uses: {{pad: {{{hold}}}}}}}
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_capacity_one_resource_serialises_two_missions(scenario, engine):
    r = sim.simulate(scenario(RESOURCE.format(hold="")), 5, seed=1, engine=engine)
    assert r.engine == engine
    assert list(r.finish_of("first")) == [10.0] * 5
    assert list(r.finish_of("second")) == [20.0] * 5


@pytest.mark.parametrize("engine", ENGINES)
def test_hold_shorter_than_the_work_models_a_turnaround(scenario, engine):
    r = sim.simulate(scenario(RESOURCE.format(hold="hold: 5d")), 5, seed=1, engine=engine)
    assert list(r.finish_of("first")) == [10.0] * 5
    assert list(r.finish_of("second")) == [15.0] * 5


@pytest.mark.parametrize("engine", ENGINES)
def test_ties_go_in_plan_order_then_first_come_first_served(scenario, engine):
    sc = scenario("""
        name: queue
        start: 2030-01-01
        resources:
          pad: {capacity: 1}
        milestones:
          early: {duration: 10d, uses: {pad: {}}}
          late: {after: [early], duration: 1d, uses: {pad: {}}}
          b: {duration: 10d, uses: {pad: {}}}
          a: {duration: 10d, uses: {pad: {}}}
    """)
    r = sim.simulate(sc, 1, seed=1, engine=engine)
    # early, b and a all ask at t=0: file order early, b, a. late asks at 10 and queues behind a.
    assert [r.finish_of(m)[0] for m in ("early", "b", "a", "late")] == [10.0, 20.0, 30.0, 31.0]


def test_a_milestone_using_two_resources_runs_on_the_simpy_engine(scenario):
    sc = scenario("""
        name: two resources
        start: 2030-01-01
        resources:
          pad: {capacity: 1}
          crew: {capacity: 1}
        milestones:
          first: {duration: 10d, uses: {pad: {}, crew: {}}}
          second: {duration: 10d, uses: {crew: {}}}
    """)
    with pytest.raises(ValueError, match="milestone uses several resources"):
        sim.simulate(sc, 2, seed=1, engine="vector")
    r = sim.simulate(sc, 2, seed=1)
    assert r.engine == "simpy"
    # first takes crew (id order) at 0, then pad; second asks for crew at 0 and queues behind it.
    assert r.finish_of("first").tolist() == [10.0] * 2
    assert r.finish_of("second").tolist() == [20.0] * 2


@pytest.mark.parametrize("engine", ENGINES)
def test_a_zero_length_claim_lets_its_successor_ask_at_the_same_moment(scenario, engine):
    sc = scenario("""
        name: same moment
        start: 2030-01-01
        resources:
          pad: {capacity: 2}
        milestones:
          a: {duration: 0, uses: {pad: {}}}
          d: {after: [a], duration: 10d, uses: {pad: {amount: 2}}}
          b: {duration: 10d, uses: {pad: {}}}
    """)
    r = sim.simulate(sc, 2, seed=1, engine=engine)
    # Plan order a, d, b. a takes a unit on day 0 and gives it back at once; d then asks on day 0
    # too, and its key (day 0, row 1) comes before b's (day 0, row 2): d takes both units for
    # ten days and b waits for them.
    assert r.finish_of("a").tolist() == [0.0] * 2
    assert r.finish_of("d").tolist() == [10.0] * 2
    assert r.finish_of("b").tolist() == [20.0] * 2
    assert r.driver[r.index("b")].tolist() == [r.index("d")] * 2


@pytest.mark.parametrize("engine", ENGINES)
def test_a_window_after_the_grant_keeps_the_resource_and_the_next_claim_waits(scenario, engine):
    sc = scenario("""
        name: window holds the pad
        start: 2030-01-01
        resources:
          pad: {capacity: 1}
        milestones:
          a:
            duration: 10d
            window: {every: 30d, open: 5d, first: 2030-01-01}
            uses: {pad: {}}
          b: {duration: 10d, not_before: 2030-03-02, uses: {pad: {}}}
          c: {duration: 1d, uses: {pad: {hold: 0}}}
    """)
    r = sim.simulate(sc, 2, seed=1, engine=engine)
    # a's work ends on day 10, between windows: it completes when the next opens (day 30) and
    # holds the pad until then. b starts on day 30, works to 40 and waits for not_before (day
    # 60) with the pad; c, last in line, starts on day 60 and gives the pad back at once.
    assert r.finish_of("a").tolist() == [30.0] * 2
    assert r.finish_of("b").tolist() == [60.0] * 2
    assert r.finish_of("c").tolist() == [61.0] * 2
    assert r.driver[r.index("c")].tolist() == [r.index("b")] * 2


@pytest.mark.parametrize("engine", ENGINES)
def test_each_retry_claims_again_and_queues_behind_earlier_claims(scenario, engine):
    sc = scenario("""
        name: retries queue
        start: 2030-01-01
        resources:
          pad: {capacity: 1}
        milestones:
          a: {duration: 10d, success: 0.5, retry: {after: 5d, max: 3}, uses: {pad: {}}}
          b: {duration: 1d, uses: {pad: {}}}
    """)
    r = sim.simulate(sc, 400, seed=3, engine=engine)
    # a's first attempt holds the pad over [0, 10]; b asked on day 0, before a's retry (asked on
    # day 10), so b runs over [10, 11]; then each retry takes 5 days: 16, 21, 26; four failures
    # in a row (1 in 16) never finish.
    assert r.finish_of("b").tolist() == [11.0] * 400
    a = r.finish_of("a")
    assert set(a.tolist()) == {10.0, 16.0, 21.0, 26.0, math.inf}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_claim_granted_before_the_status_date_still_completes_after_it(scenario, engine):
    sc = scenario("""
        name: status date and a pad
        start: 2030-01-01
        as_of: 2030-01-11
        resources:
          pad: {capacity: 1}
        milestones:
          a: {duration: 20d, uses: {pad: {hold: 2d}}}
          b: {duration: 5d, uses: {pad: {}}}
          c: {after: [b], duration: 3d, uses: {pad: {}}}
    """)
    r = sim.simulate(sc, 2, seed=1, engine=engine)
    # as_of is day 10. a holds the pad for two days; b starts on day 2 and its fixed 5 days would
    # end on day 7, so it completes at the first moment after the status day (day 11) and holds
    # the pad until then; c asks on day 11, when b gives it back, and ends on day 14.
    assert r.finish_of("a").tolist() == [20.0] * 2
    assert r.finish_of("b").tolist() == [11.0] * 2
    assert r.finish_of("c").tolist() == [14.0] * 2


def test_window_turns_uniform_work_into_a_known_mixture(scenario):
    sc = scenario("""
        name: windows
        start: 2030-01-01
        milestones:
          launch:
            duration: {uniform: [0d, 100d]}
            window: {every: 30d, open: 10d, first: 2030-01-01}
    """)
    r = sim.simulate(sc, N, seed=2, engine="simpy")
    x = r.finish_of("launch")
    # Work ends at W ~ U(0, 100). Windows: [0,10], [30,40], [60,70], [90,100]. Inside a window
    # the launch is at W; in a gap (10,30), (40,60), (70,90) it waits for 30, 60, 90.
    # E = (1/100) [ sum over windows of int w dw + sum over gaps of 20 * opening ]
    #   = (1/100) [ (50 + 350 + 650 + 950) + 20 (30 + 60 + 90) ] = 56
    mean = (50 + 350 + 650 + 950 + 20 * (30 + 60 + 90)) / 100
    # E[X^2] likewise: int w^2 over the windows, plus 20 * opening^2 for each gap.
    ex2 = (
        (10**3 + (40**3 - 30**3) + (70**3 - 60**3) + (100**3 - 90**3)) / 3 + 20 * (30**2 + 60**2 + 90**2)
    ) / 100
    within(x.mean(), mean, math.sqrt((ex2 - mean**2) / N))
    within((x == 30.0).mean(), 0.2, math.sqrt(0.2 * 0.8 / N))
    assert not ((x > 10) & (x < 30)).any()


def test_window_applies_to_every_attempt(scenario):
    sc = scenario("""
        name: windows and retries
        start: 2030-01-01
        milestones:
          launch:
            duration: 5d
            success: 0.5
            retry: {after: 12d, max: 1}
            window: {every: 30d, open: 1d, first: 2030-01-21}
    """)
    r = sim.simulate(sc, 2000, seed=3)
    # First attempt waits for day 20; a retry's work ends at 32 and waits for day 50.
    assert set(np.unique(r.finish_of("launch"))) == {20.0, 50.0, np.inf}


@pytest.mark.slow
@pytest.mark.parametrize(
    "spec",
    [
        "{normal: {mean: 300d, sd: 80d}}",
        "{triangular: [100d, 150d, 400d]}",
        "{pert: [100d, 150d, 400d]}",
        "{lognormal: {median: 200d, p90: 500d}}",
    ],
)
@pytest.mark.parametrize("rho", [0.6, -0.4])
def test_correlated_pair_has_the_stated_spearman_rho(scenario, spec, rho):
    from scipy import stats

    sc = scenario(f"""
        name: correlated
        start: 2030-01-01
        milestones:
          a: {{duration: {spec}}}
          b: {{duration: {spec}}}
        correlations:
          - {{milestones: [a, b], rho: {rho}}}
    """)
    r = sim.simulate(sc, N, seed=4)
    measured = stats.spearmanr(r.finish_of("a"), r.finish_of("b")).statistic
    # SE of Spearman's rho for bivariate normal ranks (Fieller et al. 1957): ~ sqrt(1.06 / (N - 3)).
    within(measured, rho, math.sqrt(1.06 / (N - 3)))


def test_correlation_keeps_each_margin(scenario):
    sc = scenario("""
        name: correlated margins
        start: 2030-01-01
        milestones:
          a: {duration: {uniform: [0d, 100d]}}
          b: {duration: {uniform: [0d, 100d]}}
        correlations:
          - {milestones: [a, b], rho: 0.9}
    """)
    x = sim.simulate(sc, N, seed=5).finish_of("b")
    # Uniform(0, 100): mean 50, variance 100²/12.
    within(x.mean(), 50, math.sqrt(100**2 / 12 / N))


def test_as_of_truncates_instead_of_clamping(scenario):
    sc = scenario("""
        name: status date
        start: 2030-01-01
        as_of: 2030-04-11
        milestones:
          a: {duration: {uniform: [0d, 400d]}}
    """)
    r = sim.simulate(sc, N, seed=6)
    x = r.finish_of("a")
    as_of = 100.0
    assert (x >= as_of).all() and (x == as_of).mean() == 0.0
    # Uniform(0, 400) given > 100 is Uniform(100, 400): mean 250, variance 300²/12.
    within(x.mean(), 250, math.sqrt(300**2 / 12 / N))


def test_as_of_conditions_on_the_start_of_each_iteration(scenario):
    sc = scenario("""
        name: status date with predecessor
        start: 2030-01-01
        as_of: 2030-04-11
        milestones:
          done-early: {duration: 20d, actual: 2030-01-21}
          a: {after: [done-early], duration: {uniform: [0d, 400d]}}
    """)
    x = sim.simulate(sc, N, seed=7).finish_of("a")
    # a starts on day 20; its work must end after day 100: W ~ U(80, 400), finish 20 + W.
    within(x.mean(), 20 + 240, math.sqrt(320**2 / 12 / N))
    assert sim.simulate(sc, 10, seed=7).finish_of("done-early").tolist() == [20.0] * 10


def test_as_of_fixed_duration_already_over_finishes_on_as_of_with_a_warning(scenario):
    sc = scenario("""
        name: stale
        start: 2030-01-01
        as_of: 2030-04-11
        milestones:
          a: {duration: 10d}
    """)
    assert sc.warnings == ()  # loading runs no plan; validating and simulating do
    assert any("'a' has no actual" in w for w in sim.validate(sc.path).warnings)
    assert any("'a' has no actual" in w for w in sim.simulate(sc, 10, seed=1).scenario.warnings)
    # Not done by the end of the as_of day (day 100): it completes at the first moment after it.
    r = sim.simulate(sc, 10, seed=1)
    assert r.finish_of("a").tolist() == [101.0] * 10
    assert r.p_by("a", 100.0) == 0.0


def test_extends_chain_equals_the_flat_file(write):
    write(
        """
        name: base
        start: 2030-01-01
        seed: 3
        milestones:
          a: {duration: {uniform: [10d, 20d]}}
          b: {after: [a], duration: 30d}
          gone: {duration: 5d}
        risks:
          slip: {probability: 0.5, effects: [{milestones: [b], add: 10d}]}
    """,
        "base.yaml",
    )
    write(
        """
        extends: base.yaml
        name: middle
        milestones:
          b: {duration: {triangular: [20d, 30d, 60d]}}
          c: {after: [b], duration: 7d}
        remove: [gone]
    """,
        "middle.yaml",
    )
    top = write(
        """
        extends: middle.yaml
        name: top
        milestones:
          c: {target: 2030-06-01}
        risks:
          slip: {probability: 0.25}
    """,
        "top.yaml",
    )
    flat = write(
        """
        name: top
        start: 2030-01-01
        seed: 3
        milestones:
          a: {duration: {uniform: [10d, 20d]}}
          b: {after: [a], duration: {triangular: [20d, 30d, 60d]}}
          c: {after: [b], duration: 7d, target: 2030-06-01}
        risks:
          slip: {probability: 0.25, effects: [{milestones: [b], add: 10d}]}
    """,
        "flat.yaml",
    )
    a, b = sim.load(top), sim.load(flat)
    assert list(a.milestones) == ["a", "b", "c"]
    ra, rb = sim.simulate(a, 3000), sim.simulate(b, 3000)
    assert np.array_equal(ra.finish, rb.finish)
    sa, sb = summary(ra), summary(rb)
    for s in (sa, sb):
        s.pop("scenario")
        s["run"].pop("seconds")
    assert sa == sb


def test_extends_error_names_the_file_in_the_chain(write):
    write(
        """
        name: base
        start: 2030-01-01
        milestones:
          a: {duration: {uniform: [20d, 10d]}}
    """,
        "base.yaml",
    )
    child = write(
        """
        extends: base.yaml
        name: child
        milestones:
          b: {after: [a], duration: 1d}
    """,
        "child.yaml",
    )
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(child)
    (problem,) = info.value.problems
    assert problem.file is not None and problem.file.name == "base.yaml"
    assert problem.line == 4


def test_correlated_risks_occur_together_as_the_copula_says(scenario):
    sc = scenario("""
        name: correlated risks
        start: 2030-01-01
        milestones:
          a: {duration: 10d}
        risks:
          sanctions: {probability: 0.5, effects: [{milestones: [a], add: 10d}]}
          budget-cut: {probability: 0.5, effects: [{milestones: [a], add: 20d}]}
        correlations:
          - {risks: [sanctions, budget-cut], rho: 0.6}
    """)
    r = sim.simulate(sc, N, seed=8)
    both = (r.risk_occurred["sanctions"] & r.risk_occurred["budget-cut"]).mean()
    # Two 50/50 occurrences: their Spearman (with ties) is the phi coefficient 4 P(both) - 1, so
    # rank correlation 0.6 means P(both) = (1 + 0.6) / 4 = 0.4.
    p = (1 + 0.6) / 4
    within(both, p, proportion_se(p, N))
    for rid in ("sanctions", "budget-cut"):
        within(r.risk_occurred[rid].mean(), 0.5, math.sqrt(0.25 / N))


def test_a_risk_and_a_duration_can_share_a_group(scenario):
    from scipy import stats

    sc = scenario("""
        name: risk with duration
        start: 2030-01-01
        milestones:
          a: {duration: {uniform: [0d, 100d]}}
        risks:
          r: {probability: 0.5, effects: [{milestones: [a], add: 0d}]}
        correlations:
          - {milestones: [a], risks: [r], rho: 0.8}
    """)
    res = sim.simulate(sc, N, seed=9)
    x, occ = res.finish_of("a"), res.risk_occurred["r"]
    # A positive rho means the risk tends to occur when the duration is long.
    assert stats.spearmanr(x, occ).statistic > 0.5


@pytest.mark.parametrize("engine", ENGINES)
def test_waiting_for_a_resource_puts_its_holder_on_the_driving_path(scenario, engine):
    from sim.analysis.sensitivity import criticality

    sc = scenario("""
        name: pad drives
        start: 2030-01-01
        resources:
          pad: {capacity: 1}
        milestones:
          design: {duration: 5d}
          first: {duration: 10d, uses: {pad: {}}}
          second: {after: [design], duration: 10d, uses: {pad: {}}}
    """)
    r = sim.simulate(sc, 3, seed=1, engine=engine)
    # second is ready on day 5 but the pad is busy until day 10: first set its start.
    assert r.finish_of("second").tolist() == [20.0] * 3
    assert r.driver[r.index("second")].tolist() == [r.index("first")] * 3
    crit = criticality(r, "second")
    assert crit["first"] == 1.0 and crit["design"] == 0.0


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("order", [("big", "small"), ("small", "big")])
def test_a_claim_takes_its_amount_of_units(scenario, order, engine):
    lines = {
        "big": "big: {duration: 100d, uses: {pad: {amount: 2}}}",
        "small": "small: {duration: 100d, uses: {pad: {amount: 1}}}",
    }
    sc = scenario(
        "name: amounts\nstart: 2030-01-01\nresources:\n  pad: {capacity: 2}\nmilestones:\n"
        + "".join(f"  {lines[m]}\n" for m in order)
    )
    r = sim.simulate(sc, 3, seed=1, engine=engine)
    # Both ask at t=0; the first in plan order is served first and leaves too little room for
    # the other (2 + 1 > 2), which starts when it is done.
    first, second = order
    assert r.finish_of(first).tolist() == [100.0] * 3
    assert r.finish_of(second).tolist() == [200.0] * 3


@pytest.mark.parametrize("engine", ENGINES)
def test_a_large_claim_is_not_overtaken_by_small_ones(scenario, engine):
    sc = scenario("""
        name: no overtaking
        start: 2030-01-01
        resources:
          pad: {capacity: 2}
        milestones:
          x: {duration: 100d, uses: {pad: {}}}
          wait: {duration: 10d}
          big: {after: [wait], duration: 100d, uses: {pad: {amount: 2}}}
          pause: {duration: 20d}
          small: {after: [pause], duration: 100d, uses: {pad: {amount: 1}}}
    """)
    r = sim.simulate(sc, 2, seed=1, engine=engine)
    # x holds 1 unit over [0, 100]. big asks for 2 at day 10 and waits for x; small asks for 1 at
    # day 20, when a unit is free, but queues behind big (first come, first served).
    assert r.finish_of("x").tolist() == [100.0] * 2
    assert r.finish_of("big").tolist() == [200.0] * 2
    assert r.finish_of("small").tolist() == [300.0] * 2


def _window_completion(w: float) -> float:
    """Plain re-statement of a 30-day cycle with 10-day windows from day 0: next moment >= w."""
    opening = 30.0 * math.floor(w / 30.0)
    return w if w <= opening + 10.0 else opening + 30.0


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["simpy", "vector"])
def test_as_of_conditions_the_completion_after_a_window_wait(scenario, engine):
    sc = scenario("""
        name: status date and windows
        start: 2030-01-01
        as_of: 2030-04-21
        milestones:
          a:
            duration: {uniform: [0d, 400d]}
            window: {every: 30d, open: 10d, first: 2030-01-01}
    """)
    x = sim.simulate(sc, N, seed=11, engine=engine).finish_of("a")
    # as_of is day 110: not done by it means completion >= 111. Work ending in (100, 110] waits
    # for the window opening on day 120, so it is not done either: W ~ U(100, 400) given the
    # condition, completion = next window moment. Closed form: mass 20/300 at each opening
    # 120, 150, ..., 390 (the gap before it), uniform density 1/300 inside each window.
    openings = [120.0 + 30.0 * j for j in range(10)]
    mean = sum(20 / 300 * o + (((o + 10) ** 2 - o**2) / 2) / 300 for o in openings)
    second = sum(20 / 300 * o**2 + (((o + 10) ** 3 - o**3) / 3) / 300 for o in openings)
    assert (x >= 111.0).all() and not sim.doneby.done_by(x, 110.0).any()
    within(x.mean(), mean, math.sqrt((second - mean**2) / N))
    p = 20 / 300
    within(float((x == 120.0).mean()), p, proportion_se(p, N))
    # Cross-check of the closed form with the window rule applied to exact uniform quantiles.
    grid = [_window_completion(100.0 + 300.0 * (k + 0.5) / 30_000) for k in range(30_000)]
    assert abs(sum(grid) / len(grid) - mean) < 0.01


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["simpy", "vector"])
def test_as_of_conditions_the_completion_after_failed_attempts(scenario, engine):
    sc = scenario("""
        name: status date and retries
        start: 2030-01-01
        as_of: 2030-04-11
        milestones:
          a:
            duration: {uniform: [0d, 200d]}
            success: 0.5
            retry: {after: 50d, max: 1}
    """)
    x = sim.simulate(sc, N, seed=12, engine=engine).finish_of("a")
    # as_of is day 100: not done means completion >= 101. With B ~ U(0, 200): B >= 101 completes
    # late whatever happens; 51 <= B < 101 needs the first attempt to fail (1/2), after which the
    # retry at B + 50 is late; B < 51 needs both attempts to fail (1/4). Weights 99, 50/2, 51/4.
    z = 99 + 25 + 12.75
    p_never = (99 * 0.25 + 25 * 0.5 + 12.75) / z
    never = float(np.isinf(x).mean())
    within(never, p_never, proportion_se(p_never, N))
    # Finish given done: from B >= 101, B (1/2) or B + 50 (1/4); from 51 <= B < 101, B + 50 (1/2).
    parts = [(99 * 0.5, 150.5), (99 * 0.25, 200.5), (25 * 0.5, 126.0)]
    mass = sum(w for w, _ in parts)
    mean = sum(w * m for w, m in parts) / mass
    second = (
        99 * 0.5 * (101**2 + 101 * 200 + 200**2) / 3
        + 99 * 0.25 * (151**2 + 151 * 250 + 250**2) / 3
        + 25 * 0.5 * (101**2 + 101 * 151 + 151**2) / 3
    ) / mass
    done = x[np.isfinite(x)]
    assert (done >= 101.0).all()
    within(done.mean(), mean, math.sqrt((second - mean**2) / done.size))


@pytest.mark.parametrize("engine", ["simpy", "vector"])
def test_tied_predecessors_are_all_critical_whatever_the_order(scenario, engine):
    from sim.analysis.sensitivity import criticality

    text = """
        name: tie
        start: 2030-01-01
        milestones:
          a: {{duration: {{discrete: {{100d: 0.5, 200d: 0.5}}}}}}
          b: {{duration: {{discrete: {{100d: 0.5, 200d: 0.5}}}}}}
          c: {{after: [{order}], duration: 10d}}
    """
    shares = []
    for order in ("a, b", "b, a"):
        r = sim.simulate(scenario(text.format(order=order)), 4000, seed=13, engine=engine)
        a, b = r.finish_of("a"), r.finish_of("b")
        crit = criticality(r, "c")
        # a drives c whenever it is not earlier than b: ties count for both.
        assert crit["a"] == float((a >= b).mean()) and crit["b"] == float((b >= a).mean())
        shares.append((crit["a"], crit["b"]))
    assert shares[0] == shares[1]
    # Independent 50/50 draws: P(a >= b) = 3/4.
    within(shares[0][0], 0.75, math.sqrt(0.75 * 0.25 / 4000))


def test_a_finish_during_the_horizon_day_counts(scenario):
    sc = scenario("""
        name: horizon day
        start: 2030-01-01
        horizon: 2030-04-11
        milestones:
          a: {duration: 100.5d}
          b: {duration: 101d}
    """)
    r = sim.simulate(sc, 2, seed=1)
    # The horizon is day 100; 100.5 falls on it, 101 is the next day.
    assert r.finish_of("a").tolist() == [100.5] * 2
    assert r.finish_of("b").tolist() == [math.inf] * 2


QUICK_RETRIES = """
    name: status date and quick retries
    start: 2030-01-01
    as_of: 2030-04-11
    milestones:
      a:
        duration: {{uniform: [0d, {high}]}}
        success: 0.9
        retry: {{after: 5d, max: 2}}
      b: {{after: [a], duration: 10d}}
"""


@pytest.mark.slow
def test_as_of_weighs_each_attempt_that_would_be_over_by_its_failure(scenario):
    sc = scenario(QUICK_RETRIES.format(high="120d"))
    x = sim.simulate(sc, N, seed=14, engine="vector").finish_of("a")
    # as_of is day 100 (not done: completion >= 101), B ~ U(0, 120), retries 5 days apart, each
    # attempt fails with w = 0.1. Attempts over by day 101 must have failed: B >= 101 weighs 1,
    # 96 <= B < 101 weighs w, 91 <= B < 96 weighs w², B < 91 weighs w³ (then all three failed).
    regions = [  # (weight, B low, B high, [(P(finish = B + shift), shift)])
        (19 / 120, 101, 120, [(0.9, 0), (0.09, 5), (0.009, 10)]),
        (5 / 120 * 0.1, 96, 101, [(0.9, 5), (0.09, 10)]),
        (5 / 120 * 0.01, 91, 96, [(0.9, 10)]),
        (91 / 120 * 0.001, 0, 91, []),
    ]
    total = sum(w for w, *_ in regions)
    done_mass = sum(w * sum(p for p, _ in ways) for w, _, _, ways in regions) / total
    mean = sum(w * p * ((lo + hi) / 2 + c) for w, lo, hi, ways in regions for p, c in ways) / total
    second = sum(
        w * p * ((hi - lo) ** 2 / 12 + ((lo + hi) / 2 + c) ** 2)
        for w, lo, hi, ways in regions
        for p, c in ways
    ) / total
    mean, second = mean / done_mass, second / done_mass
    done = x[np.isfinite(x)]
    within(done.size / N, done_mass, proportion_se(done_mass, N))
    within(done.mean(), mean, math.sqrt((second - mean**2) / done.size))
    # Finish in [101, 106): the first attempt with B there (5 of B's 120 days), the second with
    # 96 <= B < 101 or the third with 91 <= B < 96, each succeeding with 0.9.
    p_second = 0.9 * (5 / 120 + 5 / 120 * 0.1 + 5 / 120 * 0.01) / total
    within(float(((x >= 101) & (x < 106)).mean()), p_second, proportion_se(p_second, N))


def test_status_date_conditioning_is_the_same_for_every_engine_and_worker_count(scenario):
    sc = scenario(QUICK_RETRIES.format(high="120d"))
    runs = [
        sim.simulate(sc, 3000, seed=15, engine="vector", workers=1),
        sim.simulate(sc, 3000, seed=15, engine="simpy", workers=1),
        sim.simulate(sc, 3000, seed=15, engine="vector", workers=2),
    ]
    for other in runs[1:]:
        assert np.array_equal(runs[0].finish, other.finish)


def test_a_status_date_no_future_survives_without_failing_leaves_it_never_done(scenario):
    # B < 50, retries 5 days apart: all three attempts would be over by day 101, so the only
    # futures not done by as_of are those in which all three failed (acceptance w² per proposal,
    # so most iterations need the per-iteration fallback).
    sc = scenario(QUICK_RETRIES.format(high="50d"))
    for engine in ("vector", "simpy"):
        r = sim.simulate(sc, 300, seed=16, engine=engine)
        assert np.isinf(r.finish_of("a")).all() and np.isinf(r.finish_of("b")).all()


def test_a_status_date_that_leaves_almost_no_future_is_a_clear_error(scenario):
    # Three quick retries, each succeeding 99 times in 100, all over by the status date: a
    # future not done by then needs the first three attempts to fail (1 in a million).
    sc = scenario("""
        name: status date leaves nothing
        start: 2030-01-01
        as_of: 2030-04-11
        milestones:
          a:
            duration: {uniform: [0d, 50d]}
            success: 0.99
            retry: {after: 1d, max: 3}
    """)
    with pytest.raises(ValueError, match="'a': almost every simulated future has it done by as_of"):
        sim.simulate(sc, 100, seed=17)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_milestone_done_before_the_status_date_claims_nothing(scenario, engine):
    sc = scenario("""
        name: actual with a pad
        start: 2030-01-01
        as_of: 2030-02-01
        resources:
          pad: {capacity: 1}
        milestones:
          done: {duration: 10d, actual: 2030-01-11, uses: {pad: {}}}
          next: {after: [done], duration: 40d}
    """)
    r = sim.simulate(sc, 2, seed=1, engine=engine)
    assert r.engine == engine
    # done is on its actual date (day 10); next starts then and ends on day 50, after the status day.
    assert r.finish_of("done").tolist() == [10.0] * 2
    assert r.finish_of("next").tolist() == [50.0] * 2


WARNED = """
    name: done by the status date in the plan
    start: 2030-01-01
    as_of: 2030-03-01
    resources:
      pad: {capacity: 1}
    milestones:
      early: {duration: 10d}
      tried: {duration: 20d, success: 0.5, retry: {after: 60d, max: 1}}
      spent: {duration: 20d, success: 0.5, retry: {after: 5d, max: 1}}
      hog: {duration: 100d, uses: {pad: {}}}
      queued: {duration: 5d, uses: {pad: {}}}
"""


def test_the_status_date_warning_says_what_the_simulation_does(scenario):
    from sim.simulation.deterministic import deterministic_plan

    sc = scenario(WARNED)
    warnings = {w.split("'")[1]: w for w in deterministic_plan(sc).warnings}
    # `queued` waits for the pad until day 100 in the plan: it is not done by as_of (day 59), so
    # nothing is forced and nothing is said.
    assert set(warnings) == {"early", "tried", "spent"}
    assert "first moment after that day" in warnings["early"]
    for mid in ("tried", "spent"):
        assert "just after" not in warnings[mid]
        assert "taken to have failed" in warnings[mid] and "never" in warnings[mid]
    r = sim.simulate(sc, 4000, seed=2)
    # early: the first moment after the status day, day 60.
    assert set(r.finish_of("early").tolist()) == {60.0}
    # tried: its first attempt (day 20) failed; the retry completes on day 80 and succeeds half
    # the time (SE sqrt(0.25/4000), k = 4); spent: both attempts (days 20, 25) are done by the
    # status day, so both failed and it is never done.
    tried = r.finish_of("tried")
    assert set(tried.tolist()) == {80.0, math.inf}
    within(float(np.isfinite(tried).mean()), 0.5, proportion_se(0.5, tried.size))
    assert np.isinf(r.finish_of("spent")).all()
