"""The backtest page: a forecast's scores in plain words, its calibration, and each scored milestone.

It reads the scores only through `Backtest.as_dict()`, so scores added there later appear on the
page (as "other scores") without a change here.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from sim.backtest import Backtest
from sim.report import figures, summaries
from sim.report.headline import percent
from sim.report.page import _page, provenance, report_name, slug

if TYPE_CHECKING:
    from sim.results import Result

PIT_BINS = 5

# Keys of as_dict() that the page explains itself; any other number there is shown as it comes.
_KNOWN = {"forecast", "outcome", "as_of", "brier", "plan_brier", "milestones"}


def backtest_name(result: Result, scores: Backtest, outcome_stem: str | None = None) -> str:
    """File stem of the page: backtest-<forecast>-vs-<outcome>."""
    return slug(f"backtest-{report_name(result.scenario)}-vs-{outcome_stem or scores.outcome}")


def _pit_histogram(rows: list[dict[str, Any]]) -> Any:
    """How many milestones' PITs fall in each fifth of [0, 1], against the count a calibrated
    forecast would put there."""
    counts = [0] * PIT_BINS
    names: list[list[str]] = [[] for _ in range(PIT_BINS)]
    for row in rows:
        k = min(int(row["pit"] * PIT_BINS), PIT_BINS - 1)
        counts[k] += 1
        names[k].append(figures.esc(figures.short(row["title"], 40)))
    centers = [(k + 0.5) / PIT_BINS for k in range(PIT_BINS)]
    expected = len(rows) / PIT_BINS
    hover = ["<br>".join(n) if n else "none" for n in names]
    data = [
        go.Bar(
            x=centers,
            y=counts,
            width=[0.95 / PIT_BINS] * PIT_BINS,
            marker={"color": figures.BLUE},
            name="milestones",
            customdata=hover,
            hovertemplate="PIT %{x:.1f} ± 0.1: %{y}<br>%{customdata}<extra></extra>",
        ),
        go.Scatter(
            x=[0, 1],
            y=[expected, expected],
            mode="lines",
            line={"color": figures.GREEN, "dash": "dash", "width": 2},
            name=f"calibrated: {expected:.1f} per bar",
            hoverinfo="skip",
        ),
    ]
    return figures._figure(
        data,
        {
            "title": {"text": "Actual dates in the forecast (PIT)"},
            "xaxis": {
                "title": {"text": "forecast P(done by the actual date)"},
                "range": [0, 1],
                "dtick": 0.2,
            },
            "yaxis": {"title": {"text": "milestones"}, "rangemode": "tozero", "dtick": 1},
            "bargap": 0.05,
            "height": 340,
            "legend": {"orientation": "h", "y": -0.3},
        },
    )


def _milestone_curve(result: Result, mid: str, row: dict[str, Any], as_of: dt.date) -> Any:
    """The forecast's P(done by date) for one milestone, the status date, and the actual date."""
    scenario = result.scenario
    dates = figures.Dates(scenario)
    curve = summaries.cdf(result.finish_of(mid))
    x, y = figures._cdf_xy(curve, dates, scenario.horizon_days)
    data: list[Any] = [
        go.Scatter(
            x=x,
            y=y,
            mode="lines",
            line={"shape": "hv", "color": figures.BLUE, "width": 2},
            name="forecast",
            hovertemplate="%{x|%Y-%m-%d}: %{y:.0%}<extra>forecast</extra>",
        )
    ]
    actual = row.get("actual")
    if actual is not None and row.get("pit") is not None:
        data.append(
            go.Scatter(
                x=[actual],
                y=[row["pit"]],
                mode="markers",
                marker={"symbol": "star", "size": 14, "color": figures.VERMILLION},
                name="actual",
                hovertemplate=f"actual {actual}: forecast gave {percent(row['pit'])} by then<extra></extra>",
            )
        )
    points = [*figures._view(result, mid), as_of]
    if actual is not None:
        points.append(dt.date.fromisoformat(actual))
    return figures._figure(
        data,
        {
            "title": {"text": figures.esc(figures.short(row["title"], 36)), "font": {"size": 14}},
            "xaxis": {"type": "date", "range": figures._date_range(points)},
            "yaxis": {"range": [0, 1.02], "tickformat": ".0%"},
            "shapes": [_as_of_line(as_of)],
            "showlegend": False,
            "height": 260,
            "margin": {"l": 48, "r": 16, "t": 40, "b": 36},
        },
    )


def _as_of_line(as_of: dt.date) -> dict[str, Any]:
    # No label on the chart: near either edge it would be cut off; the caption names the line.
    x = as_of.isoformat()
    return {
        "type": "line",
        "xref": "x",
        "x0": x,
        "x1": x,
        "yref": "paper",
        "y0": 0,
        "y1": 1,
        "line": {"color": figures.GREEN, "width": 1.5, "dash": "longdash"},
    }


def _status(row: dict[str, Any]) -> str:
    for key in ("status", "outcome_status"):
        if isinstance(row.get(key), str):
            return str(row[key])
    if row.get("removed") or row.get("failed"):
        return "failed or removed"
    return "done" if row.get("done_by_as_of") else "not done"


def _verdict(brier: float, plan: float) -> str:
    # Two decimals: a Brier score over a handful of milestones moves in the second decimal.
    if round(brier, 2) < round(plan, 2):
        return "better than taking the plan's dates as certain"
    if round(brier, 2) > round(plan, 2):
        return "worse than taking the plan's dates as certain"
    return "no different from taking the plan's dates as certain"


def backtest_html(result: Result, scores: Backtest, when: dt.datetime | None = None) -> str:
    """The full HTML of a backtest page for `scores`, computed from the forecast run `result`."""
    when = when or result.finished_at or dt.datetime.now(dt.timezone.utc)
    doc = scores.as_dict()
    as_of = dt.date.fromisoformat(str(doc["as_of"]))
    milestones: dict[str, dict[str, Any]] = dict(doc["milestones"])  # type: ignore[call-overload]
    rows = [{"id": mid, **row} for mid, row in milestones.items()]
    rows = [{**r, "status": _status(r)} for r in rows]
    pits = [r for r in rows if isinstance(r.get("pit"), (int, float)) and math.isfinite(r["pit"])]
    figs: dict[str, Any] = {}
    if pits:
        figs["fig-pit"] = _pit_histogram(pits)
    curves = []
    for k, row in enumerate(rows):
        if row["id"] in result.milestone_ids:
            fig_id = f"fig-bt-{k}"
            figs[fig_id] = _milestone_curve(result, row["id"], row, as_of)
            curves.append((fig_id, row))
    others = [
        (key, value)
        for key, value in doc.items()
        if key not in _KNOWN and isinstance(value, (int, float)) and not isinstance(value, bool)
    ]
    brier = float(doc["brier"])  # type: ignore[arg-type]
    plan_brier = float(doc["plan_brier"])  # type: ignore[arg-type]
    mean_pit = sum(r["pit"] for r in pits) / len(pits) if pits else None
    late = sum(r["pit"] > 0.8 for r in pits)
    context = {
        "title": f"Backtest: {doc['forecast']}",
        "forecast": doc["forecast"],
        "outcome": doc["outcome"],
        "as_of": as_of.isoformat(),
        "brier": brier,
        "plan_brier": plan_brier,
        "verdict": _verdict(brier, plan_brier),
        "pits": pits,
        "mean_pit": mean_pit,
        "late": late,
        "rows": rows,
        "curves": curves,
        "others": others,
        "provenance": provenance([result], when),
    }
    return _page("backtest.j2", context, figs)
