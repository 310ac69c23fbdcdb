"""HTML reports of simulation results: one self-contained, offline page per scenario or comparison.

Importing this package is cheap: plotly and jinja2 load only when a report is written, so the
command line starts quickly when it does not write one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.analysis.backtest import Backtest
    from sim.analysis.explain import Explanation
    from sim.analysis.results import Result
    from sim.analysis.trackrecord import TrackRecord
    from sim.scenario.model import Scenario

__all__ = [
    "write_backtest",
    "write_comparison",
    "write_explanation",
    "write_history",
    "write_report",
    "write_sweep",
    "write_track_record",
]


def write_report(result: Result, out_dir: Path, *, impacts: bool | None = None) -> Path:
    """Write `result`'s report to `out_dir/<scenario file stem>.html` atomically; return its path.

    The file embeds plotly.js and every figure's data, so it opens from disk with no network.
    `out_dir` is created if missing (its parent must exist); an existing report of the same name
    is replaced whole. `impacts`: show the exact risk and decision impacts (True), not (False),
    or when they are cheap to compute or already computed (None: `sim.analysis.impacts.by_default`).
    Raises OutputError when the report cannot be written there.
    """
    from sim.atomic import make_folder
    from sim.report import page

    make_folder(out_dir)
    path = Path(out_dir) / f"{page.report_name(result.scenario)}.html"
    return page.write(path, page.report_html(result, impacts=impacts))


def write_comparison(results: list[Result], out_dir: Path, title: str | None = None) -> Path:
    """Write one report overlaying `results`' S-curves and tables; return its path.

    The file is `out_dir/compare-<a>-vs-<b>….html`; `title` defaults to "Comparison: A vs B".
    Raises ValueError for an empty list, OutputError when the report cannot be written there.
    """
    from sim.atomic import make_folder
    from sim.report import page

    make_folder(out_dir)
    html = page.comparison_html(list(results), title)
    path = Path(out_dir) / f"{page.comparison_name(list(results))}.html"
    return page.write(path, html)


def write_backtest(result: Result, scores: Backtest, out_dir: Path, outcome_stem: str | None = None) -> Path:
    """Write the backtest page of `scores` (computed from the forecast run `result`); return its path.

    The file is `out_dir/backtest-<forecast>-vs-<outcome>.html` (`outcome_stem`, else the outcome's
    name): the scores in plain words, a PIT histogram, and each scored milestone's forecast S-curve
    with its actual date marked. `out_dir` is created as for `write_report`. Raises OutputError
    when the page cannot be written there.
    """
    from sim.atomic import make_folder
    from sim.report import backtest, page

    make_folder(out_dir)
    path = Path(out_dir) / f"{backtest.backtest_name(result, scores, outcome_stem)}.html"
    return page.write(path, backtest.backtest_html(result, scores))


def write_sweep(
    scenario: Scenario,
    keys: list[str],
    rows: list[dict[str, Any]],
    out_dir: Path,
    *,
    iterations: int,
    seed: int,
    seconds: float,
) -> Path:
    """Write the page of a sweep (`sim.analysis.sweep.sweep`'s records over `scenario`, swept at the key
    paths `keys`) to `out_dir/sweep-<scenario>-<keys>.html` atomically; return its path."""
    from sim.analysis.sweeptable import table_csv
    from sim.atomic import make_folder
    from sim.report import page, sweep

    make_folder(out_dir)
    path = Path(out_dir) / f"{sweep.sweep_name(scenario, keys)}.html"
    html = sweep.sweep_html(
        scenario, keys, rows, iterations=iterations, seed=seed, seconds=seconds, csv_text=table_csv(rows)
    )
    return page.write(path, html)


def write_explanation(explanation: Explanation, out_dir: Path) -> Path:
    """Write the page of `sim.analysis.explain.explain`'s result to
    `out_dir/explain-<old>-to-<new>.html` atomically; return its path."""
    from sim.atomic import make_folder
    from sim.report import explain, page

    make_folder(out_dir)
    path = Path(out_dir) / f"{explain.explain_name(explanation)}.html"
    return page.write(path, explain.explain_html(explanation))


def write_history(entries: list[dict[str, Any]], store: Path, out_dir: Path, stem: str) -> Path:
    """Write the history page (trend charts and table of `sim.analysis.history.runs`'s entries) to
    `out_dir/<stem>.html` atomically; return its path."""
    from sim.atomic import make_folder
    from sim.report import history, page

    make_folder(out_dir)
    return page.write(Path(out_dir) / f"{page.slug(stem)}.html", history.history_html(entries, str(store)))


def write_track_record(record: TrackRecord, runs: list[Result], out_dir: Path, last_stem: str) -> Path:
    """Write the track-record page of `record` (from `runs`, every snapshot's run, the latest
    last) to `out_dir/track-record-<last_stem>.html` atomically; return its path."""
    from sim.atomic import make_folder
    from sim.report import page, trackrecord

    make_folder(out_dir)
    path = Path(out_dir) / f"{trackrecord.track_record_name(record, last_stem)}.html"
    return page.write(path, trackrecord.track_record_html(record, runs))
