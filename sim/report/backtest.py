"""The backtest page: a forecast's scores in plain words, its calibration, and each scored milestone.

It reads the scores only through `Backtest.as_dict()`, so scores added there later appear on the
page (as "other scores") without a change here.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from sim.analysis.backtest import Backtest
from sim.report.charts.backtest_curve import milestone_curve
from sim.report.charts.pit import pit_histogram
from sim.report.page import _page, report_name, slug
from sim.report.views import provenance

if TYPE_CHECKING:
    from sim.analysis.results import Result

# Keys of as_dict() that the page explains itself; any other number there is shown as it comes.
_KNOWN = {
    "forecast",
    "outcome",
    "as_of",
    "brier",
    "plan_brier",
    "crps_days",
    "plan_crps_days",
    "milestones",
}


def backtest_name(result: Result, scores: Backtest, outcome_stem: str | None = None) -> str:
    """File stem of the page: backtest-<forecast>-vs-<outcome>."""
    return slug(f"backtest-{report_name(result.scenario)}-vs-{outcome_stem or scores.outcome}")


def _status(row: dict[str, Any]) -> str:
    for key in ("status", "outcome_status"):
        if isinstance(row.get(key), str):
            return str(row[key])
    if row.get("removed") or row.get("failed"):
        return "failed or removed"
    if row.get("scored") is False:
        return "not scored"
    return "done" if row.get("done_by_as_of") else "not done"


def _p_by(result: Result, mid: str, actual: str | None) -> float | None:
    """The forecast's P(done by the end of the actual day): the height of the actual's star."""
    if actual is None:
        return None
    day = math.floor(result.scenario.days_of(dt.date.fromisoformat(actual)))
    return result.p_by(mid, day)


def _crps_verdict(crps: float, plan: float) -> str:
    # Whole days: the window is counted in days, so a fraction of a day is no difference.
    if round(crps) < round(plan):
        return "better than"
    if round(crps) > round(plan):
        return "worse than"
    return "no different from"


def _verdict(brier: float, plan: float) -> str:
    # Two decimals: a Brier score over a handful of milestones moves in the second decimal.
    if round(brier, 2) < round(plan, 2):
        return "better than taking the plan's dates as certain"
    if round(brier, 2) > round(plan, 2):
        return "worse than taking the plan's dates as certain"
    return "no different from taking the plan's dates as certain"


def in_short(brier: float, plan_brier: float, pits: list[float]) -> str:
    """The page's first sentence for a lay reader: better or worse than the plan, and which way
    the forecast erred. The lean is read from the mean PIT: for a calibrated forecast PITs are
    uniform on 0-1, so their mean over n milestones is 0.5 with standard error sqrt(1/12/n); a
    mean more than 1.96 standard errors above 0.5 says things came later than the forecast
    thought likely (too optimistic), below says earlier (too pessimistic)."""
    verdict = _verdict(brier, plan_brier).replace("taking the plan's dates as certain", "the plan")
    verdict = {"better than the plan": "did better than the plan"}.get(verdict, f"did {verdict}")
    if not pits:
        return f"In short: the forecast {verdict}; no milestone could show which way it erred."
    n = len(pits)
    mean = sum(pits) / n
    margin = 1.96 * math.sqrt(1 / 12 / n)
    late = sum(p > 0.8 for p in pits)
    how = f"mean PIT {mean:.2f} over {n} milestone{'s' if n != 1 else ''}, where 0.5 is right on average"
    if mean > 0.5 + margin:
        lean = (
            f"still too optimistic: what happened came later than it thought likely ({how}; "
            f"{late} of {n} above 0.8)"
        )
    elif mean < 0.5 - margin:
        lean = f"too pessimistic: what happened came earlier than it thought likely ({how})"
    else:
        lean = f"with no clear lean either way ({how})"
    joint = ", but it was " if verdict == "did better than the plan" and mean > 0.5 + margin else "; it was "
    if lean.startswith("with"):
        joint = ", "
    return f"In short: the forecast {verdict}{joint}{lean}."


def backtest_html(result: Result, scores: Backtest, when: dt.datetime | None = None) -> str:
    """The full HTML of a backtest page for `scores`, computed from the forecast run `result`."""
    when = when or result.finished_at or dt.datetime.now(dt.timezone.utc)
    doc = scores.as_dict()
    as_of = dt.date.fromisoformat(str(doc["as_of"]))
    milestones: dict[str, dict[str, Any]] = dict(doc["milestones"])  # type: ignore[call-overload]
    rows = [{"id": mid, **row} for mid, row in milestones.items()]
    rows = [
        {**r, "status": _status(r), "p_by_actual": _p_by(result, r["id"], r.get("actual"))}
        if r["id"] in result.milestone_ids
        else {**r, "status": _status(r), "p_by_actual": None}
        for r in rows
    ]
    pits = [r for r in rows if isinstance(r.get("pit"), (int, float)) and math.isfinite(r["pit"])]
    unscored = [r for r in rows if r.get("scored") is False]
    crps = doc.get("crps_days")
    plan_crps = doc.get("plan_crps_days")
    has_crps = isinstance(crps, (int, float)) and isinstance(plan_crps, (int, float))
    figs: dict[str, Any] = {}
    if pits:
        figs["fig-pit"] = pit_histogram(pits)
    curves = []
    for k, row in enumerate(rows):
        if row["id"] in result.milestone_ids:
            fig_id = f"fig-bt-{k}"
            figs[fig_id] = milestone_curve(result, row["id"], row, as_of)
            curves.append((fig_id, row))
    others = [
        (key, value)
        for key, value in doc.items()
        if key not in _KNOWN and isinstance(value, (int, float)) and not isinstance(value, bool)
    ]
    brier = float(doc["brier"])  # type: ignore[arg-type]
    plan_brier = float(doc["plan_brier"])  # type: ignore[arg-type]
    mean_pit = sum(r["pit"] for r in pits) / len(pits) if pits else None
    late = sum(r["pit"] > 0.8 for r in pits)
    done = sum(bool(r.get("done_by_as_of")) for r in pits)
    context = {
        "title": f"Backtest: {doc['forecast']}",
        "forecast": doc["forecast"],
        "outcome": doc["outcome"],
        "as_of": as_of.isoformat(),
        "brier": brier,
        "plan_brier": plan_brier,
        "verdict": _verdict(brier, plan_brier),
        "in_short": in_short(brier, plan_brier, [r["pit"] for r in pits]),
        "pits": pits,
        "mean_pit": mean_pit,
        "late": late,
        "done": done,
        "unscored": unscored,
        "crps": float(crps) if has_crps else None,  # type: ignore[arg-type]
        "plan_crps": float(plan_crps) if has_crps else None,  # type: ignore[arg-type]
        "crps_verdict": _crps_verdict(float(crps), float(plan_crps)) if has_crps else None,  # type: ignore[arg-type]
        "rows": rows,
        "curves": curves,
        "others": others,
        "provenance": provenance([result], when),
    }
    return _page("backtest.j2", context, figs)
