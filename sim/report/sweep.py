"""The sweep page: the headline's P(target), P50 and P80 against every swept value, and the table."""

from __future__ import annotations

import datetime as dt
import platform
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.analysis import summary
from sim.formats import day_text, month_text
from sim.report.charts.sweep_grid import sweep_figures, value_text
from sim.report.page import _page, report_name, slug
from sim.report.views import csv_data_uri

if TYPE_CHECKING:
    from sim.scenario.model import Scenario


def sweep_name(scenario: Scenario, keys: list[str]) -> str:
    """File stem of a sweep page: `sweep-<scenario>-<key paths>`."""
    return slug("sweep-" + report_name(scenario) + "-" + "-".join(keys))


def sweep_html(
    scenario: Scenario,
    keys: list[str],
    rows: list[dict[str, Any]],
    *,
    iterations: int,
    seed: int,
    seconds: float,
    csv_text: str,
    when: dt.datetime | None = None,
) -> str:
    """The full HTML of a sweep's page. `rows` are `sim.analysis.sweep.sweep`'s records (every milestone);
    the charts and the table show the headline's, dates counted from `scenario`'s start."""
    when = when or dt.datetime.now(dt.timezone.utc)
    head = scenario.headline
    spec = scenario.milestones[head]
    mine = [r for r in rows if r["milestone"] == head]
    figs = sweep_figures(scenario, keys, mine, spec.title)
    table = [
        {
            "variant": r["variant"],
            "values": [value_text(r[k]) for k in keys],
            "dates": [month_text(scenario.date_of(r[f"p{p}_days"])) for p in (10, 50, 80, 90)],
            "p_target": r["p_target"],
            "done": r["done_fraction"],
        }
        for r in mine
    ]
    context = {
        "title": f"Sweep: {scenario.name}",
        "scenario": scenario,
        "head_title": spec.title,
        "target": None if spec.target is None else day_text(scenario.date_of(spec.target)),
        "keys": keys,
        "table": table,
        "variant_count": len(mine),
        "charts": list(figs),
        "csv_uri": csv_data_uri(csv_text),
        "csv_name": f"{sweep_name(scenario, keys)}.csv",
        "iterations": iterations,
        "seed": seed,
        "seconds": seconds,
        "provenance": {
            "tool": summary.tool_version(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "when": when.strftime("%Y-%m-%d %H:%M UTC"),
        },
    }
    return _page("sweep.j2", context, figs)
