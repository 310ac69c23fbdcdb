"""The report's main chart: P(done by date) of each milestone, one at a time, switched by a dropdown."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import plotly.graph_objects as go

from sim.aggregates import cdf
from sim.report.charts.inputs import ReportInputs
from sim.report.headline import percent
from sim.report.style import (
    BLUE,
    GREEN,
    INK,
    VERMILLION,
    Dates,
    Figure,
    as_of_marks,
    cdf_xy,
    date_range,
    figure,
    menu,
    probability_axis,
    reference_lines,
    scurve_buttons,
    scurve_title,
    view,
    vline_trace,
)

if TYPE_CHECKING:
    from sim.results import Result


def scurves(result: Result, order: Sequence[str]) -> Figure:
    """P(done by date) for each milestone in `order` (the first shown), switched by a dropdown.

    Each milestone brings its curve (plateauing at its done fraction), its target and its
    deterministic plan date as vertical lines, and a star where an `actual` date fixes it.
    """
    scenario = result.scenario
    dates = Dates(scenario)
    edge = scenario.horizon_days
    traces: list[go.Scatter] = []
    owner: list[int] = []
    for k, mid in enumerate(order):
        spec = scenario.milestones[mid]
        shown = k == 0
        curve = cdf(result.finish_of(mid))
        x, y = cdf_xy(curve, dates, edge)
        name = "P(done by date)"
        if curve.done < 1.0:
            name += f": {percent(curve.done)} by the horizon"
        traces.append(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                line={"color": BLUE, "width": 3, "shape": "hv"},
                name=name,
                hovertemplate="%{x|%Y-%m-%d}: %{y:.0%} likely done<extra></extra>",
                visible=shown,
            )
        )
        owner.append(k)
        if spec.target is not None:
            target = dates(spec.target)
            p = percent(result.p_by(mid, spec.target))
            assert target is not None
            traces.append(vline_trace(target, f"Target {target} ({p} likely)", VERMILLION, "dash", shown))
            owner.append(k)
        plan = result.plan_of(mid)
        if math.isfinite(plan):
            label = dates(plan)
            assert label is not None
            traces.append(vline_trace(label, f"Deterministic plan {label}", INK, "dot", shown))
            owner.append(k)
        if spec.actual is not None:
            done = dates(spec.actual)
            traces.append(
                go.Scatter(
                    x=[done],
                    y=[1],
                    mode="markers",
                    marker={
                        "symbol": "star",
                        "size": 16,
                        "color": GREEN,
                        "line": {"color": INK, "width": 1},
                    },
                    name=f"Done {done} (actual)",
                    hovertemplate=f"Done on {done} (actual)<extra></extra>",
                    visible=shown,
                )
            )
            owner.append(k)
    ranges = [date_range(view(result, mid)) for mid in order]
    buttons = scurve_buttons([scenario.milestones[mid].title for mid in order], owner, ranges)
    shapes, notes = as_of_marks(scenario)
    layout = {
        "title": {
            "text": scurve_title(scenario.milestones[order[0]].title),
            "x": 0,
            "xanchor": "left",
            "y": 0.97,
            "yanchor": "top",
            "pad": {"l": 4},
        },
        "height": 450,
        "margin": {"t": 82, "b": 36},
        "xaxis": {"type": "date", "range": ranges[0], "autorange": False},
        "yaxis": probability_axis(),
        "shapes": reference_lines() + shapes,
        "annotations": notes,
        # Top left inside the plot: a rising curve leaves that corner empty.
        "legend": {
            "x": 0.01,
            "y": 0.99,
            "xanchor": "left",
            "yanchor": "top",
            "traceorder": "normal",
            "bordercolor": "#dddddd",
            "borderwidth": 1,
        },
        "hovermode": "closest",
    }
    if len(order) > 1:
        layout["updatemenus"] = menu(buttons, 0)
    return figure(traces, layout)


def figures(page: ReportInputs) -> dict[str, Figure]:
    return {"fig-scurve": scurves(page.result, page.order)}
