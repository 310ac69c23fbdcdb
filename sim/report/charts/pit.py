"""The backtest page's calibration chart: how many milestones' PITs fall in each fifth of [0, 1]."""

from __future__ import annotations

from typing import Any

from sim.report.style import BLUE, GREEN, bar, esc, figure, scatter, short

PIT_BINS = 5


def pit_histogram(rows: list[dict[str, Any]]) -> Any:
    """How many scored milestones' randomised PITs fall in each fifth of [0, 1], against the count
    a calibrated forecast would put there (done and not-done milestones alike)."""
    counts = [0] * PIT_BINS
    names: list[list[str]] = [[] for _ in range(PIT_BINS)]
    for row in rows:
        k = min(int(row["pit"] * PIT_BINS), PIT_BINS - 1)
        counts[k] += 1
        names[k].append(esc(short(row["title"], 40)))
    centers = [(k + 0.5) / PIT_BINS for k in range(PIT_BINS)]
    expected = len(rows) / PIT_BINS
    hover = ["<br>".join(n) if n else "none" for n in names]
    data = [
        bar(
            x=centers,
            y=counts,
            width=[0.95 / PIT_BINS] * PIT_BINS,
            marker={"color": BLUE},
            name="milestones",
            customdata=hover,
            hovertemplate="PIT %{x:.1f} ± 0.1: %{y}<br>%{customdata}<extra></extra>",
        ),
        scatter(
            x=[0, 1],
            y=[expected, expected],
            mode="lines",
            line={"color": GREEN, "dash": "dash", "width": 2},
            name=f"calibrated: {expected:.1f} per bar",
            hoverinfo="skip",
        ),
    ]
    return figure(
        data,
        {
            "title": {"text": "Where what happened fell in the forecast (PIT)"},
            "xaxis": {
                "title": {"text": "randomised PIT"},
                "range": [0, 1],
                "dtick": 0.2,
            },
            "yaxis": {"title": {"text": "milestones"}, "rangemode": "tozero", "dtick": 1},
            "bargap": 0.05,
            "height": 340,
            "legend": {"orientation": "h", "y": -0.3},
        },
    )
