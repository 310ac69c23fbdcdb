"""The headline's P(done by date) within each outcome of a decision, against all runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.analysis.aggregates import cdf
from sim.formats import percent
from sim.report.charts.inputs import ReportInputs
from sim.report.style import (
    GREY,
    SERIES,
    VERMILLION,
    Dates,
    Figure,
    cdf_xy,
    date_axis,
    date_range,
    esc,
    figure,
    in_template,
    probability_axis,
    reference_lines,
    scatter,
    short,
    vertical_line,
    view,
)

if TYPE_CHECKING:
    from sim.analysis.results import Result


def conditioned(result: Result, headline: str, groups: list[tuple[str, np.ndarray]], title: str) -> Figure:
    """The headline's CDF within each group of iterations (a mask per group) and overall."""
    scenario = result.scenario
    dates = Dates(scenario)
    edge = scenario.horizon_days
    x_all = result.finish_of(headline)
    traces = []
    for k, (name, mask) in enumerate(groups):
        curve = cdf(x_all[mask])
        x, y = cdf_xy(curve, dates, edge)
        traces.append(
            scatter(
                x=x,
                y=y,
                mode="lines",
                name=name,
                line={"color": SERIES[k % len(SERIES)], "width": 2.5, "shape": "hv"},
                hovertemplate=f"{in_template(name)}<br>%{{x|%Y-%m-%d}}: %{{y:.0%}}<extra></extra>",
            )
        )
    x, y = cdf_xy(cdf(x_all), dates, edge)
    traces.append(
        scatter(
            x=x,
            y=y,
            mode="lines",
            name="All runs",
            line={"color": GREY, "width": 1.5, "dash": "dash", "shape": "hv"},
            hovertemplate="All runs<br>%{x|%Y-%m-%d}: %{y:.0%}<extra></extra>",
        )
    )
    spec = scenario.milestones[headline]
    shapes = reference_lines()
    if spec.target is not None:
        shapes.append(vertical_line(dates(spec.target), VERMILLION, "dash"))
    layout = {
        "title": {"text": title, "x": 0, "xanchor": "left"},
        "height": 380,
        "margin": {"t": 60},
        "xaxis": {
            **date_axis(),
            "range": date_range(view(result, headline)),
            "autorange": False,
            "title": {"text": "Completion date"},
        },
        "yaxis": probability_axis(),
        "shapes": shapes,
        "legend": {"x": 0.01, "y": 0.99, "xanchor": "left", "yanchor": "top"},
    }
    return figure(traces, layout)


def settled_branch(chosen: np.ndarray) -> int | None:
    """The branch every run took, when a decision went the same way in all of them."""
    chosen = np.asarray(chosen)
    if chosen.size and bool((chosen == chosen[0]).all()):
        return int(chosen[0])
    return None


def figure_id(k: int) -> str:
    """The element id of the chart of the `k`-th decision (in `Result.outcome` order)."""
    return f"fig-decision-{k}"


def figures(page: ReportInputs) -> dict[str, Figure]:
    """One chart per decision: the headline's curve within each of its outcomes."""
    result = page.result
    scenario = result.scenario
    head = scenario.headline
    out = {}
    for k, (mid, chosen) in enumerate(result.outcome.items()):
        spec = scenario.milestones[mid]
        chosen = np.asarray(chosen)
        if settled_branch(chosen) is not None:
            continue  # one outcome in every run: the page says so in a sentence
        groups = []
        for b, branch in enumerate(spec.branches):
            mask = chosen == b
            share = float(mask.mean()) if mask.size else 0.0
            groups.append((f"{esc(short(branch.name, 40))} ({percent(share)} of runs)", mask))
        never = chosen < 0  # a conditional decision not made in that future
        if never.any():
            groups.append((f"never made ({percent(float(never.mean()))} of runs)", never))
        title = (
            f"<b>{esc(short(scenario.milestones[head].title, 50))}</b> "
            f"by outcome of <b>{esc(short(spec.title, 50))}</b>"
        )
        out[figure_id(k)] = conditioned(result, head, groups, title)
    return out
