"""The track-record page: the trend of one milestone's forecast across dated snapshots, each
snapshot's scores against the latest, P50/P80 coverage, and the calibration across all of them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sim.analysis.trackrecord import LEVELS, TrackRecord
from sim.report.charts.calibration import calibration_figure
from sim.report.charts.trend import trend_figure
from sim.report.page import _page, slug
from sim.report.views import provenance

if TYPE_CHECKING:
    from sim.analysis.results import Result


def track_record_name(record: TrackRecord, last_stem: str) -> str:
    """File stem of the page: track-record-<latest snapshot>."""
    return slug(f"track-record-{last_stem}")


def trend_entries(record: TrackRecord) -> list[dict[str, Any]]:
    """The snapshots (and the latest) as entries of the trend chart, one per status date."""
    doc = record.as_dict()
    points = [(s["forecast"], s["as_of"], s["trend"]) for s in doc["snapshots"]]
    points.append((doc["outcome"], doc["as_of"], doc["latest"]))
    return [
        {"id": i, "as_of": as_of, "recorded_at": as_of, "name": name, "headline": trend}
        for i, (name, as_of, trend) in enumerate(points)
        if trend is not None
    ]


def track_record_html(record: TrackRecord, runs: list[Result], when: dt.datetime | None = None) -> str:
    """The full HTML of the track-record page over `record`, computed from `runs` (every
    snapshot's run, the latest last)."""
    when = when or dt.datetime.now(dt.timezone.utc)
    doc = record.as_dict()
    entries = trend_entries(record)
    figs: dict[str, Any] = {}
    if entries:
        labels = {e["id"]: f"{e['name']} (status date {e['as_of']})" for e in entries}
        figs["fig-trend"] = trend_figure(entries, f"Trend: {record.milestone}", labels)
    figs["fig-calibration"] = calibration_figure(record.calibration)
    context = {
        "title": f"Track record: {doc['outcome']}",
        "doc": doc,
        "levels": [str(level) for level in LEVELS],
        "trend": entries,
        "provenance": provenance(runs, when),
    }
    return _page("trackrecord.j2", context, figs)
