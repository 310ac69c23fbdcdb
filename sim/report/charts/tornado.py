"""What moves the headline's date: Spearman rank correlations of the random inputs as bars."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.report.charts.inputs import ReportInputs
from sim.report.style import (
    BLUE,
    KIND_NAMES,
    VERMILLION,
    Figure,
    bar,
    distinct_labels,
    esc,
    figure,
    short,
    signed,
    wrap,
)

if TYPE_CHECKING:
    from sim.analysis.results import RandomInput


def _direction(rho: float) -> str:
    """Which way an input moves the date, as the bar's two-decimal label shows it."""
    shown = round(rho, 2)
    return "higher → later" if shown > 0 else "higher → earlier" if shown < 0 else "no effect seen"


def _parts(item: RandomInput) -> tuple[str, str]:
    return (item.subject, item.detail) if item.subject else (item.label, "")


def tornado(ranked: list[tuple[RandomInput, float]], title: str, top: int = 15) -> Figure:
    """Horizontal bars of Spearman's rho for the `top` inputs, the strongest at the top."""
    shown = ranked[:top]
    # Plain words cut to 48 characters (the subject first, at word boundaries), each distinct:
    # equal labels would merge on a category axis. 48 fits a 390 px phone's row labels whole
    # (embedding.js's `charsFor`); the hover box carries the full text.
    labels = [esc(label) for label in distinct_labels([_parts(item) for item, _ in shown], 48)]
    rho = [r for _, r in shown]
    hover = [
        f"<b>{wrap(item.label)}</b><br>{KIND_NAMES.get(item.kind, item.kind)}<br>"
        f"Spearman rank correlation: {signed(r)}<br>"
        + _direction(r)
        for lab, (item, r) in zip(labels, shown, strict=True)
    ]
    data = [
        bar(
            x=rho,
            y=labels,
            orientation="h",
            marker={"color": [VERMILLION if r > 0 else BLUE for r in rho]},
            text=[signed(r) for r in rho],
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
    return figure(data, layout)


def figures(page: ReportInputs) -> dict[str, Figure]:
    """The tornado of the headline, when the run has random inputs to rank."""
    if not page.ranked:
        return {}
    scenario = page.result.scenario
    head_title = esc(short(scenario.milestones[scenario.headline].title, 60))
    title = f"What moves the date of <b>{head_title}</b> (top {min(len(page.ranked), 15)} random inputs)"
    return {"fig-tornado": tornado(page.ranked, title)}
