"""Several scenarios' P(done by date) overlaid, for each milestone they share."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sim.analysis.aggregates import cdf
from sim.report.charts.inputs import ComparisonInputs
from sim.report.style import (
    SERIES,
    Dates,
    Figure,
    cdf_xy,
    date_axis,
    date_range,
    esc,
    figure,
    in_template,
    menu,
    menu_height,
    probability_axis,
    reference_lines,
    scatter,
    scurve_buttons,
    scurve_title,
    short,
    view,
    vline_trace,
)

if TYPE_CHECKING:
    from sim.analysis.results import Result


NO_SHARED_TITLE = (
    "The scenarios share no milestone: how likely is each one's headline to be done by each date?"
)


def label_side(x: str, shown: list[str]) -> str:
    """Which side of a vertical line at date `x` its label goes, in a view showing the dates
    `shown` ([first, last]): "left", unless the line is in the left quarter, where a label
    left of it would run into the axis."""
    low, high, at = (dt.date.fromisoformat(d).toordinal() for d in (*shown, x))
    return "left" if (at - low) > 0.25 * max(high - low, 1) else "right"


def spec_title(result: Result, milestone: str) -> str:
    return result.scenario.milestones[milestone].title


def compare_scurves(results: list[Result], names: list[str]) -> Figure:
    """Each scenario's CDF overlaid, for every milestone id they share (a dropdown picks one).

    When they share none, a single view overlays each scenario's own headline milestone.
    """
    first = results[0]
    common = [m for m in first.milestone_ids if all(m in r.milestone_ids for r in results[1:])]
    headline = first.scenario.headline
    if headline in common:
        common.remove(headline)
        common.insert(0, headline)
    views: list[tuple[str, list[str]]] = [
        (first.scenario.milestones[m].title, [m] * len(results)) for m in common
    ]
    shared = bool(views)
    if not shared:
        views = [("Headline milestones", [r.scenario.headline for r in results])]
    traces = []
    owner = []
    ranges = []
    for k, (_, per_result) in enumerate(views):
        ranges.append(date_range([d for r, m in zip(results, per_result, strict=True) for d in view(r, m)]))
        for j, (result, mid) in enumerate(zip(results, per_result, strict=True)):
            dates = Dates(result.scenario)
            curve = cdf(result.distribution(mid))
            x, y = cdf_xy(curve, dates, result.scenario.horizon_days)
            color = SERIES[j % len(SERIES)]
            traces.append(
                scatter(
                    x=x,
                    y=y,
                    mode="lines",
                    name=names[j] if shared else f"{names[j]}: {esc(short(spec_title(result, mid), 50))}",
                    visible=k == 0,
                    line={"color": color, "width": 2.5, "shape": "hv"},
                    hovertemplate=f"{in_template(names[j])}<br>%{{x|%Y-%m-%d}}: %{{y:.0%}}<extra></extra>",
                )
            )
            owner.append(k)
            target = result.scenario.milestones[mid].target
            if target is not None:
                t = dates(target)
                assert t is not None
                label = f"{names[j]} target {t}"
                line = vline_trace(t, label, color, "dash", k == 0)
                # Labelled on the chart itself, staggered so that equal targets do not overprint,
                # on the side of the line with room: left of it, unless it is near the left edge.
                label_y = 0.97 - 0.08 * j
                left = label_side(t, ranges[k]) == "left"
                line.update(
                    x=[t, t, t],
                    y=[0, label_y, 1],
                    mode="lines+text",
                    text=["", f"{names[j]} target " if left else f" {names[j]} target", ""],
                    textposition="middle left" if left else "middle right",
                    textfont={"color": color, "size": 11},
                    cliponaxis=False,
                    showlegend=False,
                    # On a phone the label is this word and the legend names the line in full.
                    meta={"narrow": "target " if left else " target", "scenario": names[j], "date": t},
                )
                traces.append(line)
                owner.append(k)
    buttons = scurve_buttons([title for title, _ in views], owner, ranges)
    layout = {
        "title": {
            "text": scurve_title(views[0][0]) if shared else NO_SHARED_TITLE,
            "x": 0,
            "xanchor": "left",
            "y": 0.97,
            "yanchor": "top",
        },
        "height": menu_height(len(views), 480) + 44,
        # Room below the axis title for the legend, which sat on the title when inside the plot.
        "margin": {"t": 82, "b": 84},
        "xaxis": {
            **date_axis(),
            "range": ranges[0],
            "autorange": False,
            "title": {"text": "Completion date"},
        },
        "yaxis": probability_axis(),
        "shapes": reference_lines(),
        "showlegend": True,
        "legend": {
            "title": {"text": "Scenario "},
            "orientation": "h",
            "x": 0,
            "y": 0,
            "yref": "container",
            "xanchor": "left",
            "yanchor": "bottom",
            "traceorder": "normal",
        },
    }
    if len(views) > 1:
        layout["updatemenus"] = menu(buttons, 0)
    return figure(traces, layout)


def figures(page: ComparisonInputs) -> dict[str, Figure]:
    return {"fig-compare-scurve": compare_scurves(page.results, page.names)}
