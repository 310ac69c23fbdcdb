"""The report's Plotly figures, built from aggregates (never from every sample) as plain JSON dicts.

Plotly renders titles, legend names, tick labels and hover text as a small HTML dialect, so
every user-supplied string goes through `esc` before it enters a figure. The palette is
Okabe & Ito's (2008), which stays distinguishable under the common colour-vision deficiencies.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go

from sim.percentiles import percentile_of
from sim.report import summaries
from sim.report.headline import day_text, month_text, percent
from sim.scenario import Scenario

if TYPE_CHECKING:
    from sim.results import RandomInput, Result

BLUE = "#0072B2"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
INK = "#222222"
GREY = "#767676"
GRID = "#e6e6e6"
SERIES = (BLUE, ORANGE, GREEN, PURPLE, SKY, VERMILLION, INK, YELLOW)

FONT = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, '
    '"Noto Sans", "Liberation Sans", sans-serif'
)
DAY_MS = 86_400_000

Figure = dict[str, Any]

_TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": FONT, "size": 13, "color": INK},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "colorway": list(SERIES),
        "hoverlabel": {"font": {"family": FONT, "size": 13}, "align": "left"},
        "xaxis": {
            "gridcolor": GRID,
            "linecolor": "#999999",
            "ticks": "outside",
            "tickcolor": "#999999",
            "zeroline": False,
            "automargin": True,
        },
        "yaxis": {
            "gridcolor": GRID,
            "linecolor": "#999999",
            "zeroline": False,
            "automargin": True,
        },
        "legend": {"bgcolor": "rgba(255,255,255,0.85)"},
        "margin": {"l": 60, "r": 24, "t": 56, "b": 48},
    }
)


def esc(text: object) -> str:
    """Escape a user string for Plotly's HTML-like text (which decodes &amp; &lt; &gt; itself)."""
    return html.escape(str(text), quote=False)


def in_template(text: str) -> str:
    """Already-escaped text made safe inside a hovertemplate, where `%{...}` is substituted."""
    return text.replace("%{", "&#37;{")


def short(text: str, width: int = 60) -> str:
    """Truncate (before escaping) so long titles do not swamp a legend or a menu."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def short_middle(text: str, width: int = 60) -> str:
    """Truncate in the middle, keeping the end (where "= outcome" or "(risk)" sits)."""
    if len(text) <= width:
        return text
    tail = width // 3
    return text[: width - tail - 1].rstrip() + "…" + text[-tail:].lstrip()


def wrap(text: str, width: int = 70) -> str:
    """Escape and break long text for a hover box (Plotly wraps only at <br>)."""
    return "<br>".join(esc(line) for line in textwrap.wrap(text, width) or [""])


def _figure(data: list[Any], layout: dict[str, Any]) -> Figure:
    layout = {"template": _TEMPLATE, **layout}
    return go.Figure(data=data, layout=layout).to_plotly_json()


class Dates:
    """Day numbers of one scenario to the ISO date strings Plotly puts on date axes."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario

    def __call__(self, days: float | None) -> str | None:
        day = self.scenario.date_of(days)
        return None if day is None else day.isoformat()

    def many(self, days: Sequence[float | None]) -> list[str | None]:
        return [self(d) for d in days]


def _vline(x: str, name: str, color: str, dash: str, visible: bool) -> go.Scatter:
    return go.Scatter(
        x=[x, x],
        y=[0, 1],
        mode="lines",
        name=name,
        line={"color": color, "width": 2, "dash": dash},
        hovertemplate=f"{in_template(name)}<extra></extra>",
        visible=visible,
    )


def _reference_lines() -> list[dict[str, Any]]:
    """Faint horizontal lines at 50 % and 80 %, where readers look for the median and P80."""
    return [
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": level,
            "y1": level,
            "line": {"color": "#bbbbbb", "width": 1, "dash": "dot"},
            "layer": "below",
        }
        for level in (0.5, 0.8)
    ]


def _as_of_marks(scenario: Scenario) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if scenario.as_of is None:
        return [], []
    x = scenario.as_of.isoformat()
    shape = {
        "type": "line",
        "xref": "x",
        "x0": x,
        "x1": x,
        "yref": "paper",
        "y0": 0,
        "y1": 1,
        "line": {"color": GREEN, "width": 1.5, "dash": "longdash"},
    }
    note = {
        "x": x,
        "xref": "x",
        "y": 0,
        "yref": "paper",
        "text": f" as of {x}",
        "showarrow": False,
        "xanchor": "left",
        "yanchor": "bottom",
        "font": {"color": GREEN, "size": 12},
    }
    return [shape], [note]


def _cdf_xy(
    curve: summaries.Cdf, dates: Dates, extend_to: float | None
) -> tuple[list[str | None], list[float]]:
    """The CDF as step-plot points: from 0 at the first finish to the plateau at `extend_to`."""
    if not curve.days:
        return [], []
    days = [curve.days[0], *curve.days]
    p = [0.0, *curve.p]
    if extend_to is not None and extend_to > days[-1]:
        days.append(extend_to)
        p.append(curve.done)
    return dates.many(days), p


def _view(result: Result, mid: str) -> list[dt.date]:
    """Dates a chart of `mid` should show: the bulk of its finishes, its target, plan and actual.

    The bulk is the 0.5th to 99.5th percentile of the completed iterations, so one freak
    iteration decades out does not squash the curve; zooming out still shows it.
    """
    scenario = result.scenario
    x = result.finish_of(mid)
    finite = x[np.isfinite(x)]
    days: list[float] = []
    if finite.size:
        finite.sort()
        for p in (0.5, 99.5):
            v = percentile_of(finite, p, presorted=True)
            if v is not None:
                days.append(v)
    spec = scenario.milestones[mid]
    for extra in (spec.target, result.plan_of(mid), spec.actual, scenario.as_of_days):
        if extra is not None and math.isfinite(extra):
            days.append(float(extra))
    if not days:
        days = [0.0, scenario.horizon_days]
    out = [scenario.date_of(d) for d in days]
    return [d for d in out if d is not None]


def _date_range(points: Sequence[dt.date]) -> list[str]:
    """An axis range around `points`, padded by 3 % of the span (at least two months) each side."""
    low, high = min(points), max(points)
    pad = int(max(60.0, 0.03 * (high - low).days))
    # Clamped to the calendar Python knows (year 1 to 9999): a target may sit at either end.
    first = dt.date.fromordinal(max(low.toordinal() - pad, 1))
    last = dt.date.fromordinal(min(high.toordinal() + pad, dt.date.max.toordinal()))
    return [first.isoformat(), last.isoformat()]


def _menu(buttons: list[dict[str, Any]], active: int) -> list[dict[str, Any]]:
    return [
        {
            "type": "dropdown",
            "buttons": buttons,
            "active": active,
            "direction": "down",
            "showactive": True,
            "x": 0,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "bottom",
            "pad": {"t": 4, "b": 8},
            "bgcolor": "#ffffff",
            "bordercolor": "#999999",
            "font": {"size": 13},
        }
    ]


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
        curve = summaries.cdf(result.finish_of(mid))
        x, y = _cdf_xy(curve, dates, edge)
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
            traces.append(_vline(target, f"Target {target} ({p} likely)", VERMILLION, "dash", shown))
            owner.append(k)
        plan = result.plan_of(mid)
        if math.isfinite(plan):
            label = dates(plan)
            assert label is not None
            traces.append(_vline(label, f"Deterministic plan {label}", INK, "dot", shown))
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
    ranges = [_date_range(_view(result, mid)) for mid in order]
    buttons = [
        {
            "label": esc(short(scenario.milestones[mid].title)),
            "method": "update",
            "args": [
                {"visible": [o == k for o in owner]},
                {
                    "title.text": _scurve_title(scenario.milestones[mid].title),
                    "xaxis.range": ranges[k],
                    "xaxis.autorange": False,
                },
            ],
        }
        for k, mid in enumerate(order)
    ]
    shapes, notes = _as_of_marks(scenario)
    layout = {
        "title": {
            "text": _scurve_title(scenario.milestones[order[0]].title),
            "x": 0,
            "xanchor": "left",
            "y": 0.97,
            "yanchor": "top",
            "pad": {"l": 4},
        },
        "height": 450,
        "margin": {"t": 82, "b": 36},
        "xaxis": {"type": "date", "range": ranges[0], "autorange": False},
        "yaxis": {
            "title": {"text": "Likelihood done by then"},
            "tickformat": ".0%",
            "range": [0, 1.03],
            "dtick": 0.2,
        },
        "shapes": _reference_lines() + shapes,
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
        layout["updatemenus"] = _menu(buttons, 0)
    return _figure(traces, layout)


def _scurve_title(title: str) -> str:
    return f"How likely is <b>{esc(short(title, 70))}</b> to be done by each date?"


def histogram(result: Result, mid: str) -> Figure:
    """Completion dates of one milestone in calendar bins, with the never share as its own bar."""
    scenario = result.scenario
    spec = scenario.milestones[mid]
    hist = summaries.histogram(result.finish_of(mid), scenario)
    unit = {1: "month", 3: "quarter", 6: "half-year", 12: "year"}.get(
        hist.months_per_bin, f"{hist.months_per_bin // 12} years"
    )
    middles = [s + (e - s) / 2 for s, e in zip(hist.starts, hist.ends, strict=True)]
    widths = [(e - s).days * DAY_MS * 0.92 for s, e in zip(hist.starts, hist.ends, strict=True)]
    labels = [
        f"{month_text(s)} to {month_text(e - dt.timedelta(days=1))}: {share:.1%} of runs"
        for s, e, share in zip(hist.starts, hist.ends, hist.shares, strict=True)
    ]
    never_label = f"never by {scenario.horizon.isoformat()}"
    data = [
        go.Bar(
            x=[m.isoformat() for m in middles],
            y=hist.shares,
            width=widths,
            marker={"color": BLUE},
            name=f"Done in that {unit}",
            text=labels,
            textposition="none",
            hovertemplate="%{text}<extra></extra>",
        ),
        go.Bar(
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
    for k, (days, color, dash, label) in enumerate(marks):
        x = Dates(scenario)(days)
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "x0": x,
                "x1": x,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": color, "width": 2, "dash": dash},
            }
        )
        # Two labels side by side: the earlier reads leftwards, the later rightwards.
        anchor = "right" if k == 0 and len(marks) > 1 else "left"
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
    top = max([*hist.shares, 0.01])
    if hist.never > 1.6 * top:
        # A tall never bar would flatten the dated bars into a line; cut it at the top of the
        # scale and say so, rather than give it a scale of its own (which would mislead).
        notes.append(
            {
                "x": never_label,
                "xref": "x2",
                "y": top * 1.18,
                "yref": "y",
                "text": f"<b>{percent(hist.never)}</b><br>(bar cut off)",
                "showarrow": False,
                "yanchor": "top",
                "bgcolor": "#ffffff",
                "font": {"color": VERMILLION, "size": 12},
            }
        )
        data[1].text = None
    else:
        top = max(top, hist.never)
    layout = {
        "title": {
            "text": f"When <b>{esc(short(spec.title, 70))}</b> is done, share of simulated runs per {unit}",
            "x": 0,
            "xanchor": "left",
        },
        "height": 380,
        "margin": {"t": 80},
        "showlegend": False,
        "bargap": 0,
        "xaxis": {"type": "date", "domain": [0, 0.86], "title": {"text": "Completion date"}},
        "xaxis2": {
            "type": "category",
            "domain": [0.9, 1.0],
            "anchor": "y",
            "showgrid": False,
            "tickfont": {"color": VERMILLION},
        },
        "yaxis": {
            "tickformat": ".0%",
            "title": {"text": "Share of runs"},
            "range": [0, top * 1.18],
        },
        "shapes": shapes,
        "annotations": notes,
    }
    return _figure(data, layout)


def _labels(scenario: Scenario, mids: Sequence[str]) -> dict[str, str]:
    """Axis labels for milestones: their titles, with the id added where titles repeat."""
    titles = [scenario.milestones[m].title for m in mids]
    return {
        m: esc(short(t, 48) if titles.count(t) == 1 else f"{short(t, 40)} ({m})")
        for m, t in zip(mids, titles, strict=True)
    }


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


def timeline(result: Result) -> Figure:
    """One row per milestone in plan order: P10–P90 bar, P50, plan date, target, done share."""
    scenario = result.scenario
    mids = list(result.milestone_ids)
    labels = _labels(scenario, mids)
    dates = Dates(scenario)
    low, right = _timeline_span(result)
    bar_x: list[str | None] = []
    bar_y: list[str | None] = []
    open_x: list[str | None] = []
    open_y: list[str | None] = []
    mid_x, mid_y, mid_text = [], [], []
    plan_x, plan_y, target_x, target_y, actual_x, actual_y = [], [], [], [], [], []
    done_x, done_y, done_text = [], [], []
    actual_text: list[str] = []
    for mid in mids:
        spec = scenario.milestones[mid]
        label = labels[mid]
        p10 = result.percentile_days(mid, 10)
        p50 = result.percentile_days(mid, 50)
        p90 = result.percentile_days(mid, 90)
        hover = milestone_hover(result, mid)
        if p10 is not None and p90 is not None:
            bar_x += [dates(p10), dates(p90), None]
            bar_y += [label, label, None]
        elif p10 is not None:
            open_x += [dates(p10), dates(right), None]
            open_y += [label, label, None]
        anchor = p50 if p50 is not None else (p10 if p10 is not None else None)
        mid_x.append(dates(anchor) if anchor is not None else dates(right))
        mid_y.append(label)
        mid_text.append(hover)
        plan = result.plan_of(mid)
        if math.isfinite(plan):
            plan_x.append(dates(plan))
            plan_y.append(label)
        if spec.target is not None:
            target_x.append(dates(spec.target))
            target_y.append(label)
        if spec.actual is not None:
            actual_x.append(dates(spec.actual))
            actual_y.append(label)
            actual_text.append(hover)
        done = result.done_fraction(mid)
        if done < 1.0:
            end = p90 if p90 is not None else right
            done_x.append(dates(end))
            done_y.append(label)
            done_text.append(f"  {percent(done)} done")
    data = [
        go.Scatter(
            x=bar_x,
            y=bar_y,
            mode="lines",
            name="P10–P90 (8 runs in 10)",
            line={"color": SKY, "width": 12},
            hoverinfo="skip",
        ),
        go.Scatter(
            x=open_x,
            y=open_y,
            mode="lines",
            name="P10 onwards (P90 is never)",
            line={"color": "#b3dcf3", "width": 12},
            hoverinfo="skip",
        ),
        go.Scatter(
            x=plan_x,
            y=plan_y,
            mode="markers",
            name="Deterministic plan",
            marker={"symbol": "diamond-open", "size": 11, "color": INK, "line": {"width": 2}},
            hovertemplate="plan %{x|%Y-%m-%d}<extra></extra>",
        ),
        go.Scatter(
            x=target_x,
            y=target_y,
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
        go.Scatter(
            x=mid_x,
            y=mid_y,
            mode="markers",
            name="Median (P50)",
            marker={
                "symbol": "circle",
                "size": 11,
                "color": BLUE,
                "line": {"width": 1.5, "color": "#ffffff"},
            },
            text=mid_text,
            hovertemplate="%{text}<extra></extra>",
        ),
        go.Scatter(
            x=actual_x,
            y=actual_y,
            mode="markers",
            name="Done (actual)",
            marker={
                "symbol": "star",
                "size": 14,
                "color": GREEN,
                "line": {"width": 1, "color": INK},
            },
            text=actual_text,
            hovertemplate="%{text}<extra></extra>",
        ),
        go.Scatter(
            x=done_x,
            y=done_y,
            mode="text",
            text=done_text,
            textposition="middle right",
            textfont={"color": VERMILLION, "size": 12},
            showlegend=False,
            hoverinfo="skip",
            cliponaxis=False,
        ),
    ]
    shapes, notes = _as_of_marks(scenario)
    layout = {
        "title": {
            "text": "Every milestone: the middle 80 % of simulated dates, median, plan and target",
            "x": 0,
            "xanchor": "left",
        },
        "height": max(260, 110 + 30 * len(mids)),
        "margin": {"t": 60, "r": 90},
        "xaxis": {"type": "date", "side": "top", "range": [dates(low), dates(right)]},
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
    return _figure(data, layout)


KIND_NAMES = {
    "duration": "duration",
    "lag": "wait after a predecessor",
    "attempts": "failed attempts",
    "retry": "time to try again",
    "effect": "size of an effect",
    "hold": "resource hold",
    "risk": "risk occurs",
    "decision": "decision outcome",
}


def tornado(ranked: list[tuple[RandomInput, float]], title: str, top: int = 15) -> Figure:
    """Horizontal bars of Spearman's rho for the `top` inputs, the strongest at the top."""
    shown = ranked[:top]
    labels = [esc(short_middle(item.label, 60)) for item, _ in shown]
    # Repeated labels would merge on a category axis; the id keeps them apart.
    labels = [
        lab if labels.count(lab) == 1 else f"{lab} ({esc(item.id)})"
        for lab, (item, _) in zip(labels, shown, strict=True)
    ]
    rho = [r for _, r in shown]
    hover = [
        f"<b>{wrap(item.label)}</b><br>{KIND_NAMES.get(item.kind, item.kind)}<br>"
        f"Spearman rank correlation: {r:+.2f}<br>"
        + ("higher → later" if r > 0 else "higher → earlier" if r < 0 else "no effect seen")
        for lab, (item, r) in zip(labels, shown, strict=True)
    ]
    data = [
        go.Bar(
            x=rho,
            y=labels,
            orientation="h",
            marker={"color": [VERMILLION if r > 0 else BLUE for r in rho]},
            text=[f"{r:+.2f}" for r in rho],
            textposition="outside",
            cliponaxis=False,
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
            name="rank correlation",
        )
    ]
    layout = {
        "title": {"text": title, "x": 0, "xanchor": "left"},
        "height": max(240, 110 + 26 * len(shown)),
        "showlegend": False,
        "margin": {"t": 60, "r": 40},
        "xaxis": {
            "range": [-1.1, 1.1],
            "zeroline": True,
            "zerolinecolor": "#999999",
            "title": {"text": "Spearman rank correlation with the completion date (right: makes it later)"},
        },
        "yaxis": {"type": "category", "autorange": "reversed"},
    }
    return _figure(data, layout)


def criticality(result: Result, shares: dict[str, float], headline: str) -> Figure:
    """Share of runs in which each milestone lay on the path that set the headline's date."""
    scenario = result.scenario
    mids = [m for m in result.milestone_ids if shares.get(m, 0.0) > 0.0]
    labels = _labels(scenario, mids)
    values = [shares[m] for m in mids]
    data = [
        go.Bar(
            x=values,
            y=[labels[m] for m in mids],
            orientation="h",
            marker={"color": [INK if m == headline else ORANGE for m in mids]},
            text=[percent(v) for v in values],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: on the driving path in %{x:.1%} of runs<extra></extra>",
            name="criticality",
        )
    ]
    layout = {
        "title": {
            "text": "Criticality: how often each milestone set the pace of "
            f"<b>{esc(short(scenario.milestones[headline].title, 60))}</b>",
            "x": 0,
            "xanchor": "left",
        },
        "height": max(220, 110 + 26 * len(mids)),
        "showlegend": False,
        "margin": {"t": 60, "r": 50},
        "xaxis": {"range": [0, 1.08], "tickformat": ".0%", "title": {"text": "Share of runs"}},
        "yaxis": {"type": "category", "autorange": "reversed"},
    }
    return _figure(data, layout)


def conditioned(result: Result, headline: str, groups: list[tuple[str, np.ndarray]], title: str) -> Figure:
    """The headline's CDF within each group of iterations (a mask per group) and overall."""
    scenario = result.scenario
    dates = Dates(scenario)
    edge = scenario.horizon_days
    x_all = result.finish_of(headline)
    traces = []
    for k, (name, mask) in enumerate(groups):
        curve = summaries.cdf(x_all[mask])
        x, y = _cdf_xy(curve, dates, edge)
        traces.append(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                name=name,
                line={"color": SERIES[k % len(SERIES)], "width": 2.5, "shape": "hv"},
                hovertemplate=f"{in_template(name)}<br>%{{x|%Y-%m-%d}}: %{{y:.0%}}<extra></extra>",
            )
        )
    x, y = _cdf_xy(summaries.cdf(x_all), dates, edge)
    traces.append(
        go.Scatter(
            x=x,
            y=y,
            mode="lines",
            name="All runs",
            line={"color": GREY, "width": 1.5, "dash": "dash", "shape": "hv"},
            hovertemplate="All runs<br>%{x|%Y-%m-%d}: %{y:.0%}<extra></extra>",
        )
    )
    spec = scenario.milestones[headline]
    shapes = _reference_lines()
    if spec.target is not None:
        t = dates(spec.target)
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "x0": t,
                "x1": t,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": VERMILLION, "width": 2, "dash": "dash"},
            }
        )
    layout = {
        "title": {"text": title, "x": 0, "xanchor": "left"},
        "height": 380,
        "margin": {"t": 60},
        "xaxis": {
            "type": "date",
            "range": _date_range(_view(result, headline)),
            "autorange": False,
        },
        "yaxis": {
            "tickformat": ".0%",
            "range": [0, 1.03],
            "dtick": 0.2,
            "title": {"text": "Likelihood done by then"},
        },
        "shapes": shapes,
        "legend": {"x": 0.01, "y": 0.99, "xanchor": "left", "yanchor": "top"},
    }
    return _figure(traces, layout)


def convergence(result: Result, mid: str) -> Figure:
    """Running P50 and P80 of `mid` against iterations (log axis) with 95 % bands."""
    scenario = result.scenario
    dates = Dates(scenario)
    runs = summaries.convergence(result.finish_of(mid))
    traces = []
    for p, color, fill in (
        (50, BLUE, "rgba(0,114,178,0.18)"),
        (80, ORANGE, "rgba(230,159,0,0.22)"),
    ):
        points = runs[p]
        n = [pt.iterations for pt in points]
        traces.append(
            go.Scatter(
                x=n,
                y=dates.many([pt.low for pt in points]),
                mode="lines",
                line={"width": 0, "color": color},
                showlegend=False,
                hoverinfo="skip",
                legendgroup=f"p{p}",
            )
        )
        traces.append(
            go.Scatter(
                x=n,
                y=dates.many([pt.high for pt in points]),
                mode="lines",
                line={"width": 0, "color": color},
                fill="tonexty",
                fillcolor=fill,
                name=f"P{p} 95 % band",
                hoverinfo="skip",
                legendgroup=f"p{p}",
            )
        )
        traces.append(
            go.Scatter(
                x=n,
                y=dates.many([pt.estimate for pt in points]),
                mode="lines+markers",
                line={"color": color, "width": 2},
                marker={"size": 5},
                name=f"P{p}",
                legendgroup=f"p{p}",
                hovertemplate=f"P{p} after %{{x:,}} runs: %{{y|%Y-%m-%d}}<extra></extra>",
            )
        )
    layout = {
        "title": {
            "text": "Did the run settle? P50 and P80 of "
            f"<b>{esc(short(scenario.milestones[mid].title, 60))}</b> "
            "as runs accumulate",
            "x": 0,
            "xanchor": "left",
        },
        "height": 380,
        "margin": {"t": 60},
        "xaxis": {"type": "log", "title": {"text": "Iterations so far"}},
        "yaxis": {"type": "date", "title": {"text": "Date"}},
        "legend": {"orientation": "h", "x": 0, "y": -0.2, "xanchor": "left", "yanchor": "top"},
        "hovermode": "closest",
    }
    return _figure(traces, layout)


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
    if not views:
        views = [("Headline milestones", [r.scenario.headline for r in results])]
    traces = []
    owner = []
    ranges = []
    for k, (_, per_result) in enumerate(views):
        ranges.append(_date_range([d for r, m in zip(results, per_result, strict=True) for d in _view(r, m)]))
        for j, (result, mid) in enumerate(zip(results, per_result, strict=True)):
            dates = Dates(result.scenario)
            curve = summaries.cdf(result.finish_of(mid))
            x, y = _cdf_xy(curve, dates, result.scenario.horizon_days)
            color = SERIES[j % len(SERIES)]
            traces.append(
                go.Scatter(
                    x=x,
                    y=y,
                    mode="lines",
                    name=names[j],
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
                traces.append(_vline(t, f"Target {t} ({names[j]})", color, "dash", k == 0))
                traces[-1].showlegend = False
                owner.append(k)
    buttons = [
        {
            "label": esc(short(title)),
            "method": "update",
            "args": [
                {"visible": [o == k for o in owner]},
                {
                    "title.text": _scurve_title(title),
                    "xaxis.range": ranges[k],
                    "xaxis.autorange": False,
                },
            ],
        }
        for k, (title, _) in enumerate(views)
    ]
    layout = {
        "title": {
            "text": _scurve_title(views[0][0]),
            "x": 0,
            "xanchor": "left",
            "y": 0.97,
            "yanchor": "top",
        },
        "height": 480,
        "margin": {"t": 82, "b": 40},
        "xaxis": {"type": "date", "range": ranges[0], "autorange": False},
        "yaxis": {
            "title": {"text": "Likelihood done by then"},
            "tickformat": ".0%",
            "range": [0, 1.03],
            "dtick": 0.2,
        },
        "shapes": _reference_lines(),
        "legend": {
            "orientation": "h",
            "x": 0,
            "y": -0.09,
            "xanchor": "left",
            "yanchor": "top",
            "traceorder": "normal",
        },
    }
    if len(views) > 1:
        layout["updatemenus"] = _menu(buttons, 0)
    return _figure(traces, layout)


def compare_timeline(results: list[Result], names: list[str]) -> Figure:
    """P10–P90 and P50 of every shared milestone, one row per scenario within each milestone."""
    first = results[0]
    common = [m for m in first.milestone_ids if all(m in r.milestone_ids for r in results[1:])]
    labels = _labels(first.scenario, common)
    traces = []
    for j, (result, name) in enumerate(zip(results, names, strict=True)):
        dates = Dates(result.scenario)
        color = SERIES[j % len(SERIES)]
        bar_x: list[str | None] = []
        bar_y: list[list[str | None]] = [[], []]
        dot_x: list[str | None] = []
        dot_y: list[list[str | None]] = [[], []]
        dot_text: list[str] = []
        for mid in common:
            p10 = result.percentile_days(mid, 10)
            p50 = result.percentile_days(mid, 50)
            p90 = result.percentile_days(mid, 90)
            if p10 is not None:
                end = p90 if p90 is not None else result.scenario.horizon_days
                bar_x += [dates(p10), dates(end), None]
                bar_y[0] += [labels[mid], labels[mid], None]
                bar_y[1] += [name, name, None]
            dot_x.append(dates(p50) if p50 is not None else dates(result.scenario.horizon_days))
            dot_y[0].append(labels[mid])
            dot_y[1].append(name)
            dot_text.append(f"<b>{name}</b><br>{milestone_hover(result, mid)}")
        traces.append(
            go.Scatter(
                x=bar_x,
                y=bar_y,
                mode="lines",
                name=f"{name}: P10–P90",
                line={"color": color, "width": 10},
                opacity=0.45,
                hoverinfo="skip",
                legendgroup=f"s{j}",
            )
        )
        traces.append(
            go.Scatter(
                x=dot_x,
                y=dot_y,
                mode="markers",
                name=f"{name}: median",
                marker={"color": color, "size": 10, "line": {"color": "#ffffff", "width": 1}},
                text=dot_text,
                hovertemplate="%{text}<extra></extra>",
                legendgroup=f"s{j}",
            )
        )
    layout = {
        "title": {
            "text": "Every shared milestone, scenario by scenario (P10–P90 and median)",
            "x": 0,
            "xanchor": "left",
        },
        "height": max(280, 120 + 22 * len(common) * len(results)),
        "xaxis": {"type": "date", "side": "top"},
        "yaxis": {"type": "multicategory", "autorange": "reversed"},
        "legend": {"orientation": "h", "x": 0, "y": 0, "xanchor": "left", "yanchor": "top"},
        "hovermode": "closest",
    }
    return _figure(traces, layout)
