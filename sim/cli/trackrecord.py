"""`lunarsim backtest` over dated snapshots: the track record as plain aligned lines."""

from __future__ import annotations

from sim.analysis.trackrecord import LEVELS, Share, TrackRecord


def _share(share: Share) -> str:
    low, high = share.interval
    if low is None or high is None:
        return "none due"
    return f"{share.k}/{share.n} ({low:.0%}–{high:.0%})"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows]]


def track_record_lines(record: TrackRecord) -> list[str]:
    """The track record as aligned plain lines: scores, trend, calibration, and how thin it is."""
    doc = record.as_dict()
    lines = [
        f"Track record: {len(record.snapshots)} snapshots scored against {record.outcome} "
        f"(status date {record.as_of}), {record.events} events.",
        "",
    ]
    rows = []
    for s, d in zip(record.snapshots, doc["snapshots"]):
        scored = bool(d["scored"])
        rows.append(
            [
                s.as_of.isoformat(),
                str(d["scored"]),
                f"{d['brier']:.3f} ({d['plan_brier']:.3f})" if scored else "—",
                f"{d['crps_days']:.0f} ({d['plan_crps_days']:.0f})" if scored else "—",
                *(_share(s.coverage[level]) for level in LEVELS),
            ]
        )
    rows.append(
        [
            "all",
            str(record.events),
            f"{record.brier:.3f}" if record.brier is not None else "—",
            "",
            *(_share(record.coverage[level]) for level in LEVELS),
        ]
    )
    header = [
        "as of",
        "events",
        "Brier (plan)",
        "CRPS days (plan)",
        *(f"done by P{level}" for level in LEVELS),
    ]
    lines += _table(header, rows)
    lines += ["", f"Trend of {record.milestone}:"]
    points = [(s.as_of.isoformat(), s.trend) for s in record.snapshots] + [
        (record.as_of.isoformat(), record.latest)
    ]
    trend_rows = [
        [
            when,
            *(d.isoformat() if d else "later/never" for d in t.percentiles.values()),
            f"{t.p_target:.0%}" if t.p_target is not None else "—",
            t.target.isoformat() if t.target else "—",
        ]
        for when, t in points
        if t is not None
    ]
    lines += _table(["as of", "P10", "P50", "P80", "P90", "P(target)", "target"], trend_rows)
    titles = list(dict.fromkeys(t.title for _, t in points if t is not None))
    if len(titles) > 1:
        lines.append("The snapshots define it differently: " + "; then ".join(f'"{t}"' for t in titles) + ".")
    lines += ["", "Calibration (every event of every snapshot):"]
    cal_rows = [
        [
            f"{b.low:.0%}–{b.high:.0%}",
            str(len(b.forecasts)),
            f"{b.mean_forecast:.0%}" if b.mean_forecast is not None else "—",
            f"{b.done} ({b.share.rate:.0%})" if b.forecasts and b.share.rate is not None else "—",
            _share(b.share).split(" ", 1)[-1].strip("()") if b.forecasts else "—",
        ]
        for b in record.calibration
    ]
    lines += _table(["forecast", "events", "mean", "happened", "95 % interval"], cal_rows)
    lines += [
        "",
        "Intervals are 95 % Wilson intervals. The events are few and not independent (the same "
        "milestones recur in every snapshot), so read them as lower bounds on the uncertainty. "
        "Done by P50/P80: of the milestones whose P-date had passed by the last status date, the "
        "share done by it (50 %/80 % if calibrated).",
    ]
    return lines
