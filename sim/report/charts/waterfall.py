"""The explain page's waterfalls: how each change moved the milestone's P80 (and P50), from the
old scenario's value to the new one's, in days."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.report.style import BLUE, GREY, VERMILLION, Figure, esc, figure, short, trace

if TYPE_CHECKING:
    from sim.analysis.explain import Explanation


def _waterfall(e: Explanation, j: int, name: str) -> Figure:
    moving = [p for p in e.parts if p.value[j] != 0]
    labels = [esc(short(p.change.label, 48)) for p in moving]
    days = [round(float(p.value[j]), 1) for p in moving]
    total = round(float(e.total[j]), 1)
    return figure(
        [
            trace(
                "waterfall",
                orientation="v",
                x=[*labels, "Total shift"],
                y=[*days, total],
                measure=["relative"] * len(moving) + ["total"],
                increasing={"marker": {"color": VERMILLION}},
                decreasing={"marker": {"color": BLUE}},
                totals={"marker": {"color": GREY}},
                connector={"line": {"color": GREY, "width": 1}},
                hovertemplate="%{x}: %{y:+.0f} days<extra></extra>",
                name=name,
            )
        ],
        {
            "title": {"text": f"{name}: the shift in days, change by change"},
            "yaxis": {"title": {"text": "days (later is up)"}, "zeroline": True},
            "xaxis": {"automargin": True, "tickangle": -30},
            "showlegend": False,
            "height": 460,
        },
    )


def figures(e: Explanation) -> dict[str, Figure]:
    """The P80's waterfall and the P50's, over the changes whose part is not 0."""
    return {"fig-explain-p80": _waterfall(e, 1, "P80"), "fig-explain-p50": _waterfall(e, 0, "P50")}
