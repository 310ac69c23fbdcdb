"""How often each milestone lay on the path that set the headline's date."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.formats import percent
from sim.report.charts.inputs import ReportInputs
from sim.report.style import (
    INK,
    ORANGE,
    Figure,
    bar,
    esc,
    figure,
    milestone_labels,
    short,
)

if TYPE_CHECKING:
    from sim.analysis.results import Result


def criticality(result: Result, shares: dict[str, float], headline: str) -> Figure:
    """Share of runs in which each milestone lay on the path that set the headline's date."""
    scenario = result.scenario
    mids = [m for m in result.milestone_ids if shares.get(m, 0.0) > 0.0]
    labels = milestone_labels(scenario, mids)
    values = [shares[m] for m in mids]
    data = [
        bar(
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
    return figure(data, layout)


def figures(page: ReportInputs) -> dict[str, Figure]:
    return {"fig-criticality": criticality(page.result, page.shares, page.result.scenario.headline)}
