"""The history page: for each scenario and headline in the store, the trend of its forecast
across the recorded runs, and every run in a table."""

from __future__ import annotations

import datetime as dt
import platform
from typing import Any

from sim.analysis import summary
from sim.report.charts.trend import stands_on, trend_figure
from sim.report.page import _page


def history_html(entries: list[dict[str, Any]], store: str, when: dt.datetime | None = None) -> str:
    """The full HTML of the history page over `lunarsim history --json`'s entries."""
    when = when or dt.datetime.now(dt.timezone.utc)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in entries:
        groups.setdefault((e["scenario"]["name"], e["headline"]["milestone"]), []).append(e)
    figs = {
        f"fig-trend-{i}": trend_figure(runs, f"{name}: {head}")
        for i, ((name, head), runs) in enumerate(groups.items(), start=1)
    }
    context = {
        "title": "Forecast history",
        "store": store,
        "groups": [
            {"name": name, "headline": head, "count": len(runs), "chart": chart}
            for ((name, head), runs), chart in zip(groups.items(), figs)
        ],
        "rows": [{**e, "stands_on": stands_on(e)} for e in entries],
        "charts": list(figs),
        "provenance": {
            "tool": summary.tool_version(),
            "python": platform.python_version(),
            "when": when.strftime("%Y-%m-%d %H:%M UTC"),
        },
    }
    return _page("history.j2", context, figs)
