"""Common random numbers inside correlation groups: a variant (a file that extends another, or a
sweep point) keeps its base's copula, so changing one member re-draws that member alone."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
from scipy import optimize, stats
from stats import proportion_se, within

import sim
from sim.analysis.sweep import parse_setting, variants

ROOT = Path(__file__).resolve().parent.parent

BASE = """
    name: correlated base
    start: 2030-01-01
    seed: 5
    headline: end
    milestones:
      a: {duration: {uniform: [100d, 300d]}}
      b: {duration: {discrete: {50d: 0.5, 150d: 0.5}}}
      end: {after: [a, b], duration: 10d}
    risks:
      x:
        probability: 0.1
        effects: [{milestones: [end], add: 200d}]
      y:
        probability: 0.5
        effects: [{milestones: [end], add: 30d}]
    correlations:
      - {milestones: [a, b], risks: [x, y], rho: 0.2}
"""


def _variant(write, text: str) -> Path:
    write(BASE, "base.yaml")
    return write("extends: base.yaml\nname: variant\n" + text, "variant.yaml")


def test_raising_a_correlated_risk_redraws_no_other_member_and_only_adds_occurrences(write):
    n = 20_000
    base = sim.simulate(sim.load(write(BASE, "base.yaml")), n)
    up = sim.simulate(sim.load(_variant(write, "risks: {x: {probability: 0.5}}")), n)
    # The other members' draws are the base's, iteration by iteration.
    assert np.array_equal(base.risk_occurred["y"], up.risk_occurred["y"])
    assert np.array_equal(base.finish_of("a"), up.finish_of("a"))
    assert np.array_equal(base.finish_of("b"), up.finish_of("b"))
    # The raised risk keeps every occurrence it had and only adds some.
    before, after = base.risk_occurred["x"], up.risk_occurred["x"]
    assert np.all(after[before]) and after.sum() > before.sum()
    # So the headline can only be later: every iteration, hence every percentile.
    assert np.all(up.finish_of("end") >= base.finish_of("end"))


def test_a_sweep_keeps_the_files_copula_so_a_percentile_that_can_only_rise_never_falls(write):
    path = write(BASE, "base.yaml")
    grid = variants(path, [parse_setting("risks.x.probability=0.1,0.2,0.3,0.4,0.5,0.6,0.7")])
    results = [sim.simulate(v.scenario, 4000, workers=1) for v in grid]
    untouched = [r.risk_occurred["y"] for r in results]
    assert all(np.array_equal(untouched[0], u) for u in untouched)
    for low, high in itertools.pairwise(results):
        assert np.all(high.risk_occurred["x"][low.risk_occurred["x"]])
        assert np.array_equal(low.finish_of("a"), high.finish_of("a"))
        assert high.percentile_days("end", 80) >= low.percentile_days("end", 80)
        assert high.percentile_days("end", 50) >= low.percentile_days("end", 50)
    # The file's own value gives the file's own run, to the last bit.
    plain = sim.simulate(sim.load(path), 4000, workers=1)
    assert np.array_equal(plain.finish, results[0].finish)


def _latent_r(rho: float, pa: float, pb: float) -> float:
    """The Gaussian-copula parameter at which two risks of probabilities pa, pb occur with rank
    correlation rho: for two 0/1 variables Spearman's rho (ties at mid-ranks) is the phi
    coefficient (P11 - pa pb) / sqrt(pa (1 - pa) pb (1 - pb)), with P11 = Phi2(Phi^-1(pa),
    Phi^-1(pb); r) (a risk occurs when its normal is in its top `probability`)."""

    def phi(r: float) -> float:
        p11 = _both(pa, pb, r)
        return (p11 - pa * pb) / math.sqrt(pa * (1 - pa) * pb * (1 - pb)) - rho

    return float(optimize.brentq(phi, 0.0, 0.999, xtol=1e-10))


def _both(pa: float, pb: float, r: float) -> float:
    z = [stats.norm.ppf(pa), stats.norm.ppf(pb)]
    return float(stats.multivariate_normal(mean=[0, 0], cov=[[1, r], [r, 1]]).cdf(z))


def test_a_variant_draws_with_its_bases_copula_closed_form(write):
    """Two risks only: the base (0.2 and 0.5, rho 0.4) fixes r; the variant raises x to 0.5 and
    its joint occurrence is Phi2 at the base's r, not at the r solved for 0.5 and 0.5."""
    text = """
        name: two risks
        start: 2030-01-01
        seed: 9
        milestones:
          m: {duration: 10d}
        risks:
          x: {probability: 0.2, effects: [{milestones: [m], add: 1d}]}
          y: {probability: 0.5, effects: [{milestones: [m], add: 2d}]}
        correlations:
          - {risks: [x, y], rho: 0.4}
    """
    write(text, "base.yaml")
    path = write("extends: base.yaml\nname: raised\nrisks: {x: {probability: 0.5}}\n", "raised.yaml")
    n = 100_000
    r = sim.simulate(sim.load(path), n)
    both = float((r.risk_occurred["x"] & r.risk_occurred["y"]).mean())
    kept = _both(0.5, 0.5, _latent_r(0.4, 0.2, 0.5))
    own = _both(0.5, 0.5, _latent_r(0.4, 0.5, 0.5))
    # The two closed forms differ by far more than the check's tolerance (SE sqrt(p (1-p) / n), k = 4).
    assert abs(kept - own) > 8 * proportion_se(kept, n)
    within(both, kept, proportion_se(kept, n))
    # The rank correlation the variant's pair then has (the phi coefficient), as the format
    # reference quotes it.
    phi = (kept - 0.25) / 0.25
    docs = (ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    assert f"at `rho: 0.4`, {phi:.2f}\n  instead of 0.4" in docs
