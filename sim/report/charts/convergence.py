"""Whether a run settled: the headline's running P50 and P80 with 95 % bands as iterations accumulate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.report.charts.inputs import ReportInputs
from sim.report.style import (
    BLUE,
    ORANGE,
    Dates,
    Figure,
    Trace,
    esc,
    figure,
    minor_ticks,
    scatter,
    short,
)

if TYPE_CHECKING:
    from sim.analysis.aggregates import ConvergencePoint
    from sim.analysis.results import Result


def convergence(result: Result, mid: str) -> Figure:
    """Running P50 and P80 of `mid` against iterations (log axis) with 95 % bands."""
    scenario = result.scenario
    dates = Dates(scenario)
    runs = result.convergence(mid)
    traces: list[Trace] = []
    for p, color, fill in (
        (50, BLUE, "rgba(0,114,178,0.18)"),
        (80, ORANGE, "rgba(230,159,0,0.22)"),
    ):
        traces += _band(runs[p], p, color, fill, dates)
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
        # Labels at the powers of ten only; the ticks between them (200, 300, …) are unlabelled,
        # where Plotly would otherwise print stray digits ("2", "5") that read as counts.
        "xaxis": {
            "type": "log",
            "dtick": 1,
            "exponentformat": "none",
            "separatethousands": True,
            "minor": minor_ticks(dtick="D1"),
            "title": {"text": "Iterations so far"},
        },
        "yaxis": {"type": "date", "title": {"text": "Date"}},
        "legend": {"orientation": "h", "x": 0, "y": -0.2, "xanchor": "left", "yanchor": "top"},
        "hovermode": "closest",
    }
    return figure(traces, layout)


def _band(points: list[ConvergencePoint], p: int, color: str, fill: str, dates: Dates) -> list[Trace]:
    """The running P`p` with its 95 % band (low edge, high edge filled to it, the estimate)."""
    n = [pt.iterations for pt in points]
    return [
        scatter(
            x=n,
            y=dates.many([pt.low for pt in points]),
            mode="lines",
            line={"width": 0, "color": color},
            showlegend=False,
            hoverinfo="skip",
            legendgroup=f"p{p}",
        ),
        scatter(
            x=n,
            y=dates.many([pt.high for pt in points]),
            mode="lines",
            line={"width": 0, "color": color},
            fill="tonexty",
            fillcolor=fill,
            name=f"P{p} 95 % band",
            hoverinfo="skip",
            legendgroup=f"p{p}",
        ),
        scatter(
            x=n,
            y=dates.many([pt.estimate for pt in points]),
            mode="lines+markers",
            line={"color": color, "width": 2},
            marker={"size": 5},
            name=f"P{p}",
            legendgroup=f"p{p}",
            hovertemplate=f"P{p} after %{{x:,}} runs: %{{y|%Y-%m-%d}}<extra></extra>",
        ),
    ]


def figures(page: ReportInputs) -> dict[str, Figure]:
    return {"fig-convergence": convergence(page.result, page.result.scenario.headline)}
