"""Merge bias (`milestones.<id>.merge_bias_days`) against a closed form, and where it is shown."""

from __future__ import annotations

import math

from stats import within

import sim
from sim.analysis.mergebias import merge_bias

N = 40_000


def _se(p: float, n: int) -> float:
    """A bound on the standard error of the merge bias of two parallel U(0, 100 d) paths at level p.

    A sample quantile has SE sqrt(p (1 - p) / n) / f(q), f the density at the quantile. Each path:
    f = 1/100, so s = 100 sqrt(p (1 - p) / n). Their maximum has CDF (t/100)^2, quantile 100 sqrt(p),
    density 2 sqrt(p) / 100, so s_max = 100 sqrt(p (1 - p) / n) / (2 sqrt(p)). The larger of the two
    paths' estimates has a root-mean-square error of at most sqrt(2) s (max(a, b)^2 <= a^2 + b^2),
    and the error of a difference is at most the sum of the errors: SE <= s_max + sqrt(2) s.
    """
    s = 100 * math.sqrt(p * (1 - p) / n)
    return s / (2 * math.sqrt(p)) + math.sqrt(2) * s


def test_two_parallel_uniform_paths_match_the_closed_form(scenario):
    sc = scenario("""
        name: merge
        start: 2030-01-01
        milestones:
          a: {duration: {uniform: [0d, 100d]}}
          b: {duration: {uniform: [0d, 100d]}}
          join: {after: [a, b]}
    """)
    r = sim.simulate(sc, N, seed=3)
    bias = merge_bias(r, "join")
    assert bias is not None
    # P(max <= t) = (t/100)^2, so the joint P-p is 100 sqrt(p); each path's own is 100 p.
    within(bias["50"], 100 * math.sqrt(0.5) - 50, _se(0.5, N))
    within(bias["80"], 100 * math.sqrt(0.8) - 80, _se(0.8, N))
    doc = r.summary(impacts=False)
    assert set(doc["milestones"]["join"]["merge_bias_days"]) == {"50", "80"}
    assert "merge_bias_days" not in doc["milestones"]["a"]


def test_a_dominant_path_has_no_merge_bias(scenario):
    sc = scenario("""
        name: dominant
        start: 2030-01-01
        milestones:
          a: {duration: {uniform: [0d, 10d]}}
          b: {duration: {uniform: [200d, 300d]}}
          join: {after: [a, b]}
    """)
    r = sim.simulate(sc, 5_000, seed=1)
    assert merge_bias(r, "join") == {"50": 0.0, "80": 0.0}


def test_report_names_the_merge_point(scenario, tmp_path):
    sc = scenario("""
        name: merge
        start: 2030-01-01
        milestones:
          a: {duration: {uniform: [0d, 100d]}}
          b: {title: "<b>B</b> path", duration: {uniform: [0d, 100d]}}
          join: {title: "Join <i>here</i>", after: [a, b]}
    """)
    html = sim.simulate(sc, 4_000, seed=1).write_report(tmp_path).read_text()
    assert 'id="merge-bias-list"' in html
    assert "Join &lt;i&gt;here&lt;/i&gt;: waiting for all 2 of its predecessors adds" in html
