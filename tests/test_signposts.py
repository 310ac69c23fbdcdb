"""Signposts (`sim.analysis.signposts`): conditional statistics of the headline read from one run,
checked against conditional probabilities and medians worked out by hand on a small network.

The network: m1 ~ U[0, 730 d], m2 ~ U[0, 740 d], independent, from 2026-01-01; the headline h
follows both and takes 100 d, with its target on day 599 (done by it iff max(m1, m2) < 500).
The event "m1 done by the end of 2026" is m1 < 365, so P(event) = 365/730 = 1/2, and
- if yes: P(target) = P(m2 < 500) = 500/740; for x >= 365, P(max < x) = x/740, so P50 = 370 + 100;
- if no (m1 uniform on [365, 730]): P(target) = (135/365)(500/740); P(max < x) =
  (x - 365)/365 · x/740 = 1/2 at x = (365 + sqrt(365² + 2·365·740))/2, so P50 = x + 100.
Tolerances are k = 4 standard errors at a fixed seed: for a share, sqrt(p (1 - p) / n); for a
median, sqrt(1/4 / n) / f(x), f the density of the side's max at its median.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from stats import proportion_se, within

import sim
from sim.analysis.signposts import MIN_SIDE, signposts, strongest
from sim.report.signposts import signpost_lines

N = 40_000

NETWORK = """
    name: signposts
    start: 2026-01-01
    horizon: 2040-01-01
    milestones:
      m1: {title: First probe flies, duration: {uniform: [0d, 730d]}}
      m2: {title: Second probe flies, duration: {uniform: [0d, 740d]}}
      h: {title: Station, after: [m1, m2], duration: 100d, target: 2027-08-23}
    headline: h
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> sim.Result:
    path = tmp_path_factory.mktemp("sp") / "signposts.yaml"
    path.write_text("\n".join(line[4:] for line in NETWORK.splitlines()), encoding="utf-8")
    sc = sim.load(path)
    assert sc.days_of(dt.date(2027, 8, 23)) == 599
    return sim.simulate(sc, N, seed=5)


def _event(result: sim.Result, milestone: str, year: int):  # type: ignore[no-untyped-def]
    [found] = [s for s in signposts(result) if s.milestone == milestone and s.by == dt.date(year, 12, 31)]
    return found


def test_conditional_shares_and_medians_match_the_hand_computation(run: sim.Result) -> None:
    s = _event(run, "m1", 2026)
    within(s.p_event, 0.5, proportion_se(0.5, N))
    yes, no = s.if_yes, s.if_no
    assert yes.n + no.n == N
    p_yes, p_no = 500 / 740, (135 / 365) * (500 / 740)
    assert yes.p_target is not None and no.p_target is not None
    within(yes.p_target, p_yes, proportion_se(p_yes, yes.n))
    within(no.p_target, p_no, proportion_se(p_no, no.n))
    x_no = (365 + math.sqrt(365**2 + 2 * 365 * 740)) / 2
    assert yes.p50_days is not None and no.p50_days is not None
    within(yes.p50_days, 470.0, math.sqrt(0.25 / yes.n) * 740)
    within(no.p50_days, x_no + 100, math.sqrt(0.25 / no.n) / ((2 * x_no - 365) / (365 * 740)))
    # Each 95 % interval holds its own estimate.
    assert (
        yes.p_target_interval is not None
        and yes.p_target_interval[0] < yes.p_target < yes.p_target_interval[1]
    )
    assert yes.p50_interval is not None and yes.p50_interval[0] <= yes.p50_days <= yes.p50_interval[1]


def test_signposts_are_the_plain_statistics_of_each_side(run: sim.Result) -> None:
    h, m2 = run.finish_of("h"), run.finish_of("m2")
    s = _event(run, "m2", 2026)
    yes = m2 < 365  # done by the end of 2026-12-31, day 364
    assert s.p_event == yes.mean()
    assert s.if_yes.p_target == float((h[yes] < 600).mean())
    assert s.if_no.p_target == float((h[~yes] < 600).mean())
    assert s.if_yes.p50_days == float(np.sort(h[yes])[math.ceil(yes.sum() / 2) - 1])


def test_certain_events_are_left_out_and_the_headline_is_never_an_event(run: sim.Result) -> None:
    keys = {(s.milestone, s.by.year) for s in signposts(run)}
    # m1 < 730 always: done by the end of 2027 in every future, so it tells nothing.
    assert ("m1", 2027) not in keys and ("m1", 2028) not in keys
    assert ("m2", 2027) in keys  # m2 >= 730 in 10/740 of futures
    assert all(s.milestone != "h" for s in signposts(run))


def test_summary_json_has_the_contract_keys(run: sim.Result) -> None:
    doc = run.summary(impacts=False)
    entry = next(e for e in doc["signposts"] if e["milestone"] == "m1" and e["by"] == "2026-12-31")
    assert set(entry) == {"milestone", "by", "p_event", "if_yes", "if_no"}
    assert set(entry["if_yes"]) == set(entry["if_no"]) == {"p_target", "p50_days"}
    assert entry["p_event"] == round(_event(run, "m1", 2026).p_event, 4)


def test_too_few_iterations_on_a_side_give_nulls(scenario) -> None:  # type: ignore[no-untyped-def]
    sc = scenario(NETWORK)
    result = sim.simulate(sc, 2_000, seed=5)
    entry = next(
        e
        for e in result.summary(impacts=False)["signposts"]
        if e["milestone"] == "m2" and e["by"] == "2027-12-31"
    )
    # About 2000 · 10/740 = 27 futures have m2 later than 2027: fewer than MIN_SIDE.
    assert 0 < round((1 - entry["p_event"]) * 2000) < MIN_SIDE
    assert entry["if_no"] == {"p_target": None, "p50_days": None}
    assert entry["if_yes"]["p_target"] is not None


def test_report_sentence_in_plain_words(run: sim.Result) -> None:
    top = strongest(run)
    assert {s.milestone for s in top} == {"m1", "m2"}  # one per milestone
    lines = signpost_lines(run)
    assert lines[0].startswith("If “")
    assert "Station by its 2027-08-23 target goes from" in lines[0] and "; if not, to" in lines[0]


def test_a_streamed_run_counts_the_same_signposts(scenario) -> None:  # type: ignore[no-untyped-def]
    sc = scenario(NETWORK)
    whole, streamed = (sim.simulate(sc, 4_000, seed=5, stream=s) for s in (False, True))
    a, b = signposts(whole), signposts(streamed)
    assert [(s.milestone, s.by, s.p_event) for s in a] == [(s.milestone, s.by, s.p_event) for s in b]
    for x, y in zip(a, b, strict=True):
        for u, v in ((x.if_yes, y.if_yes), (x.if_no, y.if_no)):
            assert (u.n, u.p_target, u.p_target_interval) == (v.n, v.p_target, v.p_target_interval)
            assert v.p50_days == (None if u.p50_days is None else math.floor(u.p50_days))


def test_report_escapes_titles_in_signposts(scenario, tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = NETWORK.replace("First probe flies", "'<b>First</b> & probe'")
    result = sim.simulate(scenario(text), 4_000, seed=5)
    html = result.write_report(tmp_path, impacts=False).read_text(encoding="utf-8")
    section = html[html.index('id="signposts"') :]
    section = section[: section.index("</ul>")]
    assert "&lt;b&gt;First&lt;/b&gt; &amp; probe" in section and "<b>First" not in section


def test_events_start_from_the_status_date_and_skip_what_is_done(scenario) -> None:  # type: ignore[no-untyped-def]
    sc = scenario("""
        name: status
        start: 2026-01-01
        as_of: 2027-06-01
        milestones:
          a: {duration: 100d, actual: 2026-04-11}
          b: {after: [a], duration: {uniform: [1y, 4y]}}
          h: {after: [b], duration: 30d}
        headline: h
    """)
    result = sim.simulate(sc, 4_000, seed=3)
    found = signposts(result)
    assert {s.milestone for s in found} == {"b"}  # a is done; h is the headline
    assert [s.by for s in found] == [dt.date(y, 12, 31) for y in (2027, 2028, 2029)][: len(found)]
    # Without a target on the headline, P(target) is null on both sides and P50 is given.
    entry = result.summary(impacts=False)["signposts"][0]
    assert entry["if_yes"]["p_target"] is None and entry["if_yes"]["p50_days"] is not None
    # The sentence is then about the median.
    assert "the median of" in signpost_lines(result)[0]
