"""The report's main chart: P(done by date) of each milestone, one at a time, switched by a dropdown."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sim.analysis.aggregates import cdf
from sim.formats import percent
from sim.report.charts.inputs import ReportInputs
from sim.report.style import (
    BLUE,
    GREEN,
    INK,
    VERMILLION,
    Dates,
    Figure,
    Trace,
    as_of_marks,
    cdf_xy,
    date_axis,
    date_range,
    figure,
    menu,
    menu_height,
    probability_axis,
    reference_lines,
    scatter,
    scurve_buttons,
    scurve_title,
    view,
    vline_trace,
)

if TYPE_CHECKING:
    from sim.analysis.results import Result


def scurves(result: Result, order: Sequence[str]) -> Figure:
    """P(done by date) for each milestone in `order` (the first shown), switched by a dropdown.

    Each milestone brings its curve (plateauing at its done fraction), its target and its
    deterministic plan date as vertical lines, and a star where an `actual` date fixes it.
    """
    scenario = result.scenario
    traces: list[Trace] = []
    owner: list[int] = []
    for k, mid in enumerate(order):
        mine = _milestone_traces(result, mid, k == 0)
        traces += mine
        owner += [k] * len(mine)
    ranges = [date_range(view(result, mid)) for mid in order]
    buttons = scurve_buttons([scenario.milestones[mid].title for mid in order], owner, ranges)
    layout = _layout(result, order, ranges[0])
    if len(order) > 1:
        layout["updatemenus"] = menu(buttons, 0)
    return figure(traces, layout)


def _milestone_traces(result: Result, mid: str, shown: bool) -> list[Trace]:
    """One milestone's curve, its P50 and P80 points, target and plan lines and actual's star."""
    scenario = result.scenario
    spec = scenario.milestones[mid]
    dates = Dates(scenario)
    curve = cdf(result.distribution(mid))
    x, y = cdf_xy(curve, dates, scenario.horizon_days)
    name = "P(done by date)"
    if curve.done < 1.0:
        name += f": {percent(curve.done)} by the horizon"
    traces = [
        scatter(
            x=x,
            y=y,
            mode="lines",
            line={"color": BLUE, "width": 3, "shape": "hv"},
            name=name,
            hovertemplate="%{x|%Y-%m-%d}: %{y:.0%} likely done<extra></extra>",
            visible=shown,
        )
    ]
    traces += _percentile_points(result, mid, shown)
    if spec.target is not None:
        target = dates(spec.target)
        p = percent(result.p_by(mid, spec.target))
        assert target is not None
        traces.append(vline_trace(target, f"Target {target} ({p} likely)", VERMILLION, "dash", shown))
    plan = result.plan_of(mid)
    if math.isfinite(plan):
        label = dates(plan)
        assert label is not None
        traces.append(vline_trace(label, f"Deterministic plan {label}", INK, "dot", shown))
    if spec.actual is not None:
        traces.append(_actual_star(dates(spec.actual), shown))
    return traces


def _percentile_points(result: Result, mid: str, shown: bool) -> list[Trace]:
    """The P50 and P80 points on the curve, labelled with their months (none if never)."""
    dates = Dates(result.scenario)
    marks = [(p, result.percentile_days(mid, p)) for p in (50, 80)]
    marks = [(p, d) for p, d in marks if d is not None]
    if not marks:
        return []
    when = [dates(d) for _, d in marks]
    return [
        scatter(
            x=when,
            y=[p / 100 for p, _ in marks],
            mode="markers+text",
            marker={"color": BLUE, "size": 9, "line": {"color": "#ffffff", "width": 1.5}},
            # Left of the point: above a rising curve the plot is empty there.
            # To the month, as the headline gives them; left of the point where a plan or
            # target line does not run through it (the page moves it where one does).
            text=[f"P{p} {str(w)[:7]} " for (p, _), w in zip(marks, when, strict=True)],
            textposition="middle left",
            textfont={"color": INK, "size": 12},
            name="P50 and P80",
            # The hover box gives the day, whatever the label beside the point shows.
            customdata=[f"P{p} {w}" for (p, _), w in zip(marks, when, strict=True)],
            hovertemplate="%{customdata}<extra></extra>",
            visible=shown,
            cliponaxis=False,
        )
    ]


def _actual_star(done: str | None, shown: bool) -> Trace:
    return scatter(
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


def _layout(result: Result, order: Sequence[str], first_range: list[str]) -> dict[str, Any]:
    """The first milestone's title and date range, the probability axis, the status date's mark."""
    scenario = result.scenario
    shapes, notes = as_of_marks(scenario)
    return {
        "title": {
            "text": scurve_title(scenario.milestones[order[0]].title),
            "x": 0,
            "xanchor": "left",
            "y": 0.97,
            "yanchor": "top",
            "pad": {"l": 4},
        },
        "height": menu_height(len(order), 450),
        "margin": {"t": 82, "b": 36},
        "xaxis": {
            **date_axis(),
            "range": first_range,
            "autorange": False,
            "title": {"text": "Completion date"},
        },
        "yaxis": probability_axis(),
        "shapes": reference_lines() + shapes,
        "annotations": notes,
        "legend": {
            **legend_corner(scenario.as_of, first_range),
            "traceorder": "normal",
            "bordercolor": "#dddddd",
            "borderwidth": 1,
        },
        "hovermode": "closest",
    }


def legend_corner(as_of: dt.date | None, shown: list[str]) -> dict[str, Any]:
    """Where the legend sits inside the plot: top left, where a rising curve leaves room, unless
    the status date's line runs through the left half; then bottom right, clear of it."""
    if as_of is not None:
        low, high = (dt.date.fromisoformat(d) for d in shown)
        if (as_of - low).days < 0.5 * max((high - low).days, 1):
            return {"x": 0.99, "y": 0.02, "xanchor": "right", "yanchor": "bottom"}
    return {"x": 0.01, "y": 0.99, "xanchor": "left", "yanchor": "top"}


def figures(page: ReportInputs) -> dict[str, Figure]:
    return {"fig-scurve": scurves(page.result, page.order)}
