"""Exact risk impacts: each risk switched off, or decision forced, on the run's own draws."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.analysis.impacts import impacts
from sim.analysis.summary import summary
from sim.percentiles import percentile_of

CHAIN = """
    name: impacts
    start: 2030-01-01
    seed: 3
    headline: c
    milestones:
      a: {duration: 100d}
      b: {after: [a], duration: 50d}
      c: {after: [b], duration: 30d, target: 2030-07-01}
      side: {duration: {uniform: [10d, 400d]}}
    risks:
      elsewhere:
        probability: 0.4
        effects: [{milestones: [side], add: {uniform: [10d, 90d]}}]
      strike:
        probability: 0.5
        effects: [{milestones: [b], add: 40d}]
"""


def _by_input(rows):
    return {r["input"]: r for r in rows}


def test_a_risk_that_cannot_reach_the_headline_has_exactly_zero_impact(scenario):
    rows = _by_input(impacts(sim.simulate(scenario(CHAIN), 4000)))
    zero = rows["elsewhere"]
    assert zero["p50_change_days"] == 0.0 and zero["p80_change_days"] == 0.0
    assert zero["p50_interval"] == [0.0, 0.0] and zero["p80_interval"] == [0.0, 0.0]
    assert zero["p_target_change"] == 0.0 and zero["p_target_interval"] == [0.0, 0.0]


def test_a_fixed_delay_on_a_fixed_chain_shifts_by_the_analytic_amount(scenario):
    r = sim.simulate(scenario(CHAIN), 4000)
    strike = _by_input(impacts(r))["strike"]
    # c finishes on day 180 without the strike, 220 with it. Switched off, every iteration ends on
    # day 180. With it, c's P50 is 180 when at most half the iterations were struck, else 220.
    struck = r.risk_occurred["strike"]
    k50 = 2000  # ceil(0.5 * 4000): the inverted-CDF rank
    p50 = 180.0 if np.count_nonzero(~struck) >= k50 else 220.0
    assert strike["p50_change_days"] == 180.0 - p50
    assert strike["p80_change_days"] == -40.0  # P80 is 220 unless under 20 % were struck
    # The target (2030-07-01, day 181) is met exactly where the strike did not happen, so
    # switching it off raises P(target) by the share of iterations it struck, exactly.
    assert strike["p_target_change"] == pytest.approx(round(float(struck.mean()), 4), abs=1e-12)
    lo, hi = strike["p_target_interval"]
    # Paired indicator differences are 1 where struck: the normal interval is mean +- 1.96 sd/sqrt(n).
    sd = float(struck.std(ddof=1))
    assert lo == pytest.approx(struck.mean() - 1.959964 * sd / np.sqrt(4000), abs=1e-4)
    assert hi == pytest.approx(struck.mean() + 1.959964 * sd / np.sqrt(4000), abs=1e-4)
    assert strike["p80_interval"] == [-40.0, -40.0]


def test_forcing_a_decision_uses_the_same_draws(scenario):
    sc = scenario("""
        name: decision
        start: 2030-01-01
        seed: 5
        headline: b
        milestones:
          choose:
            duration: 10d
            branches:
              quick: {probability: 0.7}
              late: {probability: 0.3, effects: [{milestones: [b], add: 100d}]}
          b: {after: [choose], duration: {uniform: [20d, 60d]}, target: 2030-03-01}
    """)
    r = sim.simulate(sc, 3000)
    rows = _by_input(impacts(r))
    late = r.outcome["choose"] == 1
    b = r.finish_of("b")
    # Forcing "quick" removes the 100 days exactly where "late" was drawn; nothing else moves.
    quick = b - np.where(late, 100.0, 0.0)
    assert rows["choose=quick"]["p50_change_days"] == pytest.approx(
        # rounded to 0.01 day
        percentile_of(quick, 50) - r.percentile_days("b", 50), abs=0.005
    )
    forced_late = b + np.where(late, 0.0, 100.0)
    assert rows["choose=late"]["p80_change_days"] == pytest.approx(
        percentile_of(forced_late, 80) - r.percentile_days("b", 80), abs=0.005
    )


def test_summary_lists_impacts_for_the_headline(scenario):
    result = sim.simulate(scenario(CHAIN), 2000)
    assert "impacts" not in summary(result, with_impacts=False)
    doc = summary(result, with_impacts=True)
    assert doc["impacts"]["milestone"] == "c"
    assert [row["input"] for row in doc["impacts"]["items"]] == ["elsewhere", "strike"]
    assert "bootstrap" in doc["impacts"]["method"]


PAD = """
    name: pad
    start: 2030-01-01
    resources:
      pad: {capacity: 1}
      crew: {capacity: 1}
    milestones:
      # Two resources for one milestone: only the SimPy engine runs it.
      first: {duration: {uniform: [5d, 15d]}, uses: {pad: {}, crew: {}}}
      second: {duration: 10d, uses: {pad: {}}, target: 2030-01-20}
    risks:
      storm:
        probability: 0.3
        effects: [{milestones: [first], add: 5d}]
"""


def test_impacts_are_included_by_default_when_cheap(scenario, monkeypatch):
    import sim.analysis.impacts
    from sim.analysis.impacts import by_default

    vector = sim.simulate(scenario(CHAIN), 500, seed=1)
    assert vector.engine == "vector" and by_default(vector) and "impacts" in summary(vector)
    pad = scenario(PAD, "pad.yaml")
    small = sim.simulate(pad, 100, seed=1)
    assert small.engine == "simpy" and by_default(small)  # 100 iterations x 1 risk <= 200000
    monkeypatch.setattr(sim.analysis.impacts, "SIMPY_BOUND", 99)  # a SimPy run of the bound's size is slow
    large = sim.simulate(pad, 100, seed=1)
    assert not by_default(large) and "impacts" not in summary(large)
    # Once computed (asked for), the impacts are kept and shown.
    large.impacts()
    assert by_default(large) and summary(large)["impacts"] == large.impacts()


def test_a_result_built_by_hand_has_no_impacts():
    from test_report import build_result

    from sim.analysis.impacts import by_default

    result = build_result(n=200)
    assert not by_default(result) and "impacts" not in summary(result)
    with pytest.raises(ValueError, match=r"sim\.run"):
        result.impacts()


def test_report_shows_the_paired_impacts_and_no_occurrence_split(scenario, tmp_path):
    import re

    result = sim.simulate(scenario(CHAIN), 4000, seed=5)
    text = result.write_report(tmp_path).read_text(encoding="utf-8")
    table = text[text.index('id="impact-table"') : text.index("</table>", text.index('id="impact-table"'))]
    found = re.finditer(r'<span class="id">([^<]+)</span>.*?</tr>', table, re.S)
    rows = {m.group(1): m.group(0) for m in found}
    # `elsewhere` cannot reach c: exactly 0 in every column, never "no clear effect".
    assert re.findall(r'<td class="num">([^<]*)</td>', rows["elsewhere"])[2:] == ["0", "0", "0"]
    # `strike` adds 40 days to b in half the futures (c's P50 sits at the boundary, P80 at +40):
    # switching it off moves P80 exactly 40 days earlier on the same draws, with a tight interval.
    cells = re.findall(r'<td class="num">([^<]*)</td>', rows["strike"])
    assert cells[3].startswith("-40 days")
    assert "P80 with" not in text and "P80 shift" not in text  # the occurrence split is gone


def test_report_says_when_impacts_were_not_computed(scenario, tmp_path):
    result = sim.simulate(scenario(CHAIN), 500, seed=5)
    text = result.write_report(tmp_path, impacts=False).read_text(encoding="utf-8")
    assert 'id="impacts-not-computed"' in text and 'id="impact-table"' not in text
    assert "--impacts" in text


def test_run_impacts_options_decide_the_summary_and_report(write, tmp_path):
    import json

    from test_cli import lunarsim

    path = write(CHAIN)
    for flag, present in (("--impacts", True), ("--no-impacts", False), (None, True)):
        out = str(tmp_path / str(flag))
        args = ["run", str(path), "-n", "500", "-q", "--summary-json", "-", "--out", out]
        r = lunarsim(*args, *([flag] if flag else []))
        assert r.returncode == 0, r.stderr
        assert ("impacts" in json.loads(r.stdout)) is present
        (report,) = (tmp_path / str(flag)).glob("*.html")
        assert ('id="impact-table"' in report.read_text(encoding="utf-8")) is present


@pytest.mark.parametrize("seed", range(12))
def test_bootstrap_reads_exactly_the_percentiles_of_the_resampled_iterations(seed):
    # The reference: resample the iterations explicitly, the same indices for the run and the
    # variant, and take the inverted-CDF P50 and P80 of each resample by a full sort.
    from sim.analysis.impacts import Resamples
    from sim.percentiles import percentile_of

    r = np.random.default_rng(seed)
    n = int(r.integers(1, 600))
    base = np.round(r.gamma(2.0, 100.0, n)) if seed % 2 else r.gamma(2.0, 100.0, n)  # ties, or none
    variant = base + np.where(r.random(n) < 0.3, r.integers(0, 50, n), 0)
    base[r.random(n) < 0.05] = np.inf
    variant[r.random(n) < 0.1] = np.inf
    resamples = 30
    got = Resamples(base, np.random.default_rng(seed), resamples).intervals(variant)

    idx = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    diffs = []
    for row in idx:
        pair = []
        for p in (50, 80):
            a = percentile_of(base[row], p)
            b = percentile_of(variant[row], p)
            a, b = (np.inf if a is None else a), (np.inf if b is None else b)
            pair.append(0.0 if np.isinf(a) and np.isinf(b) else b - a)
        diffs.append(pair)
    want = np.quantile(np.array(diffs), [0.025, 0.975], axis=0, method="inverted_cdf")
    for j, p in enumerate((50, 80)):
        assert got[p] == [float(want[0, j]), float(want[1, j])]


STATUS = """
    name: impacts with a status date
    start: 2030-01-01
    as_of: 2030-03-01
    seed: 11
    headline: c
    milestones:
      a: {duration: 10d, actual: 2030-01-10}
      b:
        after: [a]
        duration: {uniform: [10d, 60d]}
        success: 0.6
        retry: {max: 2, after: {uniform: [5d, 40d]}}
        window: {every: 14d, open: 3d, first: 2030-01-05}
      c:
        after: [b]
        duration: {uniform: [5d, 30d]}
        success: 0.7
        retry: {max: 1, after: {uniform: [5d, 20d]}}
    risks:
      strike:
        probability: 0.4
        effects: [{milestones: [b], scale: {uniform: [0.2, 0.6]}}]
"""


@pytest.mark.parametrize("engine", ["simpy", "vector"])
def test_a_switched_off_risk_is_the_run_with_its_probability_at_zero(scenario, engine):
    """Iteration by iteration, the exact impacts' variant equals a re-run with probability 0,
    also where a status date conditions milestones with attempts (their retries drawn anew)."""
    from sim.simulation.engines import run_engine
    from sim.simulation.plan import compile_plan
    from sim.simulation.sampling import draw, with_inputs

    sc = scenario(STATUS)
    off = scenario(STATUS.replace("probability: 0.4", "probability: 0"), "off.yaml")
    plan, plan_off = compile_plan(sc), compile_plan(off)
    seq = np.random.SeedSequence(5)
    n = 3000
    draws = draw(plan, seq, n)
    run_engine(engine, plan, draws)  # the run itself first, as `impacts` does
    switched = run_engine(engine, plan, with_inputs(plan, draws, {"strike": np.zeros(n, dtype=bool)}))
    rerun = run_engine(engine, plan_off, draw(plan_off, seq, n))
    assert np.array_equal(switched.finish, rerun.finish)
    assert np.array_equal(switched.driver, rerun.driver)


@pytest.mark.parametrize("engine", ["simpy", "vector"])
def test_a_switched_off_correlated_risk_is_its_variant_at_probability_zero(write, engine):
    """A risk in a correlation group: switched off on the run's draws, it is a variant of the
    file (`extends`, probability 0), which keeps the file's copula, iteration by iteration."""
    from sim.simulation.engines import run_engine
    from sim.simulation.plan import compile_plan
    from sim.simulation.sampling import draw, with_inputs

    text = STATUS + """
      other:
        probability: 0.5
        effects: [{milestones: [c], add: {uniform: [5d, 30d]}}]
    correlations:
      - {milestones: [b, c], risks: [strike, other], rho: 0.3}
"""
    sc = sim.load(write(text, "base.yaml"))
    off = sim.load(write("extends: base.yaml\nrisks: {strike: {probability: 0}}\n", "off.yaml"))
    plan, plan_off = compile_plan(sc), compile_plan(off)
    seq = np.random.SeedSequence(8)
    n = 3000
    draws = draw(plan, seq, n)
    run_engine(engine, plan, draws)
    switched = run_engine(engine, plan, with_inputs(plan, draws, {"strike": np.zeros(n, dtype=bool)}))
    rerun = run_engine(engine, plan_off, draw(plan_off, seq, n))
    assert np.array_equal(switched.finish, rerun.finish)
