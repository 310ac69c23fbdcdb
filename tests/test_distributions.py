"""Every duration form against its theory: moments, quantiles, conditional draws, modes, errors."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.scenario.distributions import Distribution
from sim.scenario.grammar import parse_distribution

ROOT = Path(__file__).resolve().parent.parent
N = 200_000
N_ABOVE = 50_000  # the conditional check inverts the CDF per draw; Beta's inverse is slow
Y = 365.25
MO = 30.4375
ATOMIC = {"fixed", "discrete", "empirical"}
U_GRID = np.array([0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999])


def _rng() -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(12345))


def _case(spec: object, unit: str = "days", id: str = "") -> object:
    return pytest.param(spec, unit, id=id or str(spec))


CASES = [
    _case("2y", id="fixed-2y"),
    _case(0, id="fixed-0"),
    _case(1.2, "number", id="fixed-number"),
    _case({"uniform": ["1y", "3y"]}, id="uniform-years"),
    _case({"uniform": [0, "30d"]}, id="uniform-from-0"),
    _case({"uniform": [0.9, 1.3]}, "number", id="uniform-number"),
    _case({"triangular": ["1y", "2y", "4y"]}, id="triangular"),
    _case({"triangular": [0, 0, "90d"]}, id="triangular-mode-at-min"),
    _case({"triangular": ["1y", "3y", "3y"]}, id="triangular-mode-at-max"),
    _case({"triangular": [1, 1.1, 1.5]}, "number", id="triangular-number"),
    _case({"pert": ["1y", "2y", "4y"]}, id="pert"),
    _case({"pert": ["1y", "2y", "4y"], "lambda": 2}, id="pert-lambda-2"),
    _case({"pert": [0, "10d", "100d"], "lambda": 8}, id="pert-lambda-8"),
    _case({"pert": ["1y", "1y", "2y"]}, id="pert-mode-at-min"),
    _case({"pert": [1, 1.2, 2]}, "number", id="pert-number"),
    _case({"normal": {"mean": "2y", "sd": "6 months"}}, id="normal-light-truncation"),
    _case({"normal": {"mean": "30d", "sd": "30d"}}, id="normal-mean-1-sd"),
    _case({"normal": {"mean": 0, "sd": "10d"}}, id="normal-half"),
    _case({"normal": {"mean": 1.2, "sd": 0.2}}, "number", id="normal-number"),
    _case({"normal": {"mean": -1, "sd": 1}}, "number", id="normal-16pc-accepted"),
    _case({"normal": {"mean": -3, "sd": 1}}, "number", id="normal-0.1pc-accepted"),
    _case({"lognormal": {"median": "2y", "p90": "4y"}}, id="lognormal-median-p90"),
    _case({"lognormal": {"p10": "1y", "p90": "3y"}}, id="lognormal-p10-p90"),
    _case({"lognormal": {"median": 1.1, "p90": 1.5}}, "number", id="lognormal-number"),
    _case("1y to 3y", id="interval-years"),
    _case("30d to 90d", id="interval-days"),
    _case("1.1 to 1.5", "number", id="interval-number"),
    _case({"discrete": {"6 months": 0.5, "1y": 0.3, "2y": 0.2}}, id="discrete"),
    _case({"discrete": {0: 0.9, "30d": 0.1}}, id="discrete-mostly-0"),
    _case({"discrete": {1: 0.7, 1.5: 0.3}}, "number", id="discrete-number"),
    _case({"empirical": ["2y", "3.5y", "4y"]}, id="empirical"),
    _case({"empirical": ["1y", "1y", "2y", "5y"]}, id="empirical-repeats"),
    _case({"empirical": [1.0, 1.2]}, "number", id="empirical-number"),
    _case({"empirical": ["2y"]}, id="empirical-one"),
]


@pytest.mark.parametrize(("spec", "unit"), CASES)
def test_sample_matches_theory(spec: object, unit: str) -> None:
    dist = parse_distribution(spec, unit)  # type: ignore[arg-type]
    x = dist.sample(_rng(), N)
    assert x.dtype == np.float64
    assert x.shape == (N,)
    assert dist.low <= x.min()
    assert x.max() <= dist.high

    # Slack for float summation only; it matters only where the variance is 0.
    eps = 1e-12 * max(abs(dist.mean), 1.0)

    # Mean: by the CLT the sample mean has standard error sqrt(var / N); allow 4 of them.
    se_mean = math.sqrt(dist.var / N)
    assert abs(x.mean() - dist.mean) <= 4 * se_mean + eps

    # Variance: the sample variance s² has Var(s²) = (mu4 - sigma⁴·(N - 3)/(N - 1))/N exactly
    # (Cramér, Mathematical Methods of Statistics, 1946, ch. 27), mu4 the 4th central moment:
    # (mu4 - sigma⁴)/N to first order. The exact form matters for a 50/50 two-point law, where
    # mu4 == sigma⁴ and only the O(1/N²) part is left. mu4 and sigma⁴ are estimated from the
    # same sample; at N = 200 000 that moves the bound by a few per cent, far less than the 4.
    s2 = x.var(ddof=1)
    mu4 = float(np.mean((x - x.mean()) ** 4))
    se_var = math.sqrt(max(mu4 - s2 * s2 * (N - 3) / (N - 1), 0.0) / N)
    assert abs(s2 - dist.var) <= 4 * se_var + eps * max(abs(dist.mean), 1.0)

    # Quantiles: the share of the N draws at or below q = ppf(u) is binomial with mean F(q) and
    # standard error sqrt(F(q)(1 - F(q))/N); allow 4 of them.
    q = dist.ppf(U_GRID)
    f = dist.cdf(q)
    ecdf = np.searchsorted(np.sort(x), q, side="right") / N
    assert np.all(np.abs(ecdf - f) <= 4 * np.sqrt(f * (1 - f) / N) + 1e-12)
    if dist.kind in ATOMIC:
        # ppf is the smallest x with F(x) >= u: F(ppf(u)) >= u, and just below ppf(u) F < u.
        assert np.all(f >= U_GRID - 1e-12)
        assert np.all(dist.cdf(np.nextafter(q, -np.inf)) < U_GRID)
    else:
        assert np.allclose(f, U_GRID, rtol=0, atol=1e-9)


@pytest.mark.parametrize(("spec", "unit"), CASES)
def test_ppf_above_draws_from_the_part_above_t(spec: object, unit: str) -> None:
    dist = parse_distribution(spec, unit)  # type: ignore[arg-type]
    rng = _rng()
    for level in (0.3, 0.8):
        t = float(dist.ppf(np.array([level]))[0])
        y = dist.ppf_above(rng.random(N_ABOVE), t)
        if dist.high <= t:
            assert np.all(np.isnan(y))
            continue
        assert np.all(y > t)
        # Reference: plain draws from sample() that happen to exceed t. Two independent sample
        # means differ with standard error sqrt(v1/n1 + v2/n2); allow 4 of them.
        ref = dist.sample(rng, N_ABOVE)
        ref = ref[ref > t]
        se = math.sqrt(y.var() / y.size + ref.var() / ref.size)
        assert abs(y.mean() - ref.mean()) <= 4 * se + 1e-12 * abs(ref.mean())


def test_ppf_above_closed_forms() -> None:
    u = _rng().random(N)
    # Uniform(a, b) given X > t is uniform(t, b): mean (t + b)/2.
    uni = parse_distribution({"uniform": ["1y", "3y"]})
    t = 2 * Y
    y = uni.ppf_above(u, t)
    assert abs(y.mean() - (t + 3 * Y) / 2) <= 4 * math.sqrt((Y**2 / 12) / N)

    # Lognormal: E[X | X > t] = exp(mu + sigma²/2)·Phi(sigma - z)/(1 - Phi(z)) with
    # z = (ln t - mu)/sigma, the lognormal partial expectation (Johnson, Kotz & Balakrishnan,
    # Continuous Univariate Distributions vol. 1, 2nd ed. 1994, ch. 14).
    from scipy.special import ndtr

    logn = parse_distribution("1y to 3y")
    mu, sigma = logn.mu, logn.sigma  # type: ignore[attr-defined]
    t = 2 * Y
    z = (math.log(t) - mu) / sigma
    expected = math.exp(mu + sigma**2 / 2) * ndtr(sigma - z) / (1 - ndtr(z))
    y = logn.ppf_above(u, t)
    assert y.min() > t
    assert abs(y.mean() - expected) <= 4 * y.std() / math.sqrt(N)

    # Discrete: the values above t, reweighted.
    disc = parse_distribution({"discrete": {"6 months": 0.5, "1y": 0.3, "2y": 0.2}})
    y = disc.ppf_above(u, 6 * MO)
    expected = (0.3 * Y + 0.2 * 2 * Y) / 0.5
    assert set(np.unique(y)) == {Y, 2 * Y}
    assert abs(y.mean() - expected) <= 4 * y.std() / math.sqrt(N)


def test_ppf_above_edges_and_broadcasting() -> None:
    fixed = parse_distribution("2y")
    assert np.array_equal(fixed.ppf_above(np.array([0.0, 0.5]), 1 * Y), [2 * Y, 2 * Y])
    assert np.all(np.isnan(fixed.ppf_above(np.array([0.0, 0.5]), 2 * Y)))

    uni = parse_distribution({"uniform": ["1y", "3y"]})
    u = np.array([0.0, 0.5, 0.5, 0.5])
    t = np.array([-np.inf, 2 * Y, 3 * Y, 5 * Y])
    y = uni.ppf_above(u, t)
    assert y[0] == Y
    assert y[1] == 2.5 * Y
    assert np.isnan(y[2])
    assert np.isnan(y[3])

    # u == 0 on an atom: the draw is the next value up, never t itself.
    disc = parse_distribution({"discrete": {"6 months": 0.5, "1y": 0.3, "2y": 0.2}})
    assert np.array_equal(disc.ppf_above(np.array([0.0, 0.999]), 6 * MO), [Y, 2 * Y])

    # Far in a tail the survival form keeps draws above t.
    logn = parse_distribution("1y to 3y")
    y = logn.ppf_above(np.linspace(0, 0.999, 1000), 40 * Y)
    assert np.all(y > 40 * Y)
    assert np.all(np.isfinite(y))


def test_truncated_normal_never_negative_and_resamples() -> None:
    m, s = 20.0, 30.0
    dist = parse_distribution({"normal": {"mean": "20d", "sd": "30d"}})
    x = dist.sample(_rng(), N)
    assert x.min() > 0

    # Resampling keeps every first draw that was already positive and redraws only the rest: the
    # same stream's first N normals agree wherever they were positive.
    first = _rng().normal(m, s, N)
    kept = first > 0
    assert np.array_equal(x[kept], first[kept])
    assert not kept.all()
    assert np.all(x[~kept] > 0)
    # Clamping would pile mass at 0; the truncated law has none, and its density there is
    # phi(-m/s)/(s·Z) per day, so about N·phi/(s·Z)·1e-3 draws fall in (0, 0.001d].
    assert np.count_nonzero(x < 1e-3) < 20

    for spec in ({"mean": 0, "sd": "10d"}, {"mean": "1d", "sd": "1y"}):
        d = parse_distribution({"normal": spec})
        assert d.sample(_rng(), N).min() > 0
        assert np.all(d.ppf(np.array([0.0, 1e-12, 0.5])) >= 0)


def test_truncated_normal_moments_closed_form() -> None:
    # Half-normal (mean 0): mean s·sqrt(2/pi), variance s²(1 - 2/pi).
    half = parse_distribution({"normal": {"mean": 0, "sd": 2}}, "number")
    assert half.mean == pytest.approx(2 * math.sqrt(2 / math.pi), rel=1e-12)
    assert half.var == pytest.approx(4 * (1 - 2 / math.pi), rel=1e-12)
    assert half.mode == 0.0
    assert half.cdf(np.array([0.0]))[0] == 0.0
    # Truncation far out of reach: the plain normal's moments.
    wide = parse_distribution({"normal": {"mean": 100, "sd": 1}}, "number")
    assert (wide.mean, wide.var) == (pytest.approx(100, rel=1e-15), pytest.approx(1, rel=1e-12))


@pytest.mark.parametrize(
    ("lo", "mode", "hi", "lam"),
    [
        (1 * Y, 2 * Y, 4 * Y, 4.0),
        (1 * Y, 2 * Y, 4 * Y, 2.0),
        (0.0, 10.0, 100.0, 8.0),
        (Y, Y, 2 * Y, 4),
    ],
)
def test_pert_mean_formula(lo: float, mode: float, hi: float, lam: float) -> None:
    dist = parse_distribution({"pert": [f"{lo}d", f"{mode}d", f"{hi}d"], "lambda": lam})
    expected = (lo + lam * mode + hi) / (lam + 2)
    assert dist.mean == pytest.approx(expected, rel=1e-15)
    # The same from the Beta(alpha, beta) it is built on: min + (max - min)·alpha/(alpha + beta).
    a = 1 + lam * (mode - lo) / (hi - lo)
    b = 1 + lam * (hi - mode) / (hi - lo)
    assert dist.mean == pytest.approx(lo + (hi - lo) * a / (a + b), rel=1e-12)
    assert dist.var == pytest.approx((hi - lo) ** 2 * a * b / ((a + b) ** 2 * (a + b + 1)), rel=1e-12)


@pytest.mark.parametrize(
    ("text", "unit", "a", "b"),
    [
        ("1y to 3y", "days", Y, 3 * Y),
        ("30d to 90d", "days", 30.0, 90.0),
        ("1.1 to 1.5", "number", 1.1, 1.5),
    ],
)
def test_interval_has_5_and_95_percent_quantiles_a_and_b(text: str, unit: str, a: float, b: float) -> None:
    dist = parse_distribution(text, unit)  # type: ignore[arg-type]
    lo, hi = dist.ppf(np.array([0.05, 0.95]))
    assert lo == pytest.approx(a, rel=1e-9)
    assert hi == pytest.approx(b, rel=1e-9)
    assert dist.kind == "lognormal"
    assert dist.describe() == text


def test_lognormal_quantile_forms() -> None:
    med = parse_distribution({"lognormal": {"median": "2y", "p90": "4y"}})
    assert med.ppf(np.array([0.5, 0.9])) == pytest.approx([2 * Y, 4 * Y], rel=1e-9)
    p = parse_distribution({"lognormal": {"p10": "1y", "p90": "3y"}})
    assert p.ppf(np.array([0.1, 0.9])) == pytest.approx([Y, 3 * Y], rel=1e-9)


def test_discrete_ppf_is_the_smallest_value_reaching_u() -> None:
    dist = parse_distribution({"discrete": {"6 months": 0.5, "1y": 0.3, "2y": 0.2}})
    u = np.array([0.0, 0.25, 0.5, 0.5000001, 0.8, 0.80001, 1.0])
    assert np.array_equal(dist.ppf(u), [6 * MO, 6 * MO, 6 * MO, Y, Y, 2 * Y, 2 * Y])


_MU = 0.5 * (math.log(Y) + math.log(3 * Y))
_SIGMA = math.log(3) / (2 * 1.6448536269514722)


@pytest.mark.parametrize(
    ("spec", "unit", "mode"),
    [
        ("2y", "days", 2 * Y),
        ({"uniform": ["1y", "3y"]}, "days", 2 * Y),
        ({"triangular": ["1y", "2y", "4y"]}, "days", 2 * Y),
        ({"pert": ["1y", "2y", "4y"], "lambda": 3}, "days", 2 * Y),
        ({"normal": {"mean": "2y", "sd": "6 months"}}, "days", 2 * Y),
        ({"normal": {"mean": -1, "sd": 1}}, "number", 0.0),
        ("1y to 3y", "days", math.exp(_MU - _SIGMA**2)),
        ({"discrete": {"6 months": 0.5, "1y": 0.3, "2y": 0.2}}, "days", 6 * MO),
        # No single mode: one rule for discrete and empirical, the inverted-CDF median (the
        # smallest value whose cumulative probability reaches 1/2), a value the form can take.
        ({"discrete": {"2y": 0.4, "1y": 0.4, "3y": 0.2}}, "days", 2 * Y),
        ({"discrete": {"1y": 0.3, "2y": 0.1, "3y": 0.3, "4y": 0.3}}, "days", 3 * Y),
        ({"discrete": {"1y": 0.5, "2y": 0.5}}, "days", Y),
        ({"empirical": ["4y", "2y", "3.5y"]}, "days", 3.5 * Y),
        ({"empirical": ["1y", "2y", "3y", "5y"]}, "days", 2 * Y),
        ({"empirical": ["26d", "27d", "30d", "33d"]}, "days", 27.0),
        ({"empirical": ["1y", "5y", "5y"]}, "days", 5 * Y),
        ({"empirical": ["1y", "1y", "2y", "2y", "9y"]}, "days", 2 * Y),
    ],
)
def test_mode_is_the_plan_value(spec: object, unit: str, mode: float) -> None:
    assert parse_distribution(spec, unit).mode == pytest.approx(mode, rel=1e-12)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spec", "unit", "text", "low", "high", "fixed"),
    [
        ("2y", "days", "2y", 2 * Y, 2 * Y, True),
        (0, "days", "0", 0.0, 0.0, True),
        ("1.5", "number", "1.5", 1.5, 1.5, True),
        ({"uniform": ["1y", "3y"]}, "days", "uniform(1y, 3y)", Y, 3 * Y, False),
        (
            {"triangular": ["45d", "3 months", "1y"]},
            "days",
            "triangular(45d, 3 months, 1y)",
            45.0,
            Y,
            False,
        ),
        ({"pert": ["1y", "2y", "4y"]}, "days", "pert(1y, 2y, 4y)", Y, 4 * Y, False),
        ({"pert": [1, 1.2, 2], "lambda": 3}, "number", "pert(1, 1.2, 2, lambda 3)", 1, 2, False),
        (
            {"normal": {"mean": "2y", "sd": "6 months"}},
            "days",
            "normal(mean 2y, sd 6 months)",
            0.0,
            math.inf,
            False,
        ),
        (
            {"lognormal": {"median": "2y", "p90": "4y"}},
            "days",
            "lognormal(median 2y, p90 4y)",
            0.0,
            math.inf,
            False,
        ),
        (
            {"lognormal": {"p10": 1.1, "p90": 1.5}},
            "number",
            "lognormal(p10 1.1, p90 1.5)",
            0.0,
            math.inf,
            False,
        ),
        (
            {"discrete": {"1y": 0.3, "6 months": 0.7}},
            "days",
            "discrete(6 months: 0.7, 1y: 0.3)",
            6 * MO,
            Y,
            False,
        ),
        ({"discrete": {"1y": 1}}, "days", "discrete(1y: 1)", Y, Y, True),
        ({"empirical": ["2y", "4y"]}, "days", "empirical(2y, 4y)", 2 * Y, 4 * Y, False),
        (
            {"empirical": ["1y"] * 8},
            "days",
            "empirical(1y, 1y, 1y, 1y, 1y, …; 8 values)",
            Y,
            Y,
            True,
        ),
    ],
)
def test_describe_support_and_fixedness(
    spec: object, unit: str, text: str, low: float, high: float, fixed: bool
) -> None:
    dist = parse_distribution(spec, unit)  # type: ignore[arg-type]
    assert (dist.describe(), dist.low, dist.high, dist.is_fixed) == (text, low, high, fixed)
    assert isinstance(dist, Distribution)


def test_distributions_are_immutable_values() -> None:
    a = parse_distribution({"pert": ["1y", "2y", "4y"]})
    b = parse_distribution({"pert": ["12 months", "24 months", "48 months"]})
    assert a == b
    assert hash(a) == hash(b)
    with pytest.raises(AttributeError):
        a.minimum = 0.0  # type: ignore[attr-defined, misc]


_KINDS = "uniform, triangular, pert, normal, lognormal, discrete, empirical, reference, or 'a to b'"

BAD = [
    ({"pert": ["3y", "2y", "2y"]}, "days", "min 3y > max 2y (need min <= mode <= max)"),
    ({"triangular": ["1y", "5y", "4y"]}, "days", "mode 5y > max 4y (need min <= mode <= max)"),
    ({"pert": ["2y", "1y", "4y"]}, "days", "mode 1y < min 2y (need min <= mode <= max)"),
    (
        {"pert": ["2y", "2y", "2y"]},
        "days",
        "min 2y = max 2y (need min < max; for a fixed value write 2y)",
    ),
    ({"pert": ["1y", "2y"]}, "days", "pert takes [min, mode, max], got 2 values"),
    ({"triangular": "1y"}, "days", "triangular takes [min, mode, max], got '1y'"),
    ({"pert": ["-1y", "2y", "4y"]}, "days", "min -1y is negative (need >= 0)"),
    ({"pert": ["1y", "2y", "4y"], "lambda": 0}, "days", "lambda must be > 0, got 0"),
    ({"pert": ["1y", "2y", "4y"], "lambda": "x"}, "days", "lambda must be a number > 0, got 'x'"),
    (
        {"pert": ["1y", "2y", "4y"], "lamda": 3},
        "days",
        "unknown key 'lamda' in pert (did you mean 'lambda'?)",
    ),
    (
        {"uniform": ["1y", "2y"], "lambda": 3},
        "days",
        "unknown key 'lambda' in uniform (lambda goes only with pert)",
    ),
    (
        {"uniform": ["1y", "2y"], "foo": 1},
        "days",
        "unknown key 'foo' in uniform (nothing may go beside uniform)",
    ),
    (
        {"uniform": ["1y", "2y"], "pert": ["1y", "2y", "3y"]},
        "days",
        "give one distribution, got uniform and pert",
    ),
    ({"uniform": ["2y", "1y"]}, "days", "a 2y >= b 1y (need a < b)"),
    ({"uniform": ["1y"]}, "days", "uniform takes [a, b], got 1 value"),
    ({"uniform": [0, 30]}, "days", "30 needs a unit, e.g. 30d, 30w, 30 months or 30y"),
    ({"normal": {"mean": 1, "sd": -1}}, "number", "sd must be > 0, got -1"),
    ({"normal": {"mean": "1y", "sd": 0}}, "days", "sd must be > 0, got 0"),
    ({"normal": {"mean": "-1y", "sd": "1y"}}, "days", "mean -1y is negative (need >= 0)"),
    (
        {"normal": {"mean": -9, "sd": 1}},
        "number",
        "normal(mean -9, sd 1) has almost no mass above 0 (mean/sd = -9; need mean/sd >= -8)",
    ),
    ({"normal": {"mean": "1y"}}, "days", "normal needs {mean, sd}, missing sd"),
    (
        {"normal": {"mean": "1y", "sigma": "1d"}},
        "days",
        "unknown key 'sigma' in normal (use {mean, sd})",
    ),
    ({"normal": ["1y", "2y"]}, "days", "normal takes {mean, sd}, got a list"),
    ({"lognormal": {"median": "1y"}}, "days", "lognormal needs {median, p90} or {p10, p90}"),
    (
        {"lognormal": {"median": "1y", "p10": "6 months"}},
        "days",
        "lognormal needs {median, p90} or {p10, p90}",
    ),
    (
        {"lognormal": {"mean": "1y", "p90": "2y"}},
        "days",
        "unknown key 'mean' in lognormal (did you mean 'median'?)",
    ),
    (
        {"lognormal": {"median": "2y", "p90": "1y"}},
        "days",
        "p90 1y <= median 2y (need p90 > median)",
    ),
    ({"lognormal": {"median": 0, "p90": "1y"}}, "days", "median must be > 0, got 0"),
    ({"lognormal": {"p10": "3y", "p90": "2y"}}, "days", "p10 3y >= p90 2y (need p10 < p90)"),
    ("3y to 1y", "days", "'3y to 1y': a 3y >= b 1y (need 0 < a < b)"),
    ("0 to 1y", "days", "'0 to 1y': a must be > 0, got 0"),
    ("1.5 to 1.1", "number", "'1.5 to 1.1': a 1.5 >= b 1.1 (need 0 < a < b)"),
    (
        {"discrete": {"6 months": 0.5, "1y": 0.3, "2y": 0.1}},
        "days",
        "probabilities sum to 0.9 (need 1)",
    ),
    (
        {"discrete": {"6 months": 1.5, "1y": -0.5}},
        "days",
        "probability of 6 months is 1.5 (need 0 <= p <= 1)",
    ),
    ({"discrete": {"1y": "x"}}, "days", "probability of 1y must be a number, got 'x'"),
    (
        {"discrete": {"1y": 0.5, "12 months": 0.5}},
        "days",
        "'1y' and '12 months' are the same value (list each value once)",
    ),
    ({"discrete": {}}, "days", "discrete needs at least one value, e.g. {6 months: 0.5, 1y: 0.5}"),
    ({"discrete": ["1y"]}, "days", "discrete takes {value: probability, ...}, got a list"),
    ({"empirical": []}, "days", "empirical needs at least one value, e.g. [2y, 3.5y, 4y]"),
    ({"empirical": "2y"}, "days", "empirical takes a list such as [2y, 3.5y, 4y], got '2y'"),
    ({"empirical": ["-2y"]}, "days", "value -2y is negative (need >= 0)"),
    ({"gamma": [1, 2]}, "days", f"unknown distribution 'gamma'; use one of {_KINDS}"),
    (
        {"pret": [1, 2, 3]},
        "days",
        f"unknown distribution 'pret' (did you mean 'pert'?); use one of {_KINDS}",
    ),
    ({"lambda": 4}, "days", "lambda goes with pert, e.g. {pert: [1y, 2y, 4y], lambda: 4}"),
    (
        {},
        "days",
        "empty mapping; write a duration such as 90d or a distribution such as {pert: [1y, 2y, 4y]}",
    ),
    ("-3y", "days", "'-3y' is negative; durations must be >= 0"),
    (90, "days", "90 needs a unit, e.g. 90d, 90w, 90 months or 90y"),
    (["1y"], "days", "a list is not a duration; write e.g. 90d, 6w, 18 months or 2.5y"),
    ("x", "number", "expected a number, got 'x'"),
    (True, "number", "expected a number, got true"),
]


@pytest.mark.parametrize(("spec", "unit", "message"), BAD)
def test_bad_spec_message(spec: object, unit: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_distribution(spec, unit)  # type: ignore[arg-type]


def test_importing_distributions_does_not_import_scipy() -> None:
    # A bare package stub, so that what sim/__init__ imports does not count.
    code = (
        "import sys, types\n"
        f"pkg = types.ModuleType('sim'); pkg.__path__ = [{str(ROOT / 'sim')!r}]\n"
        "sys.modules['sim'] = pkg\n"
        "import sim.scenario.distributions\n"
        "print('scipy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_normal_quantile_constants_match_scipy():
    from scipy.special import ndtri

    from sim.scenario.distributions import Z90, Z95

    assert (float(ndtri(0.9)), float(ndtri(0.95))) == (Z90, Z95)


@pytest.mark.parametrize(
    ("spec", "unit"),
    [
        ({"pert": ["1y", "2y", "4y"], "lambda": 1e308}, "days"),  # mean: inf / inf
        ({"pert": [1, 2, 4], "lambda": 1e308}, "number"),
        ({"uniform": [-1e308, 1e308]}, "number"),  # variance (b - a)^2 / 12 overflows
        ({"triangular": [0, 1e308, 1.5e308]}, "number"),
        ({"empirical": [1e308, 1.7e308]}, "number"),  # mean overflows
        ({"normal": {"mean": 1e308, "sd": 1e308}}, "number"),
    ],
)
def test_parameters_that_overflow_into_nan_or_inf_are_refused(spec: object, unit: str) -> None:
    with pytest.raises(ValueError, match="cannot be simulated: its parameters overflow"):
        parse_distribution(spec, unit)  # type: ignore[arg-type]


def test_every_draw_of_a_huge_but_valid_lambda_is_a_number() -> None:
    # lambda 1e300 is extreme but computable: all mass at the mode, no NaN anywhere.
    dist = parse_distribution({"pert": ["1y", "2y", "4y"], "lambda": 1e300})
    draws = dist.sample(np.random.default_rng(1), 1000)
    assert np.isfinite(draws).all() and abs(draws - 2 * Y).max() < 1e-6
