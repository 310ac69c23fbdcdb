"""Conditional outcomes (`when`): analytic checks of each kind of condition, the deterministic
plan, forcing, kept and streamed runs, and the located errors.

Tolerances are k = 4 standard errors of a share estimated from N iterations,
SE = sqrt(p (1 - p) / N) (tests/stats.py); checks that hold iteration by iteration are exact.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from stats import proportion_se, within

import sim
from sim.analysis.samples import sample_columns
from sim.simulation.deterministic import deterministic_plan
from sim.simulation.engines import can_vectorise, run_engine
from sim.simulation.plan import compile_plan
from sim.simulation.sampling import draw, with_inputs

N = 20_000
ENGINES = ("vector", "simpy")

CONTRACT = """
name: contract example
start: 2030-01-01
milestones:
  m1: {duration: {uniform: [0d, 100d]}}
  review:
    duration: 50d
    branches:
      replan:
        title: Re-plan because m1 is late
        when: {not_done: m1}
        effects: [{milestones: [m2], add: 100d}]
      as-planned: {}
  m2: {after: [m1, review], duration: 10d}
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_the_contract_example(scenario, engine: str) -> None:
    """P(replan) = P(m1 > 50) = 0.5, and m2 = max(m1, 50) + 10 + 100·[m1 > 50] in every iteration."""
    r = sim.simulate(scenario(CONTRACT), N if engine == "vector" else N // 4, seed=5, engine=engine)
    n = r.iterations
    m1, m2 = r.finish_of("m1"), r.finish_of("m2")
    late = m1 > 50.0
    np.testing.assert_array_equal(r.outcome["review"], np.where(late, 0, 1))
    np.testing.assert_allclose(m2, np.maximum(m1, 50.0) + 10.0 + 100.0 * late, rtol=1e-12)
    share = r.branch_frequencies()["review"]
    within(share["replan"], 0.5, proportion_se(0.5, n))
    assert share["replan"] + share["as-planned"] == 1.0
    assert r.summary(impacts=False)["branches"] == {"review": share}


def test_a_risk_condition(scenario) -> None:
    """`{risk: r}` is taken exactly where the risk occurred: P = 0.3."""
    sc = scenario("""
        name: risk condition
        start: 2030-01-01
        milestones:
          a: {duration: {uniform: [10d, 20d]}}
          d:
            after: [a]
            branches:
              delay:
                when: {risk: r}
                effects: [{milestones: [b], scale: 2}]
              keep: {}
          b: {after: [d], duration: 100d}
        risks:
          r: {probability: 0.3, effects: [{milestones: [a], add: 5d}]}
    """)
    r = sim.simulate(sc, N, seed=6)
    occurred = r.risk_occurred["r"]
    np.testing.assert_array_equal(r.outcome["d"] == 0, occurred)
    np.testing.assert_allclose(r.finish_of("b") - r.finish_of("d"), np.where(occurred, 200.0, 100.0))
    within(r.branch_frequencies()["d"]["delay"], 0.3, proportion_se(0.3, N))


def test_a_failed_at_least_condition_counts_failures_by_the_decision(scenario) -> None:
    """Attempts of x complete at days 10, 20, 30 and 40 (each succeeds with 1/2); the decision
    completes on day 25, so `failed: x, at_least: 2` holds exactly when the first two failed
    (x not done by day 25): P = 1/4. The later failures (days 30, 40) do not count."""
    sc = scenario("""
        name: failed condition
        start: 2030-01-01
        milestones:
          x: {duration: 10d, success: 0.5, retry: {after: 10d, max: 3}}
          d:
            duration: 25d
            branches:
              backup:
                when: {failed: x, at_least: 2}
                effects: [{milestones: [y], add: 1y}]
              wait: {}
          y: {after: [d], duration: 10d}
    """)
    for engine in ENGINES:
        n = N if engine == "vector" else N // 4
        r = sim.simulate(sc, n, seed=7, engine=engine)
        two_failed = r.finish_of("x") > 25.0
        np.testing.assert_array_equal(r.outcome["d"] == 0, two_failed)
        within(r.branch_frequencies()["d"]["backup"], 0.25, proportion_se(0.25, n))


def test_a_probability_on_a_conditional_outcome(scenario) -> None:
    """A conditional outcome with probability 0.4 is taken in 40 % of the futures where its
    condition holds, and never elsewhere: P = 0.5 · 0.4 = 0.2; the default takes the rest."""
    text = CONTRACT.replace("when: {not_done: m1}", "when: {not_done: m1}\n        probability: 0.4")
    sc = scenario(text)
    r = sim.simulate(sc, N, seed=8)
    late = r.finish_of("m1") > 50.0
    taken = r.outcome["review"] == 0
    assert not taken[~late].any()
    within(r.branch_frequencies()["review"]["replan"], 0.2, proportion_se(0.2, N))
    # Among the late futures, 0.4 of them.
    within(float(taken[late].mean()), 0.4, proportion_se(0.4, int(late.sum())))
    # The probability draw is the decision's own: the same in both engines, iteration by iteration.
    simpy = sim.simulate(sc, 2000, seed=8, engine="simpy")
    vector = sim.simulate(sc, 2000, seed=8, engine="vector")
    np.testing.assert_array_equal(simpy.outcome["review"], vector.outcome["review"])


def test_combined_conditions(scenario) -> None:
    """all/any/not: `{all: [{done: a}, {not: {risk: r}}]}` where a ~ U(0, 100) is done by 60
    (P 0.6) and r has P 0.5, independent: P = 0.3; `any` of the same: 0.6 + 0.5 - 0.3 = 0.8."""
    base = """
        name: combined
        start: 2030-01-01
        milestones:
          a: {duration: {uniform: [0d, 100d]}}
          d:
            duration: 60d
            branches:
              go: {when: WHEN}
              other: {}
        risks:
          r: {probability: 0.5, effects: [{milestones: [a], add: 0d}]}
    """
    both, either = "{all: [{done: a}, {not: {risk: r}}]}", "{any: [{done: a}, {not: {risk: r}}]}"
    for when, p in ((both, 0.3), (either, 0.8)):
        r = sim.simulate(scenario(base.replace("WHEN", when)), N, seed=9)
        expect = (r.finish_of("a") <= 60.0) & ~r.risk_occurred["r"]
        if when.startswith("{any"):
            expect = (r.finish_of("a") <= 60.0) | ~r.risk_occurred["r"]
        np.testing.assert_array_equal(r.outcome["d"] == 0, expect)
        within(r.branch_frequencies()["d"]["go"], p, proportion_se(p, N))


def test_a_milestone_done_at_the_very_moment_of_the_decision_counts_as_done(scenario) -> None:
    """b completes on day 50 as a zero-duration successor of a, at the moment the decision
    completes: it is done when the decision is made, in both engines."""
    sc = scenario("""
        name: tie
        start: 2030-01-01
        milestones:
          a: {duration: 50d}
          d:
            duration: 50d
            branches:
              ready: {when: {done: b}}
              not-ready: {}
          b: {after: [a], duration: 0}
    """)
    for engine in ENGINES:
        r = sim.simulate(sc, 10, seed=1, engine=engine)
        assert (r.outcome["d"] == 0).all(), engine


def test_a_decision_never_made_takes_no_outcome(scenario) -> None:
    """Where a predecessor is cancelled the decision never completes: outcome -1, counted for
    no outcome, so the shares sum to the share of futures in which it was made (0.6)."""
    sc = scenario("""
        name: never decided
        start: 2030-01-01
        milestones:
          a: {duration: 10d}
          d:
            after: [a]
            branches:
              go: {when: {done: a}}
              other: {}
        risks:
          lost: {probability: 0.4, effects: [{milestones: [a], cancel: true}]}
    """)
    r = sim.simulate(sc, N, seed=10)
    np.testing.assert_array_equal(r.outcome["d"] == -1, r.risk_occurred["lost"])
    shares = r.branch_frequencies()["d"]
    assert shares["other"] == 0.0
    assert shares["go"] == pytest.approx(1.0 - float(r.risk_occurred["lost"].mean()))


def test_the_plan_evaluates_conditions_on_its_own_state(scenario) -> None:
    """In the plan m1 takes its mode: uniform's median 50 is done by the review (day 50), so
    the plan goes as planned; with m1 ~ triangular(60, 70, 100) it re-plans, and m2 moves."""
    det = deterministic_plan(scenario(CONTRACT))
    assert det.outcomes == {"review": 1}
    assert det.finish["m2"] == 60.0
    late = scenario(CONTRACT.replace("{uniform: [0d, 100d]}", "{triangular: [60d, 70d, 100d]}"))
    det = deterministic_plan(late)
    assert det.outcomes == {"review": 0}
    assert det.finish["m2"] == 70.0 + 10.0 + 100.0
    # A probability below 1/2 on the outcome: the plan takes the likelier, the default.
    unlikely = late.milestones["review"].branches[0]
    assert unlikely.when is not None
    text = CONTRACT.replace("{uniform: [0d, 100d]}", "{triangular: [60d, 70d, 100d]}").replace(
        "when: {not_done: m1}", "when: {not_done: m1}\n        probability: 0.4"
    )
    assert deterministic_plan(scenario(text)).outcomes == {"review": 1}


def test_forcing_an_outcome_bypasses_the_conditions(scenario) -> None:
    """An outcome forced (as impacts force one) is taken in every iteration, whatever m1 did."""
    sc = scenario(CONTRACT)
    plan = compile_plan(sc)
    draws = draw(plan, np.random.SeedSequence(3), 1000)
    for k, extra in ((0, 100.0), (1, 0.0)):
        forced = with_inputs(plan, draws, outcome={"review": np.full(1000, k, dtype=np.int32)})
        for engine in ENGINES:
            out = run_engine(engine, plan, forced)
            assert "review" not in out.outcome
            m1 = out.finish[plan.index["m1"]]
            np.testing.assert_allclose(out.finish[plan.index["m2"]], np.maximum(m1, 50.0) + 10.0 + extra)
    # Running the same draws again chooses afresh: effects are never folded in twice.
    first = run_engine("vector", plan, draws).finish.copy()
    np.testing.assert_array_equal(run_engine("vector", plan, draws).finish, first)
    np.testing.assert_array_equal(run_engine("simpy", plan, draws).finish, first)


def test_impacts_force_each_conditional_outcome(scenario) -> None:
    r = sim.simulate(scenario(CONTRACT), 4000, seed=12)
    rows = {row["input"]: row for row in r.impacts()["items"]}
    # Always re-planning adds 100 days where m1 <= 50 (the earlier half of the futures), never
    # re-planning takes 100 days off the later half: P50 and P80 move by those 100 days.
    assert rows["review=replan"]["p50_change_days"] == 100.0
    assert rows["review=as-planned"]["p80_change_days"] == -100.0


def test_a_streamed_run_counts_outcomes_as_the_run_kept_whole(scenario) -> None:
    sc = scenario(CONTRACT.replace("as-planned: {}", "as-planned: {}\n  m0: {duration: 1d}"))
    whole = sim.simulate(sc, 30_000, seed=13, stream=False)
    streamed = sim.simulate(sc, 30_000, seed=13, stream=True)
    assert streamed.streamed
    assert whole.branch_frequencies() == streamed.branch_frequencies()
    assert whole.summary(impacts=False)["branches"] == streamed.summary(impacts=False)["branches"]


def test_the_same_seed_gives_the_same_outcomes_whatever_the_workers(scenario) -> None:
    sc = scenario(CONTRACT)
    one = sim.simulate(sc, 40_000, seed=14, workers=1)
    two = sim.simulate(sc, 40_000, seed=14, workers=2)
    simpy = sim.simulate(sc, 40_000, seed=14, workers=2, engine="simpy")
    np.testing.assert_array_equal(one.outcome["review"], two.outcome["review"])
    np.testing.assert_array_equal(one.outcome["review"], simpy.outcome["review"])


def test_auto_runs_simpy_where_conditions_read_each_other_in_a_circle(scenario) -> None:
    """d1 reads b (after d2) and d2 reads a (after d1): no row order settles both first."""
    sc = scenario("""
        name: circle
        start: 2030-01-01
        milestones:
          d1:
            duration: {uniform: [0d, 10d]}
            branches:
              x: {when: {done: b}}
              y: {}
          d2:
            duration: {uniform: [0d, 10d]}
            branches:
              x: {when: {done: a}}
              y: {}
          a: {after: [d1], duration: 1d}
          b: {after: [d2], duration: 1d}
    """)
    plan = compile_plan(sc)
    assert not can_vectorise(plan)
    with pytest.raises(ValueError, match="read each other's milestones in a circle"):
        sim.simulate(sc, 100, seed=1, engine="vector")
    result = sim.simulate(sc, 100, seed=1)
    assert result.engine == "simpy"
    # auto says so, where the scenario is checked and run.
    assert any("so the SimPy engine runs this scenario" in w for w in result.scenario.warnings)
    assert any("in a circle" in w for w in sim.validate(sc.path).warnings)


def test_resources_after_a_conditional_decision_stay_on_the_vector_engine(scenario) -> None:
    """A resource claimed after the decision: the vector engine decides first, then serves the
    claims, as SimPy does. A resource claimed by what the condition reads: SimPy runs it."""
    text = CONTRACT.replace("duration: 10d}", "duration: 10d, uses: {pad: {}}}")
    sc = scenario(text + "resources:\n  pad: {capacity: 1}\n")
    vector = sim.simulate(sc, 2000, seed=1)
    assert vector.engine == "vector"
    assert not vector.scenario.warnings
    simpy = sim.simulate(sc, 2000, seed=1, engine="simpy")
    np.testing.assert_array_equal(vector.outcome["review"], simpy.outcome["review"])
    np.testing.assert_array_equal(vector.finish, simpy.finish)
    text = CONTRACT.replace("{uniform: [0d, 100d]}}", "{uniform: [0d, 100d]}, uses: {pad: {}}}")
    sc = scenario(text + "resources:\n  pad: {capacity: 1}\n")
    assert sim.simulate(sc, 200, seed=1).engine == "simpy"
    with pytest.raises(ValueError, match="reads one that does"):
        sim.simulate(sc, 100, seed=1, engine="vector")


def _validate(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(path)], capture_output=True, text=True, check=False
    )


def test_an_effect_on_a_milestone_not_after_the_decision_is_a_located_error(tmp_path: Path) -> None:
    text = CONTRACT + "  m3: {duration: 10d}\n"
    text = text.replace("milestones: [m2], add: 100d", "milestones: [m2, m3], add: 100d")
    got = _validate(tmp_path, text)
    assert got.returncode == 2
    assert "Traceback" not in got.stderr
    lines = got.stderr.strip().splitlines()
    assert len(lines) == 1, got.stderr
    line = text.splitlines().index("        effects: [{milestones: [m2, m3], add: 100d}]") + 1
    assert f"bad.yaml:{line}:" in lines[0]
    assert "milestones.review.branches.replan.effects[0].milestones[1]" in lines[0]
    assert "'m3' does not come after 'review'" in lines[0]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("{not_done: m1}", "{not_done: m11}", "unknown milestone 'm11' (did you mean 'm1'?)"),
        ("{not_done: m1}", "{not_dne: m1}", "unknown key 'not_dne' (did you mean 'not_done'?)"),
        ("{not_done: m1}", "{risk: m1}", "unknown risk 'm1'"),
        ("{not_done: m1}", "{not_done: m2}", "'m2' comes after 'review'"),
        ("{not_done: m1}", "{done: review}", "cannot read 'review' itself"),
        ("{not_done: m1}", "{done: m1, risk: r}", "exactly one of done, not_done"),
        ("{not_done: m1}", "{done: m1, at_least: 2}", "at_least goes with failed"),
        ("{not_done: m1}", "{failed: m1, at_least: 0}", "must be >= 1"),
        ("as-planned: {}", "as-planned: {probability: 0.5}", "remove its probability"),
        ("as-planned: {}", "as-planned: {when: {done: m1}}", "the last outcome is the default"),
        ("as-planned: {}", "as-planned: {}\n      spare: {}", "outcome 'as-planned' has no when"),
    ],
)
def test_bad_conditions_are_located_errors(tmp_path: Path, old: str, new: str, expected: str) -> None:
    got = _validate(tmp_path, CONTRACT.replace(old, new))
    assert got.returncode == 2, got.stderr
    assert "Traceback" not in got.stderr
    assert expected in got.stderr
    assert "bad.yaml:" in got.stderr and "milestones.review.branches" in got.stderr


def test_drawn_outcomes_still_need_probabilities(tmp_path: Path) -> None:
    text = CONTRACT.replace("when: {not_done: m1}", "probability: 0.5")
    got = _validate(tmp_path, text)
    assert got.returncode == 2
    assert "milestones.review.branches.as-planned: missing required key 'probability'" in got.stderr


def test_the_report_says_how_often_each_outcome_was_taken_and_when(scenario, tmp_path: Path) -> None:
    """Each outcome's condition in words (titles escaped), its share and dates, the plan's
    outcome, the futures in which the decision is never made, and a curve per outcome."""
    sc = scenario("""
        name: report
        start: 2030-01-01
        milestones:
          a: {title: "<b>Lander</b>", duration: {uniform: [0d, 100d]}}
          d:
            after: [c]
            duration: 50d
            branches:
              replan: {when: {not_done: a}, effects: [{milestones: [e], add: 1y}]}
              keep: {}
          c: {duration: 1d}
          e: {after: [a, d], duration: 10d}
        risks:
          lost: {title: Lost, probability: 0.2, effects: [{milestones: [c], cancel: true}]}
    """)
    r = sim.simulate(sc, 4000, seed=15)
    html = r.write_report(tmp_path, impacts=False).read_text(encoding="utf-8")
    assert "when “&lt;b&gt;Lander&lt;/b&gt;” is not done" in html
    assert "<b>Lander</b>" not in html
    # No probability given: the condition alone decides, so none is shown.
    assert 'is not done</span></td><td class="num">—</td>' in html
    assert "The plan takes <strong>keep</strong>" in html
    never = float((r.outcome["d"] == -1).mean())
    assert 0.15 < never < 0.25
    assert "of the futures it is never made" in html
    assert "never made (" in html  # the curve of the futures without the decision
    columns = sample_columns(r)
    taken = columns["decision:d"]
    assert (taken[r.outcome["d"] == -1] == None).all()  # noqa: E711 (an empty cell)
    assert set(taken[r.outcome["d"] >= 0]) == {"replan", "keep"}
    path = tmp_path / "samples.csv"
    r.write_samples(path)
    rows = path.read_text(encoding="utf-8").splitlines()
    column = rows[0].split(",").index("decision:d")
    cells = [row.split(",")[column] for row in rows[1:]]
    assert cells == ["" if k < 0 else ("replan", "keep")[k] for k in r.outcome["d"]]


SWEPT = """
name: conditional decision in a sweep
start: 2030-01-01
as_of: 2030-01-21
seed: 11
resources:
  pad: {capacity: 1}
milestones:
  m1: {duration: {uniform: [0d, 100d]}}
  other: {duration: {uniform: [10d, 40d]}}
  review:
    duration: 50d
    branches:
      replan:
        when: {any: [{not_done: m1}, {risk: slip}]}
        effects: [{milestones: [m2], add: 100d}]
      as-planned: {}
  m2: {after: [m1, review], duration: 10d, uses: {pad: {}}}
  later: {after: [other], duration: {uniform: [5d, 20d]}, uses: {pad: {}}}
risks:
  slip:
    probability: 0.2
    effects: [{milestones: [m1], add: 30d}]
correlations:
  - {milestones: [m1, other], risks: [slip], rho: 0.5}
"""


def test_a_sweep_of_an_unrelated_input_keeps_the_decisions_draws_and_outcomes(write) -> None:
    """Common random numbers with a status date, a correlation group and a shared resource: sweeping
    `other`'s duration re-draws `other` alone, so m1, the risk and the decision's outcome are the
    file's own in every iteration, and m2 differs only where `later` holds the pad."""
    from sim.analysis.sweep import parse_setting, variants

    path = write(SWEPT, "swept.yaml")
    setting = parse_setting("milestones.other.duration={uniform: [10d, 40d]},{uniform: [30d, 90d]}")
    grid = variants(path, [setting])
    runs = [sim.simulate(v.scenario, 4000, workers=1, engine="simpy") for v in grid]
    plain = sim.simulate(sim.load(path), 4000, workers=1, engine="simpy")
    for r in runs:
        np.testing.assert_array_equal(r.finish_of("m1"), plain.finish_of("m1"))
        np.testing.assert_array_equal(r.risk_occurred["slip"], plain.risk_occurred["slip"])
        np.testing.assert_array_equal(r.outcome["review"], plain.outcome["review"])
        late = r.finish_of("m1") > 50.0
        # The condition holds exactly where m1 is not done at the decision or the risk occurred.
        np.testing.assert_array_equal(r.outcome["review"] == 0, late | r.risk_occurred["slip"])
    assert not np.array_equal(runs[0].finish_of("other"), runs[1].finish_of("other"))
