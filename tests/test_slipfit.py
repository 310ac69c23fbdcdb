"""The fitted slip model: recovery on synthetic records, pooling, lead time, the duration form,
determinism, leave-one-out scores and located errors for bad reference data."""

from __future__ import annotations

import csv
import datetime as dt
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.special import ndtri

import sim
from sim.errors import ScenarioError
from sim.scenario.distributions import ReferenceFit
from sim.scenario.grammar import parse_distribution
from sim.scenario.reference import COLUMNS, DATA_AS_OF, ReferenceDataError, bundled_forecasts, read_forecasts
from sim.scenario.referenceview import reference_uses
from sim.scenario.slipfit import MU_GRID, ClassFit, class_fit, fit_record

YEAR = 365.25


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


def _row(mission: str, agency: str, cls: str, on: str, launch: str, flown: str) -> dict[str, str]:
    return {
        "mission": mission,
        "agency": agency,
        "classes": cls,
        "announced_on": on,
        "announced_launch": launch,
        "launched_on": flown,
        "announcement_source": "https://example.org/a",
        "launch_source": "https://example.org/l" if flown else "",
        "note": "synthetic",
    }


def _synthetic(
    rng: np.random.Generator, n: int, mu: float, sigma: float, agency: str, cls: str, coarse: bool = True
) -> list[dict[str, str]]:
    """Announcements with lognormal slip ratios: announced 2011-2025 for 1-5 years ahead, launched
    at ratio x horizon unless that is after the data date (then waiting: heavy censoring). With
    `coarse`, every other announced launch is written as its year and every third launch as its
    month (interval-coded), as the sources often give them."""
    rows = []
    for i in range(n):
        on = dt.date(2011, 1, 1) + dt.timedelta(days=int(rng.integers(0, 15 * 365)))
        horizon = float(rng.uniform(1.0, 5.0)) * YEAR
        due = on + dt.timedelta(days=round(horizon))
        ratio = math.exp(mu + sigma * float(rng.standard_normal()))
        launch = on + dt.timedelta(days=round(ratio * horizon))
        said = str(due.year) if coarse and i % 2 == 0 and due.year > on.year else due.isoformat()
        flown = ""
        if launch <= DATA_AS_OF:
            flown = f"{launch.year}-{launch.month:02d}" if coarse and i % 3 == 0 else launch.isoformat()
        rows.append(_row(f"{cls}-{i // 2}", agency, cls, on.isoformat(), said, flown))
    return rows


def _posterior_sd(fit: ClassFit, values: np.ndarray) -> float:
    mean = float(fit.weight @ values)
    return math.sqrt(float(fit.weight @ (values - mean) ** 2))


def _recover(tmp_path: Path, seed: int, end_of_year: bool = False) -> tuple[float, float, float]:
    """Log errors of the fitted median and P90 on one synthetic record (40 missions, two
    announcements each, lognormal ratios median 2, sigma 0.35), and the posterior sd of the log
    median. `end_of_year` writes each year-only announced launch as 31 December instead."""
    mu, sigma = math.log(2.0), 0.35
    rows = _synthetic(
        np.random.default_rng(np.random.SeedSequence(seed)), 80, mu, sigma, "Synth", "synthetic"
    )
    if end_of_year:
        rows = [
            dict(r, announced_launch=f"{r['announced_launch']}-12-31")
            if len(r["announced_launch"]) == 4
            else r
            for r in rows
        ]
    forecasts = read_forecasts(_write(tmp_path / f"s{seed}{end_of_year}.csv", rows), extra_classes=True)
    assert sum(f.censored for f in forecasts) / len(forecasts) >= 0.25  # heavy censoring
    fit = fit_record(forecasts, ["synthetic"]).classes["synthetic"]
    centre = 2 * YEAR  # the true ratio does not depend on lead time (beta = 0)
    median, p90 = fit.quantiles([0.5, 0.9], centre)
    m, _ = fit.components(centre)
    return math.log(median) - mu, math.log(p90) - (mu + sigma * float(ndtri(0.9))), _posterior_sd(fit, m)


SEEDS = range(6)  # the first six seeds, not chosen


@pytest.mark.slow
def test_the_fit_recovers_a_lognormal_record_with_censoring_and_interval_dates(tmp_path):
    errors = [_recover(tmp_path, seed) for seed in SEEDS]
    for median_err, p90_err, sd in errors:
        # Each record: the median within 4 posterior sd, and within the goals (10 %
        # for the median, 15 % for the P90, which also carries the parameters' uncertainty).
        assert abs(median_err) <= 4 * sd
        assert abs(median_err) <= math.log(1.10)
        assert abs(p90_err) <= math.log(1.15)
    # No bias: the mean error of the six medians within 4 se (se = mean posterior sd / sqrt(6)).
    mean_sd = float(np.mean([e[2] for e in errors]))
    assert abs(float(np.mean([e[0] for e in errors]))) <= 4 * mean_sd / math.sqrt(len(errors))


@pytest.mark.slow
def test_year_only_dates_read_as_31_december_bias_the_slips_down(tmp_path):
    # The same records with each year-only announced launch written as 31 December: every promise
    # looks later than it was, so slips look smaller. The interval coding has no such bias.
    interval = [_recover(tmp_path, seed)[0] for seed in SEEDS]
    end = [_recover(tmp_path, seed, end_of_year=True)[0] for seed in SEEDS]
    assert all(e < i for e, i in zip(end, interval, strict=True))
    assert abs(float(np.mean(interval))) < abs(float(np.mean(end)))


def _pooling_record(tmp_path: Path) -> tuple[ClassFit, ClassFit, list[dict[str, str]]]:
    rng = np.random.default_rng(np.random.SeedSequence(7))
    rows: list[dict[str, str]] = []
    for k, mu in enumerate((0.5, 0.7, 0.9, 0.6, 0.8)):
        rows += _synthetic(rng, 12, mu, 0.3, f"Agency{k}", f"class{k}", coarse=False)
    rich = [r for r in _synthetic(rng, 60, math.log(1.5), 0.3, "Rich", "rich", coarse=False)]
    thin = []
    for i, ratio in enumerate((2.5, 3.2, 4.0, 5.0, 6.4)):  # five flown (the least a class may
        on = dt.date(2008 + i, 3, 1)  # have), geometric mean 4.0, spread as wide as real classes
        launch = on + dt.timedelta(days=round(730 * ratio))
        thin.append(
            _row(
                f"thin-{i}",
                "Thin",
                "thin",
                on.isoformat(),
                (on + dt.timedelta(days=730)).isoformat(),
                launch.isoformat(),
            )
        )
    rows += rich + thin
    forecasts = read_forecasts(_write(tmp_path / "p.csv", rows), extra_classes=True)
    fit = fit_record(forecasts, ["thin", "rich"])
    return fit.classes["thin"], fit.classes["rich"], rich


def test_a_thin_class_moves_toward_the_record_and_a_rich_one_barely(tmp_path):
    thin, rich, rich_rows = _pooling_record(tmp_path)
    centre = 2 * YEAR
    # The thin class's own data say 4.0 (log sd 0.37 over five rows: se 0.17); the record's
    # classes sit near exp(0.7) = 2.0 with a spread tau of about 0.3 between them. A normal
    # model would move it se^2 / (se^2 + tau^2), about a fifth of the way in log, toward the
    # record: at least a tenth is asserted, and that it stays above the record.
    thin_median = float(thin.quantiles([0.5], centre)[0])
    assert 2.0 < thin_median < math.exp(math.log(4.0) - 0.1 * math.log(4.0 / 2.0))
    assert thin.pooling > 0.15
    # The rich class keeps its own median: within 4 posterior sd of its rows' own log mean
    # (no censoring among rows this old... except those after the data date, left out here).
    flown = [r for r in rich_rows if r["launched_on"]]
    own = [
        math.log(
            (dt.date.fromisoformat(r["launched_on"]) - dt.date.fromisoformat(r["announced_on"])).days
            / (dt.date.fromisoformat(r["announced_launch"]) - dt.date.fromisoformat(r["announced_on"])).days
        )
        for r in flown
    ]
    m, _ = rich.components(centre)
    rich_median = float(rich.quantiles([0.5], centre)[0])
    # Censored rows (later than the data date) push the rich class up a little, never down.
    assert math.log(rich_median) >= float(np.mean(own)) - 4 * _posterior_sd(rich, m)
    assert abs(math.log(rich_median) - math.log(1.5)) <= 4 * _posterior_sd(rich, m)
    assert rich.pooling < 0.15
    assert thin.pooling > 3 * rich.pooling


def test_the_bundled_record_has_grid_room_and_lead_time_is_reported():
    fit = fit_record(bundled_forecasts(), ["all", "russian-lunar"])
    for cls in fit.classes.values():
        # The posterior keeps off the grid's edges (else the grid would cut it).
        assert MU_GRID[0] + 0.2 < float(cls.mu.min()) and float(cls.mu.max()) < MU_GRID[-1] - 0.2
    pop = fit.population
    assert 0 < pop.beta_sd < 0.5 and math.isfinite(pop.beta_mean)


def test_the_reference_form_draws_the_fitted_class_at_its_lead_time():
    d = parse_distribution({"reference": "russian-lunar", "planned": "3y"})
    assert isinstance(d, ReferenceFit)
    assert d.describe() == "reference(russian-lunar, planned 3y)"
    n = 40_000
    x = d.sample(np.random.default_rng(np.random.SeedSequence(3)), n)
    fit = class_fit("russian-lunar")
    for q in (0.1, 0.5, 0.9):
        # The sample's share below the model's q-quantile is binomial: 4 se allowed.
        expected = d.planned * float(fit.quantiles([q], d.planned)[0])
        assert abs(float(np.mean(x <= expected)) - q) <= 4 * math.sqrt(q * (1 - q) / n)
        assert float(d.ppf(np.array([q]))[0]) == pytest.approx(expected, rel=2e-3)
    assert float(d.cdf(np.array([d.mode]))[0]) == pytest.approx(0.5, abs=1e-3)
    # Mean: the mixture's, against the sample mean (4 se).
    assert abs(float(np.mean(x)) - d.mean) <= 4 * math.sqrt(d.var / n)


def test_reference_draws_are_the_same_for_a_seed_whatever_the_engine_or_workers(write):
    path = write(
        """
        format: 1
        name: Fitted reference
        start: 2026-01-01
        as_of: 2026-06-01
        milestones:
          a:
            title: A
            duration: {reference: russian-lunar, planned: 2y}
          b:
            title: B
            after: [a]
            duration: {reference: lunar-landers, planned: 1y}
        correlations:
          - milestones: [a, b]
            rho: 0.5
        """
    )
    scenario = sim.load(path)
    runs = [
        sim.simulate(scenario, 3000, seed=11, engine=engine, workers=workers)
        for engine, workers in (("vector", 1), ("simpy", 1), ("vector", 2))
    ]
    for r in runs[1:]:
        assert np.array_equal(r.finish_of("b"), runs[0].finish_of("b"))
    assert not np.array_equal(runs[0].finish_of("b"), sim.simulate(scenario, 3000, seed=12).finish_of("b"))
    assert np.all(runs[0].finish_of("a") > scenario.days_of(scenario.as_of))


def test_fitted_beats_kaplan_meier_leaving_one_mission_out():
    from sim.scenario.slipscore import leave_one_mission_out

    scores = leave_one_mission_out(bundled_forecasts())
    overall = scores["overall"]
    # The default method rests on this: the fitted model's CRPS at least 10 % below Kaplan-Meier's.
    assert overall.mean("fitted") <= 0.9 * overall.mean("empirical")
    assert overall.mean("fitted") < overall.mean("on time")
    assert overall.mean("fitted", "log") > overall.mean("empirical", "log")
    # ... and no worse on any class with five or more launched announcements scored.
    for name, cls in scores.items():
        if cls.flown >= 5:
            assert cls.mean("fitted") <= cls.mean("empirical"), name


def test_bad_reference_rows_are_located_errors(tmp_path, write):
    good = _row("X", "Acme", "lunar-landers", "2015-03", "2017", "2019-05-01")
    cases = [
        ({"announced_on": "2015-13"}, "announced_on", "month must be in 1..12"),
        ({"announced_launch": "2014"}, "announced_launch", "must end after announced_on"),
        ({"launched_on": "2031-01-01"}, "launched_on", "after the data date"),
        ({"announcement_source": "see notes"}, "announcement_source", "not a web address"),
        ({"launch_source": ""}, "launch_source", "is empty although launched_on is given"),
        ({"classes": "russian-lunr"}, "classes", "did you mean 'russian-lunar'?"),
    ]
    for change, column, message in cases:
        path = _write(tmp_path / "bad.csv", [good, good, dict(good, **change)])
        strict = "classes" in change  # unknown class names are an error only in the bundled data
        with pytest.raises(ReferenceDataError) as err:
            read_forecasts(path, extra_classes=not strict)
        assert str(err.value).startswith(f"{path}:4: {column}: ") and message in str(err.value)
    # Through a scenario: the CSV's own line and column, exit status 2 from the CLI.
    _write(tmp_path / "mine.csv", [good] * 4 + [dict(good, announced_launch="2019-02-30")])
    scenario = write(
        """
        format: 1
        name: Own data
        start: 2026-01-01
        reference_data: mine.csv
        milestones:
          m: {title: M, duration: {reference: acme, planned: 2y}}
        """,
        "own.yaml",
    )
    with pytest.raises(ScenarioError) as err:
        sim.load(scenario)
    where = f"{scenario.parent / 'mine.csv'}:6: announced_launch: "
    assert str(err.value.problems[0]).startswith(where)
    cli = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(scenario)], capture_output=True, text=True, timeout=120
    )
    assert cli.returncode == 2 and cli.stderr.startswith(f"error: {where}") and "Traceback" not in cli.stderr


def _own_data(tmp_path: Path, write: Any, cls: str, milestones: str) -> Path:
    """A scenario with `reference_data: mine.csv`: six Acme launches of class `cls`, each 1.5
    times the two years announced."""
    rows = [
        _row(f"A{i}", "Acme", cls, f"{2010 + i}-03-01", f"{2012 + i}-03-01", f"{2013 + i}-03-01")
        for i in range(6)
    ]
    _write(tmp_path / "mine.csv", rows)
    head = "format: 1\nname: Own data\nstart: 2026-01-01\nreference_data: mine.csv\nmilestones:\n"
    return write(head + milestones, "own.yaml")


def test_own_reference_data_adds_a_class(tmp_path, write):
    path = _own_data(
        tmp_path,
        write,
        "acme",
        "  m: {title: M, duration: {reference: acme, planned: 2y}}\n"
        "  k: {title: K, duration: {reference: acme, planned: 2y, method: empirical}}\n",
    )
    scenario = sim.load(path)
    result = sim.simulate(scenario, 4000, seed=3)
    # The report's provenance names the class, its method, how thin and how pooled it is.
    uses = {u["milestone"]: u for u in reference_uses(scenario.milestones)}
    assert uses["m"]["class"] == "acme" and uses["m"]["method"] == "fitted"
    assert uses["m"]["flown"] == 6 and uses["m"]["waiting"] == 0 and 0 < uses["m"]["pooling"] < 1
    assert uses["k"]["method"] == "empirical" and uses["k"]["pooling"] is None
    # Every Acme launch came at 1.5 times the announced time: the empirical draw is that atom,
    # the fitted one is centred near it (pooled a little toward the record's larger slips).
    assert np.allclose(result.finish_of("k"), 1.5 * 2 * YEAR, rtol=2e-3)
    median = float(np.median(result.finish_of("m"))) / (2 * YEAR)
    assert 1.4 < median < 2.0
    with pytest.raises(ScenarioError, match="unknown reference class 'acme'"):
        sim.load(write(path.read_text().replace("reference_data: mine.csv\n", ""), "none.yaml"))


def test_the_report_says_which_class_each_milestone_used_escaped(tmp_path, write):
    milestone = '  m: {title: M, duration: {reference: "acme<b>", planned: 9y}}\n'
    path = _own_data(tmp_path, write, "acme<b>", milestone)
    page = sim.simulate(sim.load(path), 500, seed=1).write_report(tmp_path / "out")
    html = Path(page).read_text(encoding="utf-8")
    assert "m: acme&lt;b&gt; (fitted), 6 flown and 0 waiting announcements from 6 flown missions" in html
    assert "acme<b>" not in html
    # Planned 9 years, longer than any Acme announcement (2 years): the report says so.
    assert "planned 9 y is beyond the longest flown horizon of the class (2 y)" in html
