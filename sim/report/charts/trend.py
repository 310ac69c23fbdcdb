"""The history page's trend (fan) chart: a milestone's P10–P90 band, P50 and P80 across the
recorded runs of one scenario, each placed at the date its forecast stands on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sim.report.style import BLUE, GREY, ORANGE, SKY, Figure, date_axis, esc, figure, scatter, short


def stands_on(entry: dict[str, Any]) -> str:
    """The date a recorded forecast stands on: its status date, else the day it was run."""
    return str(entry["as_of"] or entry["recorded_at"][:10])


def trend_figure(entries: list[dict[str, Any]], title: str, labels: dict[Any, str] | None = None) -> Figure:
    """The fan over `entries` (runs of one scenario and headline), oldest first. `labels`: the
    hover text of each entry by id (default: the run's id, time and iterations)."""
    runs = sorted(entries, key=lambda e: (stands_on(e), e["id"]))
    x = [stands_on(e) for e in runs]
    head = [e["headline"] for e in runs]
    hover = [
        esc(
            labels[e["id"]]
            if labels is not None
            else f"run {e['id']} ({e['recorded_at'][:16].replace('T', ' ')} UTC), "
            f"{e['iterations']:,} iterations"
        )
        for e in runs
    ]

    def line(key: str, name: str, color: str, **extra: Any) -> dict[str, Any]:
        return scatter(
            x=x,
            y=[h[key] for h in head],
            mode="lines+markers",
            name=name,
            line={"color": color, "width": 2, **extra.pop("line", {})},
            text=hover,
            hovertemplate=f"{name} %{{y|%Y-%m-%d}}<br>%{{text}}<extra></extra>",
            **extra,
        )

    traces = [
        *_bands(x, head),
        line("p10", "P10", SKY, line={"width": 1}),
        line("p90", "P90", SKY, line={"width": 1}),
        line("p50", "P50", BLUE),
        line("p80", "P80", ORANGE),
    ]
    targets = {h["target"] for h in head if h["target"]}
    shapes = [
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "y0": t,
            "y1": t,
            "line": {"color": GREY, "dash": "dot"},
        }
        for t in sorted(targets)
    ]
    xaxis = {**date_axis(), "title": {"text": "forecast as of (status date, else run date)"}}
    if len(set(x)) == 1:  # one date: half a year either side, not milliseconds
        day = dt.date.fromisoformat(x[0])
        xaxis["range"] = [
            (day - dt.timedelta(days=183)).isoformat(),
            (day + dt.timedelta(days=183)).isoformat(),
        ]
    return figure(
        traces,
        {
            "title": {"text": esc(short(title, 70))},
            "xaxis": xaxis,
            "yaxis": {**date_axis(), "title": {"text": "forecast date (band: P10 to P90)"}},
            "shapes": shapes,
            "height": 460,
        },
    )


def _bands(x: list[str], head: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The P10–P90 band, one shaded polygon per run of consecutive points where both ends are
    dates (a percentile past the horizon or never leaves a gap, not a band to nowhere)."""
    runs: list[list[int]] = []
    for i, h in enumerate(head):
        if h["p10"] and h["p90"]:
            if runs and runs[-1][-1] == i - 1:
                runs[-1].append(i)
            else:
                runs.append([i])
    return [
        scatter(
            x=[x[i] for i in run] + [x[i] for i in reversed(run)],
            y=[head[i]["p10"] for i in run] + [head[i]["p90"] for i in reversed(run)],
            mode="lines",
            fill="toself",
            fillcolor="rgba(86,180,233,0.2)",
            line={"width": 0},
            name="P10–P90",
            showlegend=k == 0,
            hoverinfo="skip",
        )
        for k, run in enumerate(runs)
    ]
