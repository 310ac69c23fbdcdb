"""Reference classes: the dataset's rows, the Kaplan-Meier slip ratios, the duration form, the command."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError
from sim.scenario.distributions import ReferenceSlip
from sim.scenario.grammar import parse_distribution
from sim.scenario.reference import (
    CLASSES,
    DATA_AS_OF,
    MIN_FORECASTS,
    MIN_HORIZON_DAYS,
    Forecast,
    SlipClass,
    dataset_path,
    read_forecasts,
    reference_classes,
    usable_classes,
)

ROOT = Path(__file__).resolve().parent.parent


def _raw_rows() -> list[dict[str, str]]:
    with dataset_path().open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --- the dataset ----------------------------------------------------------------------------


def test_dataset_covers_thirty_missions_from_five_agencies():
    rows = read_forecasts()
    agencies = {f.agency.split("/")[0] for f in rows}
    assert len({f.mission for f in rows}) >= 30
    assert {"Roscosmos", "CNSA", "NASA", "ESA", "ISRO", "JAXA"} <= agencies
    assert len(agencies) >= 5


def test_every_row_has_sources_and_consistent_dates():
    for raw, f in zip(_raw_rows(), read_forecasts(), strict=True):
        where = f"line {f.line} ({f.mission})"
        assert f.announcement_source.startswith(("https://", "http://")), where
        assert " " not in f.announcement_source, where
        if f.launched_on is None:
            assert raw["launch_source"] == "", where
        else:
            assert f.launch_source.startswith(("https://", "http://")), where
            assert f.announced_on < f.launched_on <= DATA_AS_OF, where
        assert f.announced_on < f.announced_launch, where
        assert f.announced_on <= DATA_AS_OF, where
        assert f.classes and set(f.classes) <= set(CLASSES), where
        assert f.note, where


def test_partial_dates_resolve_to_the_documented_days():
    by_line = {f.line: f for f in read_forecasts()}
    for line, raw in enumerate(_raw_rows(), start=2):
        f = by_line[line]
        said = dt.date.fromisoformat(raw["announced_on"]) if len(raw["announced_on"]) == 10 else None
        said_year = said.year if said is not None else None
        if len(raw["announced_launch"]) == 4 and said_year and said_year < int(raw["announced_launch"]):
            # "in 2024" is some day of 2024: its middle for Kaplan-Meier, the whole year for the fit.
            year = int(raw["announced_launch"])
            assert f.announced_launch == dt.date(year, 7, 1 if calendar.isleap(year) else 2)
            assert f.announced_launch_period == (dt.date(year, 1, 1), dt.date(year, 12, 31))
        if "/" in raw["announced_launch"]:  # a range "2026/2027" spans both years
            first, last = raw["announced_launch"].split("/")
            assert f.announced_launch_period is not None
            assert f.announced_launch_period[0].isoformat().startswith(first)
            assert f.announced_launch_period[1].isoformat().startswith(last)
        if len(raw["announced_on"]) == 7:  # a month stands for its middle day
            year, month = map(int, raw["announced_on"].split("-"))
            assert f.announced_on.year == year and f.announced_on.month == month
            days = calendar.monthrange(year, month)[1]
            assert f.announced_on == dt.date(year, month, 1 + (days - 1) // 2)


def test_the_slip_ratio_is_elapsed_over_announced_time():
    luna25 = next(f for f in read_forecasts() if f.mission == "Luna-25" and f.announced_on.year == 2014)
    # Announced 3 Oct 2014 for 2018 (its middle day, 2 Jul 2018); launched 10 Aug 2023.
    expected = (dt.date(2023, 8, 10) - dt.date(2014, 10, 3)).days / (
        dt.date(2018, 7, 2) - dt.date(2014, 10, 3)
    ).days
    assert luna25.ratio == expected
    # The fit sees any instant of 2018 (and of each day named): a late ratio grows with the
    # announcement and launch instants and shrinks with the announced one, so its range runs
    # from (start of launch day, start of announcement day, end of 2018) to (end of launch day,
    # end of announcement day, start of 2018).
    lo, hi = luna25.ratio_bounds
    on, on_end = dt.date(2014, 10, 3), dt.date(2014, 10, 4)
    low = (dt.date(2023, 8, 10) - on).days / (dt.date(2019, 1, 1) - on).days
    high = (dt.date(2023, 8, 11) - on_end).days / (dt.date(2018, 1, 1) - on_end).days
    assert lo == pytest.approx(low, rel=1e-12)
    assert hi == pytest.approx(high, rel=1e-12)
    assert lo < luna25.ratio < hi
    waiting = next(f for f in read_forecasts() if f.mission == "Luna-28" and f.announced_on.year == 2019)
    assert waiting.censored
    assert waiting.ratio == (DATA_AS_OF - waiting.announced_on).days / waiting.horizon_days


def test_classes_hold_their_members_and_leave_out_launch_campaign_scrubs():
    rows = read_forecasts()
    classes = reference_classes()
    for name, cls in classes.items():
        members = [f for f in rows if name == "all" or name in f.classes]
        assert cls.n + cls.excluded == len(members)
        assert all(f.horizon_days >= MIN_HORIZON_DAYS for f in cls.forecasts)
    assert classes["russian-lunar"].n_censored == sum(f.censored for f in classes["russian-lunar"].forecasts)


# --- Kaplan-Meier on constructed forecasts --------------------------------------------------


def _forecast(ratio: float, censored: bool) -> Forecast:
    horizon = 1000
    if censored:
        start = DATA_AS_OF - dt.timedelta(days=round(ratio * horizon))
        launched = None
    else:
        start = dt.date(2000, 1, 1)
        launched = start + dt.timedelta(days=round(ratio * horizon))
    return Forecast(
        "m", "a", ("all",), start, start + dt.timedelta(days=horizon), launched, "https://x", "", "n", 0
    )


def _cls(*items: tuple[float, bool]) -> SlipClass:
    return SlipClass("test", "", tuple(_forecast(r, c) for r, c in items), 0)


def test_kaplan_meier_moves_censored_mass_to_later_launches():
    # Launches at 1, 2, 3 and one still waiting beyond 2.5. Four at risk at 1: 1/4. Three at
    # risk at 2: (3/4)/3 = 1/4. The censored row leaves; one at risk at 3 takes the rest, 1/2.
    cls = _cls((1.0, False), (2.0, False), (2.5, True), (3.0, False))
    values, probs = cls.support()
    assert values.tolist() == [1.0, 2.0, 3.0]
    assert probs.tolist() == [0.25, 0.25, 0.5]
    assert cls.tail_mass == 0.0
    assert cls.quantile(0.5) == (2.0, False)
    assert cls.quantile(0.9) == (3.0, False)


def test_mass_beyond_the_longest_wait_is_a_lower_bound():
    cls = _cls((1.0, False), (2.0, False), (3.0, True))
    values, probs = cls.support()
    assert values.tolist() == [1.0, 2.0, 3.0]
    assert np.allclose(probs, [1 / 3, 1 / 3, 1 / 3], rtol=0, atol=1e-15)
    assert math.isclose(cls.tail_mass, 1 / 3, rel_tol=1e-15)
    assert cls.quantile(0.5) == (2.0, False)
    assert cls.quantile(0.9) == (3.0, True)


def test_a_tie_counts_the_launch_before_the_censoring():
    # At a tie the censored row was still at risk when the launch happened: three at risk at 2
    # give it 1/3; the censored row then leaves and the launch at 4 takes the other 2/3.
    cls = _cls((2.0, False), (2.0, True), (4.0, False))
    values, probs = cls.support()
    assert values.tolist() == [2.0, 4.0]
    assert np.allclose(probs, [1 / 3, 2 / 3], rtol=0, atol=1e-15)


# --- the duration form ----------------------------------------------------------------------


def test_reference_form_scales_the_class_ratios_by_the_planned_duration():
    d = parse_distribution({"reference": "russian-lunar", "planned": "2y", "method": "empirical"})
    assert isinstance(d, ReferenceSlip)
    planned = 2 * 365.25
    values, probs = reference_classes()["russian-lunar"].support()
    assert d.mean == pytest.approx(planned * float(np.dot(values, probs)), rel=1e-12)
    second = float(np.dot(values**2, probs)) * planned**2
    assert d.var == pytest.approx(second - d.mean**2, rel=1e-12)
    median, _ = reference_classes()["russian-lunar"].quantile(0.5)
    assert d.mode == planned * median  # the deterministic plan uses the median
    assert d.describe() == "reference(russian-lunar, planned 2y, empirical)"


@pytest.mark.parametrize("name", usable_classes())
def test_reference_form_reproduces_the_class_quantiles(name):
    cls = reference_classes()[name]
    planned = 1000.0
    d = ReferenceSlip(name, planned)
    n = 40_000
    x = d.sample(np.random.default_rng(np.random.SeedSequence(12)), n) / planned
    values, probs = cls.support()
    for v, p in zip(values, probs, strict=True):
        # Each ratio's share of the draws: binomial, se = sqrt(p(1-p)/n), 4 se allowed.
        share = float(np.mean(np.isclose(x, v, rtol=1e-12)))
        assert abs(share - p) <= 4 * math.sqrt(p * (1 - p) / n), (name, v)
    cum = np.cumsum(probs)
    for q in (0.1, 0.5, 0.9):
        # The sample quantile lands on the class's quantile unless q lies within 4 se of a step
        # of the class CDF, where either neighbouring atom is a fair answer.
        if np.min(np.abs(cum - q)) <= 4 * math.sqrt(q * (1 - q) / n):
            continue
        expected, _ = cls.quantile(q)
        assert np.quantile(x, q, method="inverted_cdf") == pytest.approx(expected, rel=1e-12)


def test_reference_draws_above_a_status_date_keep_the_conditional_law():
    d = ReferenceSlip("russian-lunar", 1000.0)
    t = float(d.ppf(np.array([0.3]))[0])
    u = np.linspace(0.0, 1.0, 1001)
    above = d.ppf_above(u, t)
    assert np.all(above > t)
    # ppf_above follows the CDF renormalised above t.
    keep = d._support > t
    probs = d._probs[keep] / d._probs[keep].sum()
    shares = [np.mean(above == v) for v in d._support[keep]]
    assert np.allclose(shares, probs, atol=1.5 / u.size)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"reference": "russion-lunar", "planned": "2y"},
            "unknown reference class 'russion-lunar' (did you mean 'russian-lunar'?",
        ),
        ({"reference": "russian-lunar"}, "missing planned"),
        (
            {"reference": "russian-lunar", "planed": "2y"},
            "unknown key 'planed' in reference (did you mean 'planned'?)",
        ),
        ({"reference": "russian-lunar", "planned": 0}, "planned 0 must be more than 0"),
        ({"reference": 3, "planned": "1y"}, "reference takes a class name"),
        ({"reference": "commercial-lunar", "planned": "1y"}, f"(need {MIN_FORECASTS})"),
    ],
)
def test_bad_reference_forms_say_what_is_wrong(spec, message):
    with pytest.raises(ValueError) as err:
        parse_distribution(spec)
    assert message in str(err.value)


def test_reference_is_not_a_scale():
    with pytest.raises(ValueError, match="duration form"):
        parse_distribution({"reference": "russian-lunar", "planned": "2y"}, "number")


def test_a_scenario_with_a_reference_runs_and_its_errors_are_located(write):
    text = """
        format: 1
        name: Reference
        start: 2026-01-01
        milestones:
          luna26:
            title: Luna-26 launch
            duration: {reference: russian-lunar, planned: 2y, method: empirical}
          after:
            title: After
            after: [luna26]
            duration: {pert: [1y, 2y, 3y]}
        correlations:
          - milestones: [luna26, after]
            rho: 0.5
        """
    result = sim.simulate(sim.load(write(text)), 4000, seed=5)
    p50 = result.percentile_days("luna26", 50)
    assert p50 == pytest.approx(730.5 * reference_classes()["russian-lunar"].quantile(0.5)[0], rel=1e-9)
    with pytest.raises(ScenarioError) as err:
        sim.load(write(text.replace("russian-lunar", "russian-lunr"), "bad.yaml"))
    problem = str(err.value.problems[0])
    assert len(err.value.problems) == 1
    assert "bad.yaml:7:" in problem and "milestones.luna26.duration" in problem
    assert "did you mean 'russian-lunar'?" in problem


def test_the_json_schema_accepts_the_reference_form():
    jsonschema = pytest.importorskip("jsonschema")
    from sim.scenario.schema import json_schema

    doc = {
        "format": 1,
        "name": "x",
        "start": "2026",
        "milestones": {"a": {"title": "A", "duration": {"reference": "russian-lunar", "planned": "2y"}}},
    }
    jsonschema.validate(doc, json_schema())
    doc["milestones"]["a"]["duration"] = {"reference": "no-such-class", "planned": "2y"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, json_schema())


# --- the command ----------------------------------------------------------------------------


def _lunarsim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_reference_command_lists_every_class_with_its_fitted_percentiles():
    from sim.scenario.referenceview import classes_table

    r = _lunarsim("reference")
    assert r.returncode == 0, r.stderr
    for row in classes_table():
        line = next(ln for ln in r.stdout.splitlines() if ln.strip("│ ").startswith(f"{row['class']} "))
        cells = [c.strip() for c in line.strip("│").split("│")]
        assert cells[1:3] == [str(row["flown"]), str(row["waiting"])]
        fitted = row["fitted"]
        if fitted is None:
            assert cells[3:] == ["—"] * (len(cells) - 3)
            continue
        assert cells[3] == f"{round(100 * row['pooling'])} %"
        p50 = fitted["p50"]
        assert cells[4] == f"{p50['ratio']:.2f} ({p50['interval'][0]:.2f}–{p50['interval'][1]:.2f})"
        assert p50["interval"][0] <= p50["ratio"] <= p50["interval"][1]
    assert "Kaplan–Meier" in " ".join(r.stdout.split())


def test_reference_command_json_is_the_library_table():
    from sim.scenario.referenceview import classes_table

    r = _lunarsim("reference", "--json", "--planned", "5y")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == json.loads(json.dumps(classes_table(5 * 365.25)))
    bad = _lunarsim("reference", "--planned", "soon")
    assert bad.returncode == 2 and bad.stderr.startswith("error: --planned: ")
    assert "Traceback" not in bad.stderr


def test_reference_command_lists_a_class_forecast_by_forecast():
    r = _lunarsim("reference", "russian-lunar", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert len(rows) == reference_classes()["russian-lunar"].n
    assert all(row["announcement_source"].startswith("http") for row in rows)
    bad = _lunarsim("reference", "russion-lunar")
    assert bad.returncode == 2
    assert bad.stderr.startswith(
        "error: unknown reference class 'russion-lunar' (did you mean 'russian-lunar'?"
    )
    assert "Traceback" not in bad.stderr


def test_readme_quotes_the_russian_class_truly():
    from sim.scenario.referenceview import classes_table

    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    cls = reference_classes()["russian-lunar"]
    row = next(r for r in classes_table() if r["class"] == "russian-lunar")
    p50, p90 = row["fitted"]["p50"], row["fitted"]["p90"]
    lo, hi = p50["interval"]
    assert (
        f"median ratio of a two-year announcement is **{p50['ratio']:.2f}** (80 % interval "
        f"{lo:.2f}–{hi:.2f}) and the 90th percentile **{p90['ratio']:.2f}**"
    ) in readme
    launched = sum(not f.censored for f in cls.forecasts)
    assert f"({cls.n} announcements, of which only {launched} have flown, all Luna-25)" in readme
    assert {f.mission for f in cls.forecasts if not f.censored} == {"Luna-25"}
    rows = read_forecasts()
    assert f"{len(rows)} announced launch dates of {len({f.mission for f in rows})} lunar" in readme


def test_readme_and_format_quote_the_leave_one_out_scores_truly():
    from sim.scenario.slipscore import bundled_validation

    scores = {r["class"]: r for r in bundled_validation()}
    overall, russian = scores["overall"], scores["russian-lunar"]
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    doc = " ".join((ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8").split())
    skill = round(100 * overall["crps_skill_vs_empirical"])
    fit, km, on_time = (f"{overall[k]:.3f}" for k in ("crps_fitted", "crps_empirical", "crps_on_time"))
    versus = f"{fit} against {km}; \"on time\" scores {on_time})"
    assert f"score **{skill} %** better" in readme and f"(CRPS {versus}" in readme
    assert f"CRPS is {skill} % lower than Kaplan–Meier's overall ({versus}" in doc
    ru_fit, ru_km = f"{russian['crps_fitted']:.3f}", f"{russian['crps_empirical']:.3f}"
    assert f"(on `russian-lunar`, {ru_fit} against {ru_km})" in readme
    assert f"(`russian-lunar`: CRPS {ru_fit} against {ru_km})" in doc
    # "better on every class with five or more launched announcements", as both say
    for row in scores.values():
        if row["flown"] >= 5:
            assert row["crps_fitted"] < row["crps_empirical"], row["class"]


def test_format_reference_counts_the_dataset_truly():
    doc = " ".join((ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8").split())
    rows = read_forecasts()
    assert f"{len(rows)} announcements of {len({f.mission for f in rows})} missions" in doc
    assert f"data date ({DATA_AS_OF.isoformat()})" in doc
    assert f"less than {MIN_HORIZON_DAYS} days before" in doc
    assert f"at least {MIN_FORECASTS} usable announcements" in doc


def test_a_reference_duration_under_way_at_as_of_is_conditioned_on_not_being_done(write):
    path = write(
        """
        format: 1
        name: Conditioned
        start: 2026-01-01
        as_of: 2027-12-01
        milestones:
          luna:
            title: Luna launches
            duration: {reference: russian-lunar, planned: 1.2y, method: empirical}
        """
    )
    scenario = sim.load(path)
    n = 4000
    result = sim.simulate(scenario, n, seed=2)
    as_of_day = scenario.days_of(scenario.as_of)
    d = ReferenceSlip("russian-lunar", 1.2 * 365.25)
    below = d._support <= as_of_day
    assert below.any() and (~below).sum() >= 2  # the case conditions something away
    x = result.finish_of("luna")
    assert np.all(x > as_of_day)
    # The values left keep their probabilities, renormalised: binomial shares, 4 se allowed.
    rest = d._probs[~below] / d._probs[~below].sum()
    for v, p in zip(d._support[~below], rest, strict=True):
        share = float(np.mean(np.isclose(x, v, rtol=1e-9)))
        assert abs(share - p) <= 4 * math.sqrt(p * (1 - p) / n)


def test_dates_are_shown_as_the_sources_gave_them():
    from sim.scenario.reference import period_text

    for raw, f in zip(_raw_rows(), read_forecasts(), strict=True):
        for column, day, period in (
            ("announced_on", f.announced_on, f.announced_on_period),
            ("announced_launch", f.announced_launch, f.announced_launch_period),
            ("launched_on", f.launched_on, f.launched_on_period),
        ):
            if day is None:
                continue
            shown = period_text(day, period)
            if period is not None and column == "announced_launch" and period[0] > f.announced_on:
                # A period opening on or before the announcement is shown from the day after it.
                clipped = period[0] == f.announced_on + dt.timedelta(days=1)
                assert shown == raw[column] or (clipped and shown.endswith(period[1].isoformat()))
                continue
            assert shown == raw[column], (f.line, column)
