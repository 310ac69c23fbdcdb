"""Every milestone on one date axis: the middle 80 % of its simulated dates, median, plan and target."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim.formats import day_text, percent
from sim.report.charts.inputs import ReportInputs
from sim.report.style import (
    BLUE,
    GREEN,
    GREY,
    INK,
    SKY,
    VERMILLION,
    Dates,
    Figure,
    as_of_marks,
    date_axis,
    esc,
    figure,
    milestone_labels,
    scatter,
    short,
    wrap,
)

if TYPE_CHECKING:
    from sim.analysis.results import Result


def milestone_hover(result: Result, mid: str) -> str:
    """Every number of one milestone, for the timeline's hover box (user text escaped)."""
    scenario = result.scenario
    spec = scenario.milestones[mid]
    dates = Dates(scenario)
    rows = [f"<b>{esc(spec.title)}</b> <span style='color:{GREY}'>({esc(mid)})</span>"]
    for p in (10, 50, 90):
        rows.append(f"P{p}: {day_text(scenario.date_of(result.percentile_days(mid, p)))}")
    plan = result.plan_of(mid)
    rows.append(f"Deterministic plan: {dates(plan) or 'never'}")
    if spec.target is not None:
        rows.append(f"Target: {dates(spec.target)} ({percent(result.p_by(mid, spec.target))} likely)")
    if spec.actual is not None:
        rows.append(f"Done (actual): {dates(spec.actual)}")
    rows.append(f"Done by the horizon: {percent(result.done_fraction(mid))}")
    if spec.source:
        rows.append("Source: " + wrap(short(spec.source, 300)))
    return "<br>".join(rows)


def _timeline_span(result: Result) -> tuple[float, float]:
    """Days from the earliest P10, plan, target or actual to the latest finite P90 or mark."""
    scenario = result.scenario
    days: list[float] = []
    for mid in result.milestone_ids:
        spec = scenario.milestones[mid]
        for value in (
            result.percentile_days(mid, 10),
            result.percentile_days(mid, 90) or result.percentile_days(mid, 50),
            result.plan_of(mid),
            spec.target,
            spec.actual,
        ):
            if value is not None and math.isfinite(value):
                days.append(value)
    if scenario.as_of_days is not None:
        days.append(scenario.as_of_days)
    if not days:
        return 0.0, scenario.horizon_days
    low, high = min(days), max(days)
    pad = max(60.0, 0.03 * (high - low))
    return low - pad, high + pad


@dataclass
class _Rows:
    """The timeline's points, one list per trace (x as dates, y as row labels; None breaks a line)."""

    bar_x: list[str | None] = field(default_factory=list)
    bar_y: list[str | None] = field(default_factory=list)
    open_x: list[str | None] = field(default_factory=list)
    open_y: list[str | None] = field(default_factory=list)
    mid_x: list[str | None] = field(default_factory=list)
    mid_y: list[str] = field(default_factory=list)
    mid_text: list[str] = field(default_factory=list)
    plan_x: list[str | None] = field(default_factory=list)
    plan_y: list[str] = field(default_factory=list)
    target_x: list[str | None] = field(default_factory=list)
    target_y: list[str] = field(default_factory=list)
    actual_x: list[str | None] = field(default_factory=list)
    actual_y: list[str] = field(default_factory=list)
    actual_text: list[str] = field(default_factory=list)
    done_x: list[str | None] = field(default_factory=list)
    done_y: list[str] = field(default_factory=list)
    done_text: list[str] = field(default_factory=list)


def _rows(result: Result, labels: dict[str, str], dates: Dates, right: float) -> _Rows:
    """Each milestone's row: its P10–P90 bar (or P10 onwards), P50, plan, target, actual, done share."""
    scenario = result.scenario
    rows = _Rows()
    for mid in result.milestone_ids:
        spec = scenario.milestones[mid]
        label = labels[mid]
        p10 = result.percentile_days(mid, 10)
        p50 = result.percentile_days(mid, 50)
        p90 = result.percentile_days(mid, 90)
        hover = milestone_hover(result, mid)
        if p10 is not None and p90 is not None:
            rows.bar_x += [dates(p10), dates(p90), None]
            rows.bar_y += [label, label, None]
        elif p10 is not None:
            rows.open_x += [dates(p10), dates(right), None]
            rows.open_y += [label, label, None]
        anchor = p50 if p50 is not None else (p10 if p10 is not None else None)
        rows.mid_x.append(dates(anchor) if anchor is not None else dates(right))
        rows.mid_y.append(label)
        rows.mid_text.append(hover)
        plan = result.plan_of(mid)
        if math.isfinite(plan):
            rows.plan_x.append(dates(plan))
            rows.plan_y.append(label)
        if spec.target is not None:
            rows.target_x.append(dates(spec.target))
            rows.target_y.append(label)
        if spec.actual is not None:
            rows.actual_x.append(dates(spec.actual))
            rows.actual_y.append(label)
            rows.actual_text.append(hover)
        done = result.done_fraction(mid)
        if done < 1.0:
            end = p90 if p90 is not None else right
            rows.done_x.append(dates(end))
            rows.done_y.append(label)
            rows.done_text.append(f"  {percent(done)} done")
    return rows


def _bars(rows: _Rows) -> list[dict[str, Any]]:
    """The P10–P90 bars and the open-ended ones whose P90 is never."""
    return [
        scatter(
            x=rows.bar_x,
            y=rows.bar_y,
            mode="lines",
            name="P10–P90 (8 runs in 10)",
            line={"color": SKY, "width": 12},
            hoverinfo="skip",
        ),
        scatter(
            x=rows.open_x,
            y=rows.open_y,
            mode="lines",
            name="P10 onwards (P90 is never)",
            line={"color": "#b3dcf3", "width": 12},
            hoverinfo="skip",
        ),
    ]


def _marks(rows: _Rows) -> list[dict[str, Any]]:
    """The plan, target, median and actual markers."""
    return [
        scatter(
            x=rows.plan_x,
            y=rows.plan_y,
            mode="markers",
            name="Deterministic plan",
            marker={"symbol": "diamond-open", "size": 11, "color": INK, "line": {"width": 2}},
            hovertemplate="plan %{x|%Y-%m-%d}<extra></extra>",
        ),
        scatter(
            x=rows.target_x,
            y=rows.target_y,
            mode="markers",
            name="Target",
            marker={
                "symbol": "line-ns-open",
                "size": 18,
                "color": VERMILLION,
                "line": {"width": 3, "color": VERMILLION},
            },
            hovertemplate="target %{x|%Y-%m-%d}<extra></extra>",
        ),
        scatter(
            x=rows.mid_x,
            y=rows.mid_y,
            mode="markers",
            name="Median (P50)",
            marker={
                "symbol": "circle",
                "size": 11,
                "color": BLUE,
                "line": {"width": 1.5, "color": "#ffffff"},
            },
            text=rows.mid_text,
            hovertemplate="%{text}<extra></extra>",
        ),
        scatter(
            x=rows.actual_x,
            y=rows.actual_y,
            mode="markers",
            name="Done (actual)",
            marker={
                "symbol": "star",
                "size": 14,
                "color": GREEN,
                "line": {"width": 1, "color": INK},
            },
            text=rows.actual_text,
            hovertemplate="%{text}<extra></extra>",
        ),
    ]


def _done_shares(rows: _Rows) -> list[dict[str, Any]]:
    """The share done by the horizon, beside each row not always done."""
    return [
        scatter(
            x=rows.done_x,
            y=rows.done_y,
            mode="text",
            text=rows.done_text,
            textposition="middle right",
            textfont={"color": VERMILLION, "size": 12},
            showlegend=False,
            hoverinfo="skip",
            cliponaxis=False,
        ),
    ]


def _layout(result: Result, labels: dict[str, str], x_range: list[str | None]) -> dict[str, Any]:
    mids = list(result.milestone_ids)
    shapes, notes = as_of_marks(result.scenario)
    return {
        "title": {
            "text": "Every milestone: the middle 80 % of simulated dates, median, plan and target",
            "x": 0,
            "xanchor": "left",
        },
        "height": max(260, 110 + 30 * len(mids)),
        "margin": {"t": 60, "r": 90},
        "xaxis": {
            **date_axis(),
            "side": "top",
            "range": x_range,
            "title": {"text": "Date"},
        },
        "yaxis": {
            "type": "category",
            "autorange": "reversed",
            "categoryorder": "array",
            "categoryarray": [labels[m] for m in mids],
            "showgrid": True,
        },
        "legend": {"orientation": "h", "x": 0, "y": 0, "xanchor": "left", "yanchor": "top"},
        "shapes": shapes,
        "annotations": notes,
        "hovermode": "closest",
    }


def timeline(result: Result) -> Figure:
    """One row per milestone in plan order: P10–P90 bar, P50, plan date, target, done share."""
    labels = milestone_labels(result.scenario, list(result.milestone_ids))
    dates = Dates(result.scenario)
    low, right = _timeline_span(result)
    rows = _rows(result, labels, dates, right)
    return figure(
        _bars(rows) + _marks(rows) + _done_shares(rows), _layout(result, labels, [dates(low), dates(right)])
    )


def figures(page: ReportInputs) -> dict[str, Figure]:
    return {"fig-timeline": timeline(page.result)}
