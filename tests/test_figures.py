"""Every figure the pages embed is what plotly's own figure validation makes of it, byte for byte.

The report builds figures as plain JSON (plotly's Python objects cost more than the rest of a
report), so this is where a misspelt property, a value plotly.js would read differently (a named
colour scale) or a NumPy value that would not encode is caught.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest

import sim
from sim.analysis.backtest import backtest
from sim.analysis.sweep import parse_setting, sweep
from sim.analysis.sweeptable import table_csv
from sim.report.backtest import backtest_html
from sim.report.embedding import figure_json
from sim.report.page import comparison_html, report_html
from sim.report.sweep import sweep_html

ROOT = Path(__file__).resolve().parent.parent
WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)

HOSTILE = """
name: "<script>alert(1)</script> & %{x}"
start: 2025-01-01
horizon: 2060-01-01
headline: b
as_of: 2025-03-01
milestones:
  a: {title: "<b>A</b> & %{y} </script>", duration: {uniform: [100d, 400d]}, target: 2026-01-01,
      source: "x < y & z"}
  b: {title: "B \\u202e <img src=x onerror=alert(1)>", after: [a],
      duration: {triangular: [10d, 50d, 300d]}, target: 2026-06-01}
risks:
  r1:
    title: "<i>risk</i> & co"
    probability: 0.3
    effects:
      - milestones: [b]
        add: {uniform: [10d, 100d]}
"""


def embedded(html: str) -> dict[str, Any]:
    block = re.search(r'<script type="application/json" id="lunarsim-figures">(.*?)</script>', html, re.S)
    assert block is not None
    figures: dict[str, Any] = json.loads(block.group(1))
    return figures


def validated(fig: dict[str, Any]) -> dict[str, Any]:
    """The figure as plotly's Python objects validate and serialise it (raises on an unknown
    property or a bad value)."""
    out: dict[str, Any] = json.loads(figure_json(go.Figure(fig).to_plotly_json()))
    return out


def check(html: str) -> int:
    figures = embedded(html)
    assert figures
    for key, fig in figures.items():
        assert validated(fig) == fig, key
    return len(figures)


@pytest.fixture(scope="module")
def runs() -> dict[str, sim.Result]:
    names = ("ilrs-2022-announced", "ilrs-2022-china-alone", "tutorial-launch-campaign")
    return {n: sim.simulate(sim.load(ROOT / "scenarios" / f"{n}.yaml"), 600, 1, workers=1) for n in names}


def test_every_report_figure_is_valid_plotly(runs):
    for result in runs.values():
        check(report_html(result, WHEN, impacts=False))


def test_the_status_scenario_with_an_as_of_line_is_valid_plotly():
    result = sim.simulate(sim.load(ROOT / "scenarios" / "ilrs-2026-status.yaml"), 200, 1, workers=1)
    check(report_html(result, WHEN, impacts=False))


def test_comparison_figures_are_valid_plotly(runs):
    shared = [runs["ilrs-2022-announced"], runs["ilrs-2022-china-alone"]]
    assert check(comparison_html(shared, when=WHEN)) == 2
    check(comparison_html([runs["ilrs-2022-announced"], runs["tutorial-launch-campaign"]], when=WHEN))


def test_hostile_text_figures_are_valid_plotly(write, runs):
    result = sim.simulate(sim.load(write(HOSTILE)), 500, 1, workers=1)
    html = report_html(result, WHEN, impacts=False)
    check(html)
    check(comparison_html([result, runs["tutorial-launch-campaign"]], when=WHEN))
    # User text reaches the figures escaped (Plotly's text is HTML-like) and the block has no raw tag.
    block = re.search(r'id="lunarsim-figures">(.*?)</script>', html, re.S)
    assert block is not None and "<" not in block.group(1)
    assert "&lt;img src=x" in json.dumps(embedded(html))


@pytest.mark.parametrize(
    "sets",
    [
        ["risks.late-parts.probability=0.1,0.9"],
        ["milestones.build.duration=30d,2 months"],
        ["risks.late-parts.probability=0.1,0.9", "risks.test-anomaly.probability=0,1"],
    ],
)
def test_sweep_figures_are_valid_plotly(sets):
    path = ROOT / "scenarios" / "tutorial-launch-campaign.yaml"
    settings = [parse_setting(s) for s in sets]
    rows = sweep(path, settings, 200, 1, workers=1)
    keys = [s.column for s in settings]
    html = sweep_html(
        sim.load(path), keys, rows, iterations=200, seed=1, seconds=1.0, csv_text=table_csv(rows), when=WHEN
    )
    assert check(html) >= 2


def test_backtest_figures_are_valid_plotly(write):
    write(
        """
        name: forecast
        start: 2030-01-01
        horizon: 2040-01-01
        milestones:
          a: {title: "First <i>x</i>", duration: {uniform: [50d, 300d]}}
          b: {title: Second, duration: {uniform: [0d, 200d]}}
        """,
        "forecast.yaml",
    )
    outcome = write(
        """
        extends: forecast.yaml
        name: outcome
        as_of: 2030-05-31
        milestones:
          a: {actual: 2030-05-01}
        """,
        "outcome.yaml",
    )
    result = sim.simulate(sim.load(outcome.parent / "forecast.yaml"), 500, 1, workers=1)
    assert check(backtest_html(result, backtest(result, sim.load(outcome)), WHEN)) == 3


def test_figure_json_is_strict_json():
    import numpy as np

    data = {"y": np.array([1.5, np.nan]), "x": [float("inf"), dt.date(2030, 1, 2)], "n": np.int64(3)}
    text = figure_json(data)
    assert json.loads(text) == {"y": [1.5, None], "x": [None, "2030-01-02"], "n": 3}


def test_writing_a_report_loads_none_of_plotlys_python_figure_modules(tmp_path):
    scenario = ROOT / "scenarios" / "tutorial-launch-campaign.yaml"
    heavy = ("plotly.graph_obj", "plotly.io", "plotly.basedatatypes", "_plotly_utils.basevalidators")
    code = (
        "import pathlib, sys, sim\n"
        "from sim.report import write_report\n"
        f"result = sim.simulate(sim.load({str(scenario)!r}), 300, 1)\n"
        f"write_report(result, pathlib.Path({str(tmp_path)!r}), impacts=False)\n"
        f"print(sorted(m for m in sys.modules if m.startswith({heavy!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert (tmp_path / "tutorial-launch-campaign.html").stat().st_size > 4_000_000  # plotly.js inside


def test_tornado_labels_that_share_a_start_stay_short_and_apart():
    """A risk and its effect share their subject (the risk's title, longer than a phone's row
    label): their labels keep the subject's start and their (different) details, distinct,
    within the 48 characters a 390 px phone shows, and without a number or an id to tell
    them apart."""
    import numpy as np

    from sim.analysis.results import RandomInput
    from sim.report.charts.tornado import tornado

    risk = "A Long March 5 failure grounds China's heavy launcher"
    none = np.zeros(1)
    items = [
        (RandomInput("lm5", f"{risk}: occurs", "risk", none, risk, "occurs"), 0.3),
        (
            RandomInput(
                "lm5.add.3", f"{risk}: delays Chang'e-8 launches +3", "effect", none, risk,
                "delays Chang'e-8 launches +3",
            ),
            0.2,
        ),
    ]
    labels = list(tornado(items, "t")["data"][0]["y"])
    assert len(set(labels)) == 2
    assert all(len(label) <= 48 for label in labels), labels
    assert not any(label.endswith(")") or "lm5" in label for label in labels), labels


def test_explain_and_history_figures_are_valid_plotly(write, tmp_path):
    from sim.analysis.explain import explain
    from sim.analysis.history import record, runs
    from sim.report.explain import explain_html
    from sim.report.history import history_html

    old = write(HOSTILE, "old.yaml")
    new = write(HOSTILE.replace("[100d, 400d]", "[150d, 500d]"), "new.yaml")
    assert check(explain_html(explain(old, new, iterations=300), when=WHEN)) == 2
    store = tmp_path / "h.sqlite"
    for path in (old, new):
        result = sim.simulate(sim.load(path), 300, 1, workers=1)
        record(store, result.summary(str(path), impacts=False), {"name": "x"}, result.scenario.as_of)
    assert check(history_html(runs(store), str(store), when=WHEN)) == 1


def test_track_record_figures_are_valid_plotly(write):
    from sim.analysis.trackrecord import track_record
    from sim.report.trackrecord import track_record_html

    first = write(HOSTILE.replace("as_of: 2025-03-01", "as_of: 2025-01-01"), "first.yaml")
    later = write(HOSTILE.replace("as_of: 2025-03-01", "as_of: 2025-12-01"), "later.yaml")
    runs = [sim.simulate(sim.load(p), 300, 1, workers=1, stream=False) for p in (first, later)]
    # The same file dated twice: an outcome with no actuals scores every milestone as not done.
    html = track_record_html(track_record(runs[:1], runs[1]), runs, when=WHEN)
    assert check(html) == 2  # the trend and the calibration
