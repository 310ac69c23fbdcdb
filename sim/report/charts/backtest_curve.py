"""The backtest page's per-milestone chart: the forecast's P(done by date), the status date and the actual."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sim.analysis.aggregates import cdf
from sim.formats import percent
from sim.report.style import (
    BLUE,
    GREEN,
    VERMILLION,
    Dates,
    cdf_xy,
    date_axis,
    date_range,
    esc,
    figure,
    scatter,
    short,
    vertical_line,
    view,
)

if TYPE_CHECKING:
    from sim.analysis.results import Result


def milestone_curve(result: Result, mid: str, row: dict[str, Any], as_of: dt.date) -> Any:
    """The forecast's P(done by date) for one milestone, the status date, and the actual date."""
    scenario = result.scenario
    dates = Dates(scenario)
    curve = cdf(result.distribution(mid))
    x, y = cdf_xy(curve, dates, scenario.horizon_days)
    data: list[Any] = [
        scatter(
            x=x,
            y=y,
            mode="lines",
            line={"shape": "hv", "color": BLUE, "width": 2},
            name="forecast",
            hovertemplate="%{x|%Y-%m-%d}: %{y:.0%}<extra>forecast</extra>",
        )
    ]
    actual = row.get("actual") if row.get("done_by_as_of") else None
    if actual is not None:
        gave = percent(row["p_by_actual"])
        data.append(
            scatter(
                x=[actual],
                y=[row["p_by_actual"]],
                mode="markers",
                marker={"symbol": "star", "size": 14, "color": VERMILLION},
                name="actual",
                hovertemplate=f"actual {actual}: forecast gave {gave} by then<extra></extra>",
            )
        )
    points = [*view(result, mid), as_of]
    if actual is not None:
        points.append(dt.date.fromisoformat(actual))
    return figure(
        data,
        {
            "title": {"text": esc(short(row["title"], 36)), "font": {"size": 14}},
            "xaxis": {**date_axis(), "range": date_range(points)},
            "yaxis": {"range": [0, 1.02], "tickformat": ".0%"},
            # No label on the chart: near either edge it would be cut off; the caption names the line.
            "shapes": [vertical_line(as_of.isoformat(), GREEN, "longdash", 1.5)],
            "showlegend": False,
            "height": 260,
            "margin": {"l": 48, "r": 16, "t": 40, "b": 36},
        },
    )
