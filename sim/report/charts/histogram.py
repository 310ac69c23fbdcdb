"""Completion dates of the headline milestone in calendar bins, with the never share as its own bar."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from sim.analysis.aggregates import Histogram
from sim.analysis.aggregates import histogram as calendar_histogram
from sim.formats import month_text, percent
from sim.report.charts.inputs import ReportInputs
from sim.report.style import (
    BLUE,
    DAY_MS,
    INK,
    VERMILLION,
    Dates,
    Figure,
    bar,
    date_axis,
    date_range,
    esc,
    figure,
    short,
    vertical_line,
)

if TYPE_CHECKING:
    from sim.analysis.results import Result


def histogram(result: Result, mid: str) -> Figure:
    """Completion dates of one milestone in calendar bins, with the never share as its own bar."""
    scenario = result.scenario
    hist = calendar_histogram(result.distribution(mid), scenario)
    unit = {1: "month", 3: "quarter", 6: "half-year", 12: "year"}.get(
        hist.months_per_bin, f"{hist.months_per_bin // 12} years"
    )
    never_label = f"never by {scenario.horizon.isoformat()}"
    data = _bars(hist, unit, never_label)
    shapes, notes, axis_range = _marks(result, mid, hist)
    top = max([*hist.shares, 0.01])
    if hist.never > 1.6 * top:
        # A tall never bar would flatten the dated bars into a line; cut it at the top of the
        # scale and say so, rather than give it a scale of its own (which would mislead).
        notes.append(_cut_note(never_label, hist.never, top))
        del data[1]["text"]
    else:
        top = max(top, hist.never)
    title = esc(short(scenario.milestones[mid].title, 70))
    layout = _layout(
        f"When <b>{title}</b> is done, share of simulated runs per {unit}", hist, never_label, axis_range
    )
    layout["yaxis"]["range"] = [0, top * 1.18]
    return figure(data, {**layout, "shapes": shapes, "annotations": notes})


def _bars(hist: Histogram, unit: str, never_label: str) -> list[dict[str, Any]]:
    """One bar per calendar bin (its share of runs) and the never bar on an axis of its own."""
    middles = [s + (e - s) / 2 for s, e in zip(hist.starts, hist.ends, strict=True)]
    widths = [(e - s).days * DAY_MS * 0.92 for s, e in zip(hist.starts, hist.ends, strict=True)]
    labels = [
        f"{month_text(s)} to {month_text(e - dt.timedelta(days=1))}: {share:.1%} of runs"
        for s, e, share in zip(hist.starts, hist.ends, hist.shares, strict=True)
    ]
    return [
        bar(
            x=[m.isoformat() for m in middles],
            y=hist.shares,
            width=widths,
            marker={"color": BLUE},
            name=f"Done in that {unit}",
            text=labels,
            textposition="none",
            hovertemplate="%{text}<extra></extra>",
        ),
        bar(
            x=[never_label],
            y=[hist.never],
            xaxis="x2",
            marker={"color": VERMILLION},
            name="Never / not by the horizon",
            text=[percent(hist.never)],
            textposition="outside",
            cliponaxis=False,
            hovertemplate=f"{never_label}: %{{y:.1%}} of runs<extra></extra>",
        ),
    ]


def _marks(result: Result, mid: str, hist: Histogram) -> tuple[list[Any], list[Any], list[str] | None]:
    """The target and plan lines with their labels, and the date axis's range (bins and marks)."""
    scenario = result.scenario
    spec = scenario.milestones[mid]
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    marks = [
        (days, color, dash, label)
        for days, color, dash, label in (
            (spec.target, VERMILLION, "dash", "target"),
            (result.plan_of(mid), INK, "dot", "plan"),
        )
        if days is not None and math.isfinite(days)
    ]
    marks.sort(key=lambda mark: mark[0])
    marked = [d for d in (scenario.date_of(m[0]) for m in marks) if d is not None]
    axis_range = date_range([hist.starts[0], hist.ends[-1], *marked]) if hist.starts else None
    for k, (days, color, dash, label) in enumerate(marks):
        x = Dates(scenario)(days)
        shapes.append(vertical_line(x, color, dash))
        # Two labels side by side: the earlier reads leftwards, the later rightwards; a label
        # near either edge of the axis reads inwards, so it is never cut off.
        anchor = "right" if k == 0 and len(marks) > 1 else "left"
        if axis_range is not None:
            low, high = (dt.date.fromisoformat(d).toordinal() for d in axis_range)
            at = (dt.date.fromisoformat(str(x)).toordinal() - low) / max(high - low, 1)
            anchor = "left" if at < 0.3 else "right" if at > 0.7 else anchor
        text = f"{label} {x} " if anchor == "right" else f" {label} {x}"
        notes.append(
            {
                "x": x,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "text": text,
                "showarrow": False,
                "xanchor": anchor,
                "yanchor": "bottom",
                "font": {"color": color, "size": 12},
            }
        )
    return shapes, notes, axis_range


def _cut_note(never_label: str, never: float, top: float) -> dict[str, Any]:
    """The never share written at the top of its cut-off bar."""
    return {
        "x": never_label,
        "xref": "x2",
        "y": top * 1.18,
        "yref": "y",
        "text": f"<b>{percent(never)}</b><br>(bar cut off)",
        "showarrow": False,
        "yanchor": "top",
        "bgcolor": "#ffffff",
        "font": {"color": VERMILLION, "size": 12},
    }


def _layout(title: str, hist: Histogram, never_label: str, axis_range: list[str] | None) -> dict[str, Any]:
    """The date axis, the never bar's slot beside it and the share axis (its range the caller's)."""
    return {
        "title": {"text": title, "x": 0, "xanchor": "left"},
        "height": 380,
        "margin": {"t": 80},
        "showlegend": False,
        "bargap": 0,
        # The range is the bins' (and the marks'): autorange would start at an empty axis's 1970.
        "xaxis": {
            **date_axis(),
            "domain": [0, 0.86],
            "range": axis_range,
            "autorange": not hist.starts,
            "title": {"text": "Completion date"},
        },
        "xaxis2": {
            "type": "category",
            "domain": [0.9, 1.0],
            "anchor": "y",
            "showgrid": False,
            "tickfont": {"color": VERMILLION},
            # On two lines, so that it stays clear of the date axis's last label.
            "tickvals": [never_label],
            "ticktext": [never_label.replace(" by ", " by<br>")],
        },
        # On a phone the never bar gets a wider slot and a wider gap from the date axis.
        "meta": {"narrow": {"xaxis": {"domain": [0, 0.78]}, "xaxis2": {"domain": [0.84, 1.0]}}},
        "yaxis": {
            "tickformat": ".0%",
            "title": {"text": "Share of runs"},
        },
    }


def figures(page: ReportInputs) -> dict[str, Figure]:
    return {"fig-histogram": histogram(page.result, page.result.scenario.headline)}
