"""Uncertainty drivers in days: the headline's P80 with one duration held at its median."""

from __future__ import annotations

import math

from stats import within

import sim
from sim.analysis.heldmedian import held_at_median

N = 40_000


def test_holding_the_driving_duration_at_its_median_moves_p80_by_the_closed_form(scenario, tmp_path):
    sc = scenario("""
        name: held
        start: 2030-01-01
        headline: end
        milestones:
          a: {title: Long <b>step</b>, duration: {uniform: [0d, 100d]}}
          b: {after: [a], duration: 100d}
          side: {duration: {uniform: [0d, 50d]}}
          end: {after: [b, side], target: 2030-08-01}
    """)
    r = sim.simulate(sc, N, seed=6)
    got = {i["input"]: i["p80_change_days"] for i in held_at_median(r)}
    # Held at 50 d, the headline is 150 d in every iteration; as modelled its P80 is 180 d, whose
    # sample estimate has SE sqrt(p (1 - p) / N) / f with f = 1/100 (the uniform's density).
    within(got["a"], 150 - 180, math.sqrt(0.8 * 0.2 / N) * 100)
    # `side` never sets the date (at most 50 d against at least 100 d): exactly nothing.
    assert got["side"] == 0.0
    html = r.write_report(tmp_path, impacts=True).read_text()
    assert 'id="held-list"' in html and "Long &lt;b&gt;step&lt;/b&gt;: P80" in html
