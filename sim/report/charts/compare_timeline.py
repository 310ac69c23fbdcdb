"""Several scenarios side by side on one date axis: P10 to P90 and median of each shared milestone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.report.charts.inputs import ComparisonInputs
from sim.report.charts.timeline import milestone_hover
from sim.report.style import (
    SERIES,
    Dates,
    Figure,
    Trace,
    date_axis,
    date_range,
    figure,
    milestone_labels,
    scatter,
)

if TYPE_CHECKING:
    from sim.analysis.results import Result


def compare_timeline(results: list[Result], names: list[str]) -> Figure:
    """P10–P90 and P50 of every shared milestone, one row per scenario within each milestone."""
    first = results[0]
    common = [m for m in first.milestone_ids if all(m in r.milestone_ids for r in results[1:])]
    labels = milestone_labels(first.scenario, common)
    # The axis spans the dates the runs reach: a P90 or median that is never (not by the horizon)
    # does not stretch it to the horizon; its bar runs off the right edge and its median sits
    # there as a "▶" (hover says never).
    reached = [
        d
        for r in results
        for mid in common
        for p in (10, 50, 90)
        if (d := r.scenario.date_of(r.percentile_days(mid, p))) is not None
    ]
    span = date_range(reached) if reached else None
    traces = []
    for j, (result, name) in enumerate(zip(results, names, strict=True)):
        traces += _scenario_traces(result, name, j, [(mid, labels[mid]) for mid in common], span)
    layout = {
        "title": {
            "text": "Every shared milestone, scenario by scenario (P10–P90 and median)",
            "x": 0,
            "xanchor": "left",
        },
        "height": max(280, 120 + 22 * len(common) * len(results)),
        "xaxis": {
            **date_axis(),
            "side": "top",
            "title": {"text": "Date"},
            **({"range": span, "autorange": False} if span is not None else {}),
        },
        "yaxis": {"type": "multicategory", "autorange": "reversed"},
        "legend": {"orientation": "h", "x": 0, "y": 0, "xanchor": "left", "yanchor": "top"},
        "hovermode": "closest",
    }
    return figure(traces, layout)


def _scenario_traces(
    result: Result, name: str, j: int, rows: list[tuple[str, str]], span: list[str] | None
) -> list[Trace]:
    """Scenario j's P10–P90 bars and medians, on the (milestone label, scenario name) rows."""
    dates = Dates(result.scenario)
    color = SERIES[j % len(SERIES)]
    bar_x: list[str | None] = []
    bar_y: list[list[str | None]] = [[], []]
    dot_x: list[str | None] = []
    dot_y: list[list[str | None]] = [[], []]
    dot_text: list[str] = []
    symbols: list[str] = []
    for mid, label in rows:
        p10 = result.percentile_days(mid, 10)
        p50 = result.percentile_days(mid, 50)
        p90 = result.percentile_days(mid, 90)
        if p10 is not None:
            end = p90 if p90 is not None else result.scenario.horizon_days
            bar_x += [dates(p10), dates(end), None]
            bar_y[0] += [label, label, None]
            bar_y[1] += [name, name, None]
        edge = span[1] if span is not None else dates(result.scenario.horizon_days)
        dot_x.append(dates(p50) if p50 is not None else edge)
        symbols.append("circle" if p50 is not None else "triangle-right")
        dot_y[0].append(label)
        dot_y[1].append(name)
        dot_text.append(f"<b>{name}</b><br>{milestone_hover(result, mid)}")
    return [
        scatter(
            x=bar_x,
            y=bar_y,
            mode="lines",
            name=f"{name}: P10–P90",
            line={"color": color, "width": 10},
            opacity=0.45,
            hoverinfo="skip",
            legendgroup=f"s{j}",
        ),
        scatter(
            x=dot_x,
            y=dot_y,
            mode="markers",
            name=f"{name}: median",
            marker={
                "color": color,
                "size": 10,
                "line": {"color": "#ffffff", "width": 1},
                "symbol": symbols,
            },
            cliponaxis=False,
            text=dot_text,
            hovertemplate="%{text}<extra></extra>",
            legendgroup=f"s{j}",
        ),
    ]


def figures(page: ComparisonInputs) -> dict[str, Figure]:
    return {"fig-compare-timeline": compare_timeline(page.results, page.names)}
