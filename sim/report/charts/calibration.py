"""The track-record page's calibration chart: in each bin of forecast probability, the share of
events that happened, with its 95 % Wilson interval, against the diagonal of a calibrated forecast."""

from __future__ import annotations

from typing import Any

from sim.analysis.trackrecord import CalibrationBin
from sim.report.style import BLUE, GREY, figure, scatter


def calibration_figure(bins: list[CalibrationBin]) -> Any:
    """One point per non-empty bin at (mean forecast, observed share), sized by its count."""
    used = [b for b in bins if b.forecasts]
    rates = [b.share.rate or 0.0 for b in used]
    lows = [b.share.interval[0] or 0.0 for b in used]
    highs = [b.share.interval[1] or 0.0 for b in used]
    hover = [
        f"forecast {b.low:.0%}–{b.high:.0%} (mean {b.mean_forecast:.0%}): {b.done} of {len(b.forecasts)} "
        f"happened ({lo:.0%}–{hi:.0%})"
        for b, lo, hi in zip(used, lows, highs)
    ]
    data = [
        scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line={"color": GREY, "dash": "dot", "width": 1},
            name="calibrated",
            hoverinfo="skip",
        ),
        scatter(
            x=[b.mean_forecast for b in used],
            y=rates,
            mode="markers+text",
            text=[f"n={len(b.forecasts)}" for b in used],
            textposition="middle right",
            marker={"color": BLUE, "size": [8 + min(len(b.forecasts), 40) / 2 for b in used]},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [h - r for h, r in zip(highs, rates)],
                "arrayminus": [r - lo for r, lo in zip(rates, lows)],
                "color": BLUE,
            },
            name="observed (95 % interval)",
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
        ),
    ]
    return figure(
        data,
        {
            "title": {"text": "Calibration across the snapshots"},
            "xaxis": {
                "title": {"text": "forecast P(done by the latest status date)"},
                "range": [-0.02, 1.02],
                "dtick": 0.2,
                "tickformat": ".0%",
            },
            "yaxis": {
                "title": {"text": "share that happened"},
                "range": [-0.02, 1.02],
                "dtick": 0.2,
                "tickformat": ".0%",
            },
            "height": 400,
            "legend": {"orientation": "h", "y": -0.25},
        },
    )
