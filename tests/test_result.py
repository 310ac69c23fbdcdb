"""Result as a notebook reads it: summary, table, drivers, DataFrame, report, repr and HTML view."""

from __future__ import annotations

import builtins
import datetime as dt
from pathlib import Path

import pytest

import sim
from sim.analysis.summary import summary

CHAIN = """
    name: Two steps <b>&</b>
    start: 2030-01-01
    seed: 3
    milestones:
      a: {title: "First <i>", duration: 10d, target: 2030-01-11}
      b: {title: Second, duration: 20d, after: [a]}
"""


@pytest.fixture
def result(scenario):
    return sim.simulate(scenario(CHAIN), 50)


def test_table_is_one_plain_record_per_milestone_in_plan_order(result):
    # Fixed durations: a finishes at the end of day 10 (2030-01-11), b 20 days later.
    a, b = dt.date(2030, 1, 11), dt.date(2030, 1, 31)
    assert result.table() == [
        {"milestone": "a", "title": "First <i>", "headline": False, "p10": a,
         "p50": a, "p90": a, "target": a, "p_target": 1.0, "done": 1.0},
        {"milestone": "b", "title": "Second", "headline": True, "p10": b,
         "p50": b, "p90": b, "target": None, "p_target": None, "done": 1.0},
    ]  # fmt: skip


def test_summary_and_drivers_are_the_summary_json(result):
    assert result.summary() == summary(result)
    assert result.drivers() == summary(result)["drivers"]
    assert result.headline == "b" == result.summary()["headline"]  # the plan finishes b last


def test_to_pandas_wraps_the_table(result):
    pd = pytest.importorskip("pandas")
    frame = result.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.index) == ["a", "b"]
    assert frame.loc["b", "p50"] == pd.Timestamp("2030-01-31")
    assert str(frame["p50"].dtype).startswith("datetime64")


def test_to_pandas_tells_never_from_no_target(scenario):
    pd = pytest.importorskip("pandas")
    # `late` is done in about half the futures (uniform over 0-2000 days, horizon at day ~1000):
    # its P90 is never, while `early` has no target.
    text = """
        name: never and no target
        start: 2030-01-01
        horizon: 2032-09-27
        milestones:
          early: {duration: 10d}
          late: {after: [early], duration: {uniform: [0d, 2000d]}, target: 2031-01-01}
    """
    frame = sim.simulate(scenario(text), 400, seed=1).to_pandas()
    assert frame.loc["late", "p90_never"] and pd.isna(frame.loc["late", "p90"])
    assert not frame.loc["late", "p10_never"] and not pd.isna(frame.loc["late", "p_target"])
    assert pd.isna(frame.loc["early", "target"]) and pd.isna(frame.loc["early", "p_target"])
    assert not frame.loc["early", ["p10_never", "p50_never", "p90_never"]].any()


def test_notebook_view_rounds_as_the_terminal_does(scenario):
    from sim.formats import table_cells

    # Uniform over 1000 days, target at day 997: P(target) 0.998 reads "> 99 %", never "100%".
    text = """
        name: almost
        start: 2030-01-01
        milestones:
          a: {duration: {uniform: [0d, 1000d]}, target: 2032-09-24}
    """
    result = sim.simulate(scenario(text), 10_000, seed=1)
    html = result._repr_html_()
    (row,) = result.table()
    assert "> 99 %" in html and "100%" not in html
    assert all(f"<td>{cell}</td>" in html for cell in table_cells(row).values() if cell)


def test_to_pandas_without_pandas_says_how_to_install_it(result, monkeypatch):
    real = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("No module named 'pandas'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match=r"pip install 'lunarsim\[pandas\]'"):
        result.to_pandas()


def test_write_report_returns_the_written_path(result, tmp_path: Path):
    path = result.write_report(tmp_path / "out")
    assert path == tmp_path / "out" / "scenario.html"
    assert path.stat().st_size > 10_000


def test_repr_is_one_short_line(result):
    assert repr(result) == (
        "<Result 'Two steps <b>&</b>': 2 milestones, 50 iterations, seed 3, vector engine, 1 worker; "
        "headline 'b'>"
    )


def test_html_view_escapes_user_text(result):
    html = result._repr_html_()
    assert "<i>" not in html and "First &lt;i&gt;" in html
    assert "Two steps &lt;b&gt;&amp;&lt;/b&gt;" in html
    assert html.count("<tr>") == 3  # the header and one row per milestone


def test_a_run_carries_the_plan_it_executed(result):
    from sim.simulation.plan import compile_plan

    plan = result.compiled()
    assert plan is result.compiled_plan and plan.scenario is result.scenario
    again = compile_plan(result.scenario)
    assert (plan.ids, plan.links, plan.lags) == (again.ids, again.links, again.lags)


def test_the_table_and_a_sweep_row_are_one_record_in_two_shapes(scenario):
    from sim.analysis.records import SWEEP_COLUMNS, MilestoneRecord
    from sim.analysis.sweep import _stats

    text = """
        name: two shapes
        start: 2030-01-01
        horizon: 2032-09-27
        milestones:
          early: {duration: {uniform: [5d, 15d]}}
          late: {after: [early], duration: {uniform: [0d, 2000d]}, target: 2031-01-01}
    """
    result = sim.simulate(scenario(text), 400, seed=1)
    swept = {row["milestone"]: row for row in _stats(result)}
    for row in result.table():
        record = MilestoneRecord.of(result, row["milestone"])
        assert row == record.table_row()
        other = swept[row["milestone"]]
        assert tuple(other) == SWEEP_COLUMNS
        assert other["done_fraction"] == row["done"] and other["p_target"] == row["p_target"]
        assert [other[f"p{p}_date"] for p in (10, 50, 90)] == [row["p10"], row["p50"], row["p90"]]
        assert other["p90_days"] == result.percentile_days(row["milestone"], 90)
    assert swept["late"]["p90_date"] is None and swept["late"]["p90_days"] is None  # never
