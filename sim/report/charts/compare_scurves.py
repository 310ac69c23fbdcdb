"""Several scenarios' P(done by date) overlaid, for each milestone they share."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sim.analysis.aggregates import cdf
from sim.report.charts.inputs import ComparisonInputs
from sim.report.style import (
    SERIES,
    Dates,
    Figure,
    Trace,
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
    views = _views(results)
    shared = views[0][0] is not None
    traces: list[Trace] = []
    owner: list[int] = []
    ranges = []
    for k, (_, per_result) in enumerate(views):
        ranges.append(date_range([d for r, m in zip(results, per_result, strict=True) for d in view(r, m)]))
        for j, (result, mid) in enumerate(zip(results, per_result, strict=True)):
            mine = _scenario_traces(result, mid, names[j], j, shared, k == 0, ranges[k])
            traces += mine
            owner += [k] * len(mine)
    titles = [title or "Headline milestones" for title, _ in views]
    buttons = scurve_buttons(titles, owner, ranges)
    layout = _layout(scurve_title(titles[0]) if shared else NO_SHARED_TITLE, len(views), ranges[0])
    if len(views) > 1:
        layout["updatemenus"] = menu(buttons, 0)
    return figure(traces, layout)


def _views(results: list[Result]) -> list[tuple[str | None, list[str]]]:
    """The dropdown's views: every shared milestone (the headline first) with its title, or one
    untitled view of each scenario's own headline when they share none."""
    first = results[0]
    common = [m for m in first.milestone_ids if all(m in r.milestone_ids for r in results[1:])]
    headline = first.scenario.headline
    if headline in common:
        common.remove(headline)
        common.insert(0, headline)
    views: list[tuple[str | None, list[str]]] = [
        (first.scenario.milestones[m].title, [m] * len(results)) for m in common
    ]
    return views or [(None, [r.scenario.headline for r in results])]


def _scenario_traces(
    result: Result, mid: str, name: str, j: int, shared: bool, shown: bool, shown_range: list[str]
) -> list[Trace]:
    """Scenario j's curve for milestone `mid`, and its target line labelled on the chart."""
    dates = Dates(result.scenario)
    curve = cdf(result.distribution(mid))
    x, y = cdf_xy(curve, dates, result.scenario.horizon_days)
    color = SERIES[j % len(SERIES)]
    traces = [
        scatter(
            x=x,
            y=y,
            mode="lines",
            name=name if shared else f"{name}: {esc(short(spec_title(result, mid), 50))}",
            visible=shown,
            line={"color": color, "width": 2.5, "shape": "hv"},
            hovertemplate=f"{in_template(name)}<br>%{{x|%Y-%m-%d}}: %{{y:.0%}}<extra></extra>",
        )
    ]
    target = result.scenario.milestones[mid].target
    if target is not None:
        t = dates(target)
        assert t is not None
        line = vline_trace(t, f"{name} target {t}", color, "dash", shown)
        # Labelled on the chart itself, staggered so that equal targets do not overprint,
        # on the side of the line with room: left of it, unless it is near the left edge.
        label_y = 0.97 - 0.08 * j
        left = label_side(t, shown_range) == "left"
        line.update(
            x=[t, t, t],
            y=[0, label_y, 1],
            mode="lines+text",
            text=["", f"{name} target " if left else f" {name} target", ""],
            textposition="middle left" if left else "middle right",
            textfont={"color": color, "size": 11},
            cliponaxis=False,
            showlegend=False,
            # On a phone the label is this word and the legend names the line in full.
            meta={"narrow": "target " if left else " target", "scenario": name, "date": t},
        )
        traces.append(line)
    return traces


def _layout(title: str, views: int, first_range: list[str]) -> dict[str, Any]:
    return {
        "title": {
            "text": title,
            "x": 0,
            "xanchor": "left",
            "y": 0.97,
            "yanchor": "top",
        },
        "height": menu_height(views, 480) + 44,
        # Room below the axis title for the legend, which sat on the title when inside the plot.
        "margin": {"t": 82, "b": 84},
        "xaxis": {
            **date_axis(),
            "range": first_range,
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


def figures(page: ComparisonInputs) -> dict[str, Figure]:
    return {"fig-compare-scurve": compare_scurves(page.results, page.names)}
