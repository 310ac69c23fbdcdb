"""Dated snapshots and their track record: the bundled ILRS snapshots, the scores of a small
series computed by hand, Wilson intervals, calibration bins, P-date coverage, the trend chart and
`lunarsim backtest` over snapshots."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from test_cli import ROOT, lunarsim

import sim
from sim.analysis.trackrecord import Share, calibration_bins, track_record, wilson

SNAPSHOTS = sorted((ROOT / "scenarios").glob("ilrs-snapshot-*.yaml"))


def test_the_six_ilrs_snapshots_are_bundled_in_date_order():
    assert [p.stem for p in SNAPSHOTS] == [
        "ilrs-snapshot-2021-06",
        "ilrs-snapshot-2022-04",
        "ilrs-snapshot-2023-10",
        "ilrs-snapshot-2024-09",
        "ilrs-snapshot-2025-09",
        "ilrs-snapshot-2026-11",
    ]
    dates = [sim.load(p).as_of for p in SNAPSHOTS]
    assert None not in dates and dates == sorted(dates) and len(set(dates)) == len(dates)
    # The file name carries the status date's year and month.
    assert [p.stem[-7:] for p in SNAPSHOTS] == [f"{d:%Y-%m}" for d in dates]  # type: ignore[str-format]


@pytest.mark.parametrize("path", SNAPSHOTS, ids=[p.stem for p in SNAPSHOTS])
def test_each_snapshot_validates_lints_without_errors_and_runs(path: Path):
    sc = sim.load(path)
    assert sc.files[-1].name in ("ilrs-2022-announced.yaml", "ilrs-2026-status.yaml"), sc.files
    assert lunarsim("validate", str(path)).returncode == 0
    r = lunarsim("lint", str(path))
    assert r.returncode == 0, r.stdout + r.stderr  # 3 would mean a finding is an error
    result = sim.simulate(sc, 300, 1, workers=1)
    assert 0 < result.done_fraction(sc.headline) <= 1
    # Every milestone says where it comes from (the snapshot's own or its base's source).
    assert not [m.id for m in sc.milestones.values() if not m.source]


def test_the_2022_and_2026_snapshots_are_the_bundled_files_dated():
    then, now = sim.load(SNAPSHOTS[1]), sim.load(SNAPSHOTS[-1])
    base_then = sim.load(ROOT / "scenarios" / "ilrs-2022-announced.yaml")
    base_now = sim.load(ROOT / "scenarios" / "ilrs-2026-status.yaml")
    assert then.as_of == base_then.start and base_then.as_of is None
    assert now.as_of == base_now.as_of
    assert then.milestones.keys() == base_then.milestones.keys()
    assert now.milestones.keys() == base_now.milestones.keys()


# --- a small series, scored by hand ----------------------------------------------------------

FORECAST = """\
name: Forecast
start: 2030-01-01
as_of: 2030-01-01
headline: c
milestones:
  a: {duration: 10d}
  b: {duration: 40d}
  c: {duration: 25d, target: 2030-02-15}
  e: {duration: 5d}
"""
LATER = """\
name: Later
extends: forecast.yaml
as_of: 2030-01-15
milestones:
  e: {actual: 2030-01-03}
"""
TRUTH = """\
name: Truth
extends: forecast.yaml
as_of: 2030-01-31
milestones:
  a: {actual: 2030-01-21}
  e: {actual: 2030-01-03}
"""


def _series(tmp_path: Path) -> list[Path]:
    paths = []
    for name, text in (("forecast", FORECAST), ("later", LATER), ("truth", TRUTH)):
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
        paths.append(tmp_path / f"{name}.yaml")
    return paths


def test_scores_of_a_small_series_equal_a_hand_computation(tmp_path):
    paths = _series(tmp_path)
    runs = [sim.simulate(sim.load(p), 50, 1, workers=1, stream=False) for p in paths]
    record = track_record(runs[:2], runs[2])
    first, second = record.snapshots
    # Fixed durations from 1 Jan 2030 (day 0): a done on day 10, b 40, c 25, e 5; the truth's
    # status date is day 30, a was done on day 20 and e on day 2; b and c were not done.
    # P(done by day 30): a 1, b 0, c 1, e 1; happened: a 1, b 0, c 0, e 1.
    assert {r.milestone: (r.p_done, r.done) for r in first.scores.scored} == {
        "a": (1.0, True),
        "b": (0.0, False),
        "c": (1.0, False),
        "e": (1.0, True),
    }
    assert first.scores.brier == pytest.approx(float(Fraction(0 + 0 + 1 + 0, 4)))
    # CRPS: the days k in 0..30 where F(k) and 1[done by k] differ: a on days 10..19 (10),
    # b none, c on days 25..30 (6), e on days 2..4 (3): (10 + 0 + 6 + 3) / 4.
    assert first.scores.crps == pytest.approx(19 / 4)
    # P50 dates: a 2030-01-11, b 2030-02-10 (after the status date: not counted), c 2030-01-26,
    # e 2030-01-06. Done by it: e only (a came on the 21st, c not by the 31st).
    assert (first.coverage[50].k, first.coverage[50].n) == (1, 3)
    assert (first.coverage[80].k, first.coverage[80].n) == (1, 3)
    # The second snapshot already knew e was done: it is not a forecast there.
    assert {r.milestone for r in second.scores.scored} == {"a", "b", "c"}
    assert second.scores.brier == pytest.approx(1 / 3)
    # Over both: 7 events, 2 of 6 counted P50 dates kept.
    assert record.events == 7
    assert (record.coverage[50].k, record.coverage[50].n) == (1, 5)
    assert record.brier == pytest.approx(2 / 7)
    # Calibration: b twice in the lowest bin (never happened), five in the top bin, 3 happened.
    bins = record.calibration
    assert [(len(b.forecasts), b.done) for b in bins] == [(2, 0), (0, 0), (0, 0), (0, 0), (5, 3)]
    # The trend: the headline c, a fixed 25 days, at both snapshots and the truth.
    assert record.milestone == "c"
    assert [s.trend.percentiles[50].isoformat() for s in record.snapshots] == ["2030-01-26"] * 2  # type: ignore[union-attr]
    assert record.latest is not None and record.latest.percentiles[50] is not None
    assert record.latest.percentiles[50].isoformat() == "2030-02-01"  # conditioned past the 31st


def test_wilson_interval_matches_its_formula_at_known_points():
    # 2 of 3 at z = 1.96: centre (2/3 + z²/6) / (1 + z²/3), half-width z/(1 + z²/3) ·
    # sqrt(2/27 + z²/36): 0.2077 to 0.9385 (the published value for 2/3).
    low, high = wilson(2, 3)
    assert (round(low, 4), round(high, 4)) == (0.2077, 0.9385)  # type: ignore[arg-type]
    # 0 of n: from 0 to z²/(n + z²).
    low, high = wilson(0, 38)
    assert low == 0 and high == pytest.approx(1.959963984540054**2 / (38 + 1.959963984540054**2))
    # n of n mirrors 0 of n; no data, no interval; k outside 0..n is refused.
    assert wilson(38, 38)[0] == pytest.approx(1 - high)
    assert wilson(0, 0) == (None, None)
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson(4, 3)
    low, high = wilson(2, 3)
    assert Share(2, 3).as_dict() == {"k": 2, "n": 3, "rate": 2 / 3, "low": low, "high": high}


def test_calibration_bins_are_half_open_fifths_with_one_in_the_last():
    events = [
        (0.0, False),
        (0.19999, True),
        (0.2, False),
        (0.5, True),
        (0.79, False),
        (0.8, True),
        (1.0, True),
    ]
    bins = calibration_bins(events)
    assert [(b.low, b.high) for b in bins] == [(0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.0)]
    assert [(len(b.forecasts), b.done) for b in bins] == [(2, 1), (1, 0), (1, 1), (1, 0), (2, 2)]
    assert bins[0].mean_forecast == pytest.approx(0.19999 / 2)
    assert bins[1].share.rate == 0


def test_a_snapshot_not_before_the_latest_is_refused(tmp_path):
    paths = _series(tmp_path)
    r = lunarsim("backtest", str(paths[2]), str(paths[0]), str(paths[1]), "--no-report")
    assert r.returncode == 2
    assert "truth.yaml" in r.stderr and "the last file given" in r.stderr
    assert "Traceback" not in r.stderr


def test_backtest_over_snapshots_prints_writes_json_and_a_page(tmp_path):
    paths = _series(tmp_path)
    out = tmp_path / "out"
    r = lunarsim("backtest", *map(str, paths), "-n", "50", "--seed", "1", "--json", "-", "--out", str(out))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert set(doc) == {
        "outcome",
        "as_of",
        "milestone",
        "events",
        "brier",
        "coverage",
        "calibration",
        "snapshots",
        "latest",
    }
    assert doc["events"] == 7 and doc["coverage"]["50"]["k"] == 1 and doc["coverage"]["50"]["n"] == 5
    assert [s["as_of"] for s in doc["snapshots"]] == ["2030-01-01", "2030-01-15"]
    page = out / "track-record-truth.html"
    assert f"report: {page}" in r.stderr
    html = page.read_text(encoding="utf-8")
    assert 'id="fig-trend"' in html and 'id="fig-calibration"' in html
    # The terminal's table says the same.
    text = lunarsim("backtest", *map(str, paths), "-n", "50", "--seed", "1", "--no-report").stdout
    assert "Track record: 2 snapshots scored against Truth (status date 2030-01-31), 7 events." in text
    assert "1/5 (" in text and "Wilson" in text


def test_milestone_chooses_the_trend_and_an_unknown_one_is_refused(tmp_path):
    paths = _series(tmp_path)
    r = lunarsim("backtest", *map(str, paths), "-n", "50", "--json", "-", "--no-report", "--milestone", "a")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["latest"]["p50"] == "2030-01-21"  # a's actual in the truth
    r = lunarsim("backtest", *map(str, paths), "-n", "50", "--no-report", "--milestone", "zz")
    assert r.returncode == 2 and "no snapshot has a milestone 'zz'" in r.stderr
    r = lunarsim("backtest", *map(str, paths[1:]), "--no-report", "--milestone", "a")
    assert r.returncode == 2 and "--milestone needs two or more forecasts" in r.stderr


def test_trend_figure_draws_the_band_only_where_both_ends_are_dates():
    from sim.report.charts.trend import trend_figure

    def entry(i: int, as_of: str, p10: str | None, p90: str | None) -> dict[str, object]:
        head = {"p10": p10, "p50": p10, "p80": p90, "p90": p90, "target": "2035-12-31", "p_target": 0.5}
        return {"id": i, "as_of": as_of, "recorded_at": as_of, "headline": head}

    entries = [
        entry(0, "2021-06-16", "2032-01-01", None),
        entry(1, "2024-09-06", "2033-01-01", "2040-01-01"),
        entry(2, "2025-09-01", "2033-06-01", "2041-01-01"),
    ]
    fig = trend_figure(entries, "t", {0: "<b>a</b>", 1: "b", 2: "c"})
    bands = [t for t in fig["data"] if t.get("fill") == "toself"]
    assert len(bands) == 1
    assert bands[0]["x"] == ["2024-09-06", "2025-09-01", "2025-09-01", "2024-09-06"]
    assert bands[0]["y"] == ["2033-01-01", "2033-06-01", "2041-01-01", "2040-01-01"]
    p50 = next(t for t in fig["data"] if t.get("name") == "P50")
    assert p50["text"][0] == "&lt;b&gt;a&lt;/b&gt;"  # labels are escaped


def test_the_bundled_ilrs_series_runs_and_says_the_basic_station_was_redefined():
    r = lunarsim(
        "backtest",
        *map(str, SNAPSHOTS),
        "--not-done",
        "luna-25-landing",
        "-n",
        "300",
        "--json",
        "-",
        "--no-report",
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["milestone"] == "ilrs-basic-facilities" and len(doc["snapshots"]) == 5
    titles = [s["trend"]["title"] for s in doc["snapshots"]] + [doc["latest"]["title"]]
    assert titles[0] == "ILRS joint base built, with Russia's Luna-28"
    assert titles[-1] == "ILRS basic station built at the lunar south pole"
    # Luna-25 is scored as not done where a snapshot still had it, and nowhere else.
    assert [s["scored"] for s in doc["snapshots"]] == [15, 15, 11, 11, 11]
    text = lunarsim(
        "backtest", *map(str, SNAPSHOTS), "--not-done", "luna-25-landing", "-n", "300", "--no-report"
    )
    assert 'The snapshots define it differently: "ILRS joint base built' in text.stdout


@pytest.mark.parametrize("path", SNAPSHOTS, ids=[p.stem for p in SNAPSHOTS])
def test_each_snapshots_landing_odds_are_the_methods_on_its_own_date(path: Path):
    """What a snapshot knew of landings: its operator's estimate from the attempts made by its
    status date (`lunarsim landings --as-of`), to two decimals, as for the bundled files."""
    from test_landings import OPERATOR

    from sim.scenario import landings

    sc = sim.load(path)
    assert sc.as_of is not None
    checked = [mid for mid in OPERATOR if mid in sc.milestones]
    for mid in checked:
        assert sc.milestones[mid].success == landings.success(OPERATOR[mid], sc.as_of), mid
    assert len(checked) >= 3
