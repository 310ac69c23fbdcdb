"""Sensitivity covers every uncertain input: lags, failed attempts, retry times, effect amounts, holds."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

import sim
from sim.analysis.results import RandomInput, Result
from sim.analysis.sensitivity import tornado
from sim.analysis.summary import summary
from sim.bundled import find
from sim.cli.render import print_table

N = 2000


def by_id(result: Result, ident: str) -> RandomInput:
    return next(item for item in result.inputs if item.id == ident)


def rho_of(result: Result, ident: str, milestone: str) -> float:
    return next(r for item, r in tornado(result, milestone) if item.id == ident)


@pytest.mark.parametrize("engine", ["simpy", "vector"])
def test_an_uncertain_lag_is_an_input_and_the_driver(scenario, engine: str) -> None:
    sc = scenario(
        """
        name: lag
        start: 2030-01-01
        milestones:
          a: {duration: 10d}
          b:
            title: Landing
            after: [{id: a, lag: {uniform: [10d, 500d]}}]
            duration: 5d
        """
    )
    r = sim.simulate(sc, N, 1, engine=engine)
    item = by_id(r, "b.lag.a")
    assert (item.kind, item.label) == ("lag", "Landing: wait after a")
    # b = 10 + lag + 5 exactly, so its rank correlation with the lag is exactly 1.
    np.testing.assert_allclose(r.finish_of("b"), 15.0 + item.values)
    assert tornado(r, "b")[0] == (item, 1.0)


ATTEMPTS = """
name: attempts
start: 2030-01-01
milestones:
  launch:
    title: Launch
    duration: 10d
    success: 0.5
    retry: {after: RETRY, max: 3}
"""


@pytest.mark.parametrize("engine", ["simpy", "vector"])
def test_failed_attempts_count_and_drive_the_finish(scenario, engine: str) -> None:
    r = sim.simulate(scenario(ATTEMPTS.replace("RETRY", "100d")), N, 2, engine=engine)
    item = by_id(r, "launch.attempts")
    assert (item.kind, item.label) == ("attempts", "Launch: failed attempts")
    finish = r.finish_of("launch")
    # Fixed retry time: finish = 10 + 100 * failures, or never after 1 + 3 failures.
    expected = np.where(item.values <= 3, 10.0 + 100.0 * item.values, np.inf)
    np.testing.assert_array_equal(finish, expected)
    assert set(np.unique(item.values)) == {0.0, 1.0, 2.0, 3.0, 4.0}
    assert tornado(r, "launch")[0] == (item, 1.0)


@pytest.mark.parametrize("engine", ["simpy", "vector"])
def test_retry_time_is_the_mean_over_the_retries_taken(scenario, engine: str) -> None:
    sc = scenario(ATTEMPTS.replace("RETRY", "{uniform: [100d, 900d]}").replace("max: 3", "max: 1"))
    r = sim.simulate(sc, N, 3, engine=engine)
    retry, attempts = by_id(r, "launch.retry"), by_id(r, "launch.attempts")
    assert (retry.kind, retry.label) == ("retry", "Launch: time to try again")
    finish = r.finish_of("launch")
    first = attempts.values == 0
    assert np.isnan(retry.values[first]).all()
    # One retry that then succeeded: finish = 10 + the retry time (the new attempt's work is the
    # retry time itself, as the format defines it).
    second = attempts.values == 1
    np.testing.assert_allclose(finish[second], 10.0 + retry.values[second])
    # Among the iterations that retried the time to try again orders the finish, those that
    # failed twice (never) ranking last: check against scipy's Spearman of those iterations.
    from scipy.stats import spearmanr

    retried = ~first
    capped = np.where(np.isfinite(finish), finish, 1e9)
    want = spearmanr(retry.values[retried], capped[retried]).statistic
    assert rho_of(r, "launch.retry", "launch") == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize(
    ("effect", "finish"),
    [
        ("add: {uniform: [100d, 500d]}", lambda a: 100.0 + a),
        ("scale: {uniform: [1.5, 3]}", lambda a: 100.0 * a),
    ],
)
def test_an_effects_drawn_amount_is_an_input_where_the_risk_happened(scenario, effect: str, finish) -> None:
    sc = scenario(
        f"""
        name: effect
        start: 2030-01-01
        milestones:
          build: {{title: Build, duration: 100d}}
        risks:
          sanctions:
            title: Sanctions
            probability: 0.5
            effects: [{{milestones: [build], {effect}}}]
        """
    )
    r = sim.simulate(sc, N, 4)
    kind = effect.split(":")[0]
    item = by_id(r, f"sanctions.{kind}.0")
    what = "delay to" if kind == "add" else "stretch of"
    assert (item.kind, item.label) == ("effect", f"Sanctions: {what} Build")
    occurred = r.risk_occurred["sanctions"]
    assert np.isnan(item.values[~occurred]).all()
    np.testing.assert_allclose(r.finish_of("build")[occurred], finish(item.values[occurred]))
    assert rho_of(r, item.id, "build") == 1.0


def test_a_resource_hold_is_an_input(scenario) -> None:
    sc = scenario(
        """
        name: hold
        start: 2030-01-01
        resources:
          pad: {title: Launch pad, capacity: 1}
        milestones:
          first:
            title: First launch
            duration: 1d
            uses: {pad: {hold: {uniform: [10d, 100d]}}}
          second:
            title: Second launch
            duration: 1d
            uses: {pad: {}}
        """
    )
    r = sim.simulate(sc, N, 5)
    item = by_id(r, "first.hold.pad")
    assert (item.kind, item.label) == ("hold", "First launch: time holding Launch pad")
    # The second launch waits for the pad, held from day 0 for the drawn hold, then works 1 day.
    np.testing.assert_allclose(r.finish_of("second"), item.values + 1.0)
    assert rho_of(r, item.id, "second") == 1.0


def test_drivers_in_the_json_are_what_the_terminal_prints() -> None:
    sc = sim.load(find("ilrs-2022-announced"))
    r = sim.simulate(sc, 3000, 11)
    doc = summary(r)["drivers"]
    assert doc["milestone"] == sc.headline
    ranked = tornado(r, sc.headline)
    assert [s["input"] for s in doc["sensitivity"]] == [item.id for item, _ in ranked]
    assert len(doc["sensitivity"]) == len(r.inputs)
    kinds = {s["kind"] for s in doc["sensitivity"]}
    assert {"duration", "attempts", "risk", "decision"} <= kinds
    magnitudes = [abs(s["spearman"]) for s in doc["sensitivity"]]
    assert magnitudes == sorted(magnitudes, reverse=True)
    assert doc["criticality"][sc.headline] == 1.0
    assert list(doc["criticality"]) == list(r.milestone_ids)
    out = io.StringIO()
    print_table(r, file=out)
    printed = re.findall(r"^  ([+-]\d\.\d\d)  (.+?)\s*$", out.getvalue(), re.M)
    assert printed, out.getvalue()
    shown = [(f"{s['spearman']:+.2f}", s["label"]) for s in doc["sensitivity"] if abs(s["spearman"]) >= 0.05]
    assert printed == shown[: len(printed)]


@pytest.mark.parametrize("engine", ["simpy", "vector"])
def test_durations_risks_and_decisions_are_drivers_where_they_decide(scenario, engine: str) -> None:
    sc = scenario(
        """
        name: three drivers
        start: 2030-01-01
        milestones:
          decide:
            title: Partner decision
            branches:
              stay: {probability: 0.5}
              leave: {probability: 0.5, effects: [{milestones: [build], add: 1000d}]}
          build: {title: Build, duration: {uniform: [100d, 110d]}}
          fly: {title: Fly, after: [build], duration: {uniform: [1d, 2d]}}
        risks:
          sanctions:
            title: Sanctions
            probability: 0.5
            effects: [{milestones: [fly], add: 300d}]
        """
    )
    r = sim.simulate(sc, N, 6, engine=engine)
    ranked = [(item.id, item.kind) for item, _ in tornado(r, "fly")]
    # fly = build (100-110, or 1100-1110 after "leave") + 1-2 (+ 300 with sanctions): the decision
    # moves it by 1000 days, the risk by 300, the durations by at most 10 and 1.
    assert ranked[:3] == [("decide=stay", "decision"), ("decide=leave", "decision"), ("sanctions", "risk")]
    assert ranked[3:] == [("build", "duration"), ("fly", "duration")]
    rho = {item.id: value for item, value in tornado(r, "fly")}
    assert rho["decide=leave"] == -rho["decide=stay"] > 0.8
    # Within one decision outcome and risk state, build's duration orders fly: it is a real driver
    # there, though small overall.
    stay = (r.outcome["decide"] == 0) & ~r.risk_occurred["sanctions"]
    # fly - build is uniform on [1, 2] days while build spans 10: Pearson r = 10 / sqrt(10^2 + 1) > 0.99.
    assert np.corrcoef(by_id(r, "build").values[stay], r.finish_of("fly")[stay])[0, 1] > 0.9


@pytest.mark.parametrize("engine", ["simpy", "vector"])
def test_failed_attempts_and_retry_times_are_those_the_status_date_left(scenario, engine: str) -> None:
    # Attempts that would complete by the status day are made to fail by the conditioning, and
    # their retry times are redrawn: the inputs must count those attempts and those times.
    sc = scenario(
        """
        name: conditioned attempts
        start: 2030-01-01
        as_of: 2030-07-01
        milestones:
          a:
            duration: {uniform: [30d, 400d]}
            success: 0.5
            retry: {after: {uniform: [30d, 100d]}, max: 3}
        """
    )
    from sim.simulation.engines import run_engine
    from sim.simulation.inputs import InputKey
    from sim.simulation.plan import compile_plan
    from sim.simulation.sampling import draw, input_values

    plan = compile_plan(sc)
    out = run_engine(engine, plan, draw(plan, np.random.SeedSequence(5), N))
    finish, draws = out.finish[0], out.realised
    assert draws is not None
    inputs = input_values(plan, draws)
    failed = inputs[InputKey("attempts", 0)]
    # Exact, independent of the engines' timing code: with no window or not_before, an attempt
    # after k failures completes at base + the first k retry times.
    done = np.isfinite(finish)
    k = failed[done].astype(int)
    retries = np.cumsum(np.vstack([np.zeros(N), draws.retry_after[0]]), axis=0)
    expected = draws.duration[0, done] + retries[k, np.flatnonzero(done)]
    np.testing.assert_allclose(finish[done], expected, rtol=1e-12)
    # All 1 + 3 attempts failed where it never completes.
    assert (failed[~done] == 4).all()
    # The status date did force failures (so counting from the free uniforms alone was wrong):
    # a first attempt completing by day 181 must fail, so every done iteration whose base is
    # at most 181 days has at least one failure.
    early = done & (draws.duration[0] < 182)
    assert early.sum() > 100 and (failed[early] >= 1).all()
    ok = draws.attempt_u[0] < draws.success[0]
    naive = np.where(ok.any(axis=0), ok.argmax(axis=0), ok.shape[0])
    assert (naive[early] == 0).any()
    # The mean retry time is over the retries taken, as drawn after conditioning.
    took = done & (failed >= 1)
    cols = zip(np.flatnonzero(took), failed[took], strict=True)
    mean = np.array([draws.retry_after[0][: int(f), j].mean() for j, f in cols])
    np.testing.assert_allclose(inputs[InputKey("retry", 0)][took], mean, rtol=1e-12)


EVERY_KIND = """
name: every kind
start: 2030-01-01
resources:
  pad: {title: Launch pad, capacity: 1}
risks:
  sanctions:
    title: Sanctions
    probability: 0.3
    effects: [{milestones: [build], add: {uniform: [10d, 50d]}}]
milestones:
  design:
    title: Design
    duration: {uniform: [10d, 40d]}
    success: 0.8
    retry: {after: {uniform: [5d, 20d]}, max: 2}
  choose:
    title: Choose
    after: [design]
    duration: 5d
    branches:
      fast: {probability: 0.6}
      slow: {probability: 0.4, effects: [{milestones: [build], scale: {uniform: [1.1, 1.5]}}]}
  build:
    title: Build
    after: [{id: choose, lag: {uniform: [1d, 9d]}}]
    duration: {uniform: [20d, 60d]}
    uses: {pad: {hold: {uniform: [2d, 6d]}}}
"""


def test_every_kind_of_input_is_listed_once_in_reading_order(scenario) -> None:
    # One table of kinds (sim.simulation.inputs.KINDS) draws, values and names every input: a
    # run's inputs are its durations, then lags, attempts beside retries, amounts and holds, then
    # risks and decisions, each with the id and kind the output format gives it.
    from sim.simulation.engines import run_engine
    from sim.simulation.inputs import KINDS, InputKey
    from sim.simulation.plan import compile_plan
    from sim.simulation.sampling import draw, input_values

    sc = scenario(EVERY_KIND)
    r = sim.simulate(sc, N, 3)
    assert [(item.id, item.kind) for item in r.inputs] == [
        ("design", "duration"),
        ("build", "duration"),
        ("build.lag.choose", "lag"),
        ("design.attempts", "attempts"),
        ("design.retry", "retry"),
        ("choose=slow.scale.0", "effect"),
        ("sanctions.add.1", "effect"),
        ("build.hold.pad", "hold"),
        ("sanctions", "risk"),
        ("choose=fast", "decision"),
        ("choose=slow", "decision"),
    ]
    assert {item.kind for item in r.inputs} | {"amount"} == set(KINDS) | {"effect"}
    plan = compile_plan(sc)
    ran = run_engine("vector", plan, draw(plan, np.random.SeedSequence(3), 50)).realised
    assert ran is not None
    realised = input_values(plan, ran)
    assert all(isinstance(key, InputKey) for key in realised)
    assert by_id(r, "choose=slow.scale.0").label == "Choose: slow → stretch of Build"


CONDITIONED = """
name: conditioned attempts and a risk
start: 2030-01-01
as_of: 2030-07-01
risks:
  late:
    probability: 0.4
    effects: [{milestones: [a], add: {uniform: [5d, 30d]}}]
milestones:
  a:
    duration: {uniform: [30d, 400d]}
    success: 0.5
    retry: {after: {uniform: [30d, 100d]}, max: 3}
  b:
    after: [{id: a, lag: {uniform: [1d, 9d]}}]
    duration: {uniform: [10d, 20d]}
"""


@pytest.mark.parametrize("engine", ["simpy", "vector"])
def test_draws_are_read_only_and_a_run_reports_the_inputs_it_realised(scenario, engine: str) -> None:
    # Draws are what was drawn: a write raises. A run writes what it realises (the status date's
    # conditioned duration, redrawn retry times, forced failures) into its own Realised, which the
    # sensitivity inputs of a run on the same seed report exactly.
    from sim.simulation.engines import run_engine
    from sim.simulation.executor import chunk_seeds, chunk_sizes
    from sim.simulation.inputs import InputKey
    from sim.simulation.plan import compile_plan
    from sim.simulation.sampling import draw, input_values

    sc = scenario(CONDITIONED)
    plan = compile_plan(sc)
    seed, n = 11, 3000
    r = sim.simulate(sc, n, seed, engine=engine)
    durations, attempts, retries = [], [], []
    for seq, size in zip(chunk_seeds(seed, n), chunk_sizes(n), strict=True):
        draws = draw(plan, seq, size)
        for array in (draws.duration, draws.lag, draws.retry_after[0], draws.success[0], draws.add[0]):
            with pytest.raises(ValueError, match="read-only"):
                array[..., 0] = 1.0
        drawn_retry = draws.retry_after[0].copy()
        out = run_engine(engine, plan, draws)
        realised = out.realised
        assert realised is not None
        # The run drew the conditioned duration and retry times into its own arrays, not the draws.
        assert np.isnan(draws.duration[0]).all() and np.isfinite(realised.duration[0]).any()
        np.testing.assert_array_equal(draws.retry_after[0], drawn_retry)
        assert (realised.forced_fails[0] > 0).any()
        assert not np.array_equal(realised.retry_after[0], drawn_retry)
        # A second run on the same draws realises the same inputs: nothing of the first remains.
        again = run_engine(engine, plan, draws).realised
        assert again is not None
        np.testing.assert_array_equal(again.duration, realised.duration)
        np.testing.assert_array_equal(again.retry_after[0], realised.retry_after[0])
        values = input_values(plan, realised)
        durations.append(realised.duration[0])
        attempts.append(values[InputKey("attempts", 0)])
        retries.append(values[InputKey("retry", 0)])
    np.testing.assert_array_equal(by_id(r, "a").values, np.concatenate(durations))
    np.testing.assert_array_equal(by_id(r, "a.attempts").values, np.concatenate(attempts))
    np.testing.assert_array_equal(by_id(r, "a.retry").values, np.concatenate(retries))
