"""The sweep page's charts: the headline's P(target), P50 and P80 against the swept values (lines for
one key, heatmaps for two)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.formats import month_text, percent
from sim.report.style import BLUE, ORANGE, VERMILLION, Dates, Figure, esc, figure, heatmap, scatter, short

if TYPE_CHECKING:
    from sim.scenario.model import Scenario


# ColorBrewer's Blues, as plotly's Python names it (plotly.js's own "Blues" is another scale).
BLUES = [
    [0.0, "rgb(247,251,255)"],
    [0.125, "rgb(222,235,247)"],
    [0.25, "rgb(198,219,239)"],
    [0.375, "rgb(158,202,225)"],
    [0.5, "rgb(107,174,214)"],
    [0.625, "rgb(66,146,198)"],
    [0.75, "rgb(33,113,181)"],
    [0.875, "rgb(8,81,156)"],
    [1.0, "rgb(8,48,107)"],
]


def value_text(value: Any) -> str:
    """A swept value as the reader typed it (`2y`, `0.3`, `{uniform: [1y, 2y]}`)."""
    return str(value)


def _numeric(values: list[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _distinct(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


def sweep_figures(
    scenario: Scenario, keys: list[str], rows: list[dict[str, Any]], head_title: str
) -> dict[str, Figure]:
    """Figures for the headline's rows of a sweep (one per variant): lines for one key, heatmaps
    for two, none for three or more (the table shows them)."""
    if len(keys) == 1:
        return _lines(scenario, keys[0], rows, head_title)
    if len(keys) == 2:
        return _heatmaps(scenario, keys, rows, head_title)
    return {}


def _axis(key: str, values: list[Any]) -> dict[str, Any]:
    axis: dict[str, Any] = {"title": {"text": esc(key)}}
    if not _numeric(values):
        axis.update(type="category", tickvals=[esc(value_text(v)) for v in values])
    return axis


def _lines(scenario: Scenario, key: str, rows: list[dict[str, Any]], head_title: str) -> dict[str, Figure]:
    values = [r[key] for r in rows]
    x = values if _numeric(values) else [esc(value_text(v)) for v in values]
    dates = Dates(scenario)
    title = esc(short(head_title, 50))
    figs: dict[str, Figure] = {}
    if any(r["p_target"] is not None for r in rows):
        figs["fig-sweep-target"] = figure(
            [
                scatter(
                    x=x,
                    y=[r["p_target"] for r in rows],
                    mode="lines+markers",
                    line={"color": BLUE, "width": 2.5},
                    name="P(target)",
                    text=["—" if r["p_target"] is None else percent(r["p_target"]) for r in rows],
                    hovertemplate="%{x}: %{text}<extra>P(target)</extra>",
                )
            ],
            {
                "title": {"text": f"Likelihood <b>{title}</b> meets its target", "x": 0, "xanchor": "left"},
                "height": 340,
                "showlegend": False,
                "xaxis": _axis(key, values),
                "yaxis": {
                    "title": {"text": "P(target)"},
                    "tickformat": ".0%",
                    "range": [0, 1.03],
                    "dtick": 0.2,
                },
            },
        )
    data = []
    for p, color, dash in ((50, BLUE, "solid"), (80, VERMILLION, "dash")):
        shown = [dates(r[f"p{p}_days"]) for r in rows]
        data.append(
            scatter(
                x=x,
                y=shown,
                mode="lines+markers",
                line={"color": color, "width": 2.5, "dash": dash},
                name=f"P{p}",
                text=[d or "never" for d in shown],
                hovertemplate=f"%{{x}}: %{{text}}<extra>P{p}</extra>",
            )
        )
    figs["fig-sweep-dates"] = figure(
        data,
        {
            "title": {"text": f"Median (P50) and P80 date of <b>{title}</b>", "x": 0, "xanchor": "left"},
            "height": 360,
            "legend": {"orientation": "h", "y": -0.25, "x": 0},
            "xaxis": _axis(key, values),
            "yaxis": {"type": "date", "title": {"text": "Done by"}},
        },
    )
    return figs


def _heatmaps(
    scenario: Scenario, keys: list[str], rows: list[dict[str, Any]], head_title: str
) -> dict[str, Figure]:
    """Rows vary the first key, columns the second (the grid's last key varies fastest)."""
    ys = _distinct([r[keys[0]] for r in rows])
    xs = _distinct([r[keys[1]] for r in rows])
    cell = {(r[keys[0]], r[keys[1]]): r for r in rows}
    grid = _Grid(
        x=[esc(value_text(v)) for v in xs],
        y=[esc(value_text(v)) for v in ys],
        layout={
            "height": max(300, 140 + 44 * len(ys)),
            "xaxis": {"title": {"text": esc(keys[1])}, "type": "category", "side": "bottom"},
            "yaxis": {"title": {"text": esc(keys[0])}, "type": "category"},
        },
    )
    title = esc(short(head_title, 50))
    figs: dict[str, Figure] = {}
    if any(r["p_target"] is not None for r in rows):
        z = [[cell[(a, b)]["p_target"] for b in xs] for a in ys]
        figs["fig-sweep-target"] = _target_heatmap(grid, z, title)
    for p in (50, 80):
        days = [[cell[(a, b)][f"p{p}_days"] for b in xs] for a in ys]
        figs[f"fig-sweep-p{p}"] = _date_heatmap(grid, days, p, title, scenario)
    return figs


@dataclass(frozen=True)
class _Grid:
    """The heatmaps' column and row labels and their shared layout (height and axes)."""

    x: list[str]
    y: list[str]
    layout: dict[str, Any]


def _target_heatmap(grid: _Grid, z: list[list[Any]], title: str) -> Figure:
    text = [["—" if v is None else percent(v) for v in line] for line in z]
    # The colours span the values seen (at least 10 points), so 5 % and 14 % look different;
    # each cell's text gives its value.
    seen = [v for line in z for v in line if v is not None]
    low, high = min(seen, default=0.0), max(seen, default=1.0)
    if high - low < 0.1:
        middle = min(max((low + high) / 2, 0.05), 0.95)
        low, high = middle - 0.05, middle + 0.05
    return figure(
        [
            heatmap(
                x=grid.x,
                y=grid.y,
                z=z,
                zmin=low,
                zmax=high,
                text=text,
                texttemplate="%{text}",
                colorscale=BLUES,
                colorbar={"tickformat": ".0%", "title": {"text": "P(target), lowest to highest"}},
                hovertemplate="%{y} · %{x}: %{text}<extra>P(target)</extra>",
            )
        ],
        {
            "title": {"text": f"Likelihood <b>{title}</b> meets its target", "x": 0, "xanchor": "left"},
            **grid.layout,
        },
    )


def _date_heatmap(grid: _Grid, days: list[list[Any]], p: int, title: str, scenario: Scenario) -> Figure:
    # To the month, as the run's other dates.
    text = [[month_text(scenario.date_of(d)) for d in line] for line in days]
    return figure(
        [
            heatmap(
                x=grid.x,
                y=grid.y,
                z=days,
                text=text,
                texttemplate="%{text}",
                colorscale=[[0, "#fff5eb"], [1, ORANGE]],
                showscale=False,
                hoverongaps=False,
                hovertemplate=f"%{{y}} · %{{x}}: %{{text}}<extra>P{p}</extra>",
            )
        ],
        {
            "title": {"text": f"P{p} date of <b>{title}</b> (darker: later)", "x": 0, "xanchor": "left"},
            **grid.layout,
        },
    )
