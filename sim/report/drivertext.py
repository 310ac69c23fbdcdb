"""The drivers section's sentences in days: merge bias at each merge point, and the walk from
the plan's date to P80 by risk and decision."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.analysis.mergebias import merge_biases
from sim.formats import day_text

if TYPE_CHECKING:
    from sim.analysis.results import Result

# Below this many days a merge bias is not worth a line (finish days are whole-day dates).
SHOWN_FROM_DAYS = 1.0


def _days(x: float) -> str:
    whole = round(x)
    return f"{whole:,} day{'s' if whole != 1 else ''}"


def merge_lines(result: Result) -> list[str]:
    """One plain sentence per milestone whose predecessors, together, finish later than the
    latest of them alone by a day or more at P50 or P80, largest P80 first."""
    found = []
    for mid, bias in merge_biases(result).items():
        p50, p80 = bias.get("50"), bias.get("80")
        if max(p50 or 0.0, p80 or 0.0) < SHOWN_FROM_DAYS:
            continue
        m = result.scenario.milestones[mid]
        count = len({p.id for p in m.after})
        parts = [f"{_days(v)} at {name}" for name, v in (("P50", p50), ("P80", p80)) if v is not None]
        found.append(
            (
                p80 or 0.0,
                f"{m.title}: waiting for all {count} of its predecessors adds {' and '.join(parts)} "
                "beyond the latest of them taken alone.",
            )
        )
    return [line for _, line in sorted(found, key=lambda t: -t[0])]


def _signed_days(x: float) -> str:
    whole = round(x)
    if x == 0:
        return "adds nothing"
    if whole == 0:
        return "adds less than a day"
    return f"{'adds' if whole > 0 else 'takes off'} {_days(abs(whole))}"


def waterfall_lines(result: Result, section: dict[str, Any]) -> list[str]:
    """The walk from the plan's date to the headline's P80 in plain sentences: the plan, the P80
    with no risk (decisions at their plan outcome), each risk's and decision's share of the
    difference (exact Shapley values, `drivers.attribution`), and the P80 as modelled."""
    sc = result.scenario
    head = sc.headline
    p80 = result.percentile_days(head, 80)
    total = section["total"]["p80_days"]
    if p80 is None or total is None:
        return []
    plan = result.plan_of(head)
    lines = [
        f"The plan (every input at its most likely value, no risk) reaches {sc.milestones[head].title} "
        f"on {day_text(sc.date_of(plan)) if plan != float('inf') else 'no date before the horizon'}.",
        f"With the spread of durations but no risk, and every decision as planned, 8 in 10 futures "
        f"reach it by {day_text(sc.date_of(p80 - total))}.",
    ]
    for item in section["inputs"]:
        if item["p80_days"] is None:
            continue
        what = "the risk" if item["kind"] == "risk" else "the decision"
        said = f"{what.capitalize()} \u201c{item['label']}\u201d {_signed_days(item['p80_days'])}"
        lines.append(f"{said}{_interval_text(item)}.")
    lines.append(f"As modelled, 8 in 10 futures reach it by {day_text(sc.date_of(p80))}.")
    return lines


def _interval_text(item: dict[str, Any]) -> str:
    """The part's 95 % bootstrap interval of its P80 share, in days; nothing where there is none
    (more than 12 factors, or a P80 that is "never" in some resample) or it rounds to one number."""
    p80 = (item.get("interval") or {}).get("p80_days")
    if p80 is None or None in p80:
        return ""
    low, high = round(p80[0]), round(p80[1])
    return "" if low == high else f" (95 % interval {low:+,} to {high:+,} days)"


def held_lines(result: Result) -> list[str]:
    """One sentence per uncertain duration whose being known (held at its median) would move the
    headline's P80 by at least a day, largest first (`sim.analysis.heldmedian`)."""
    from sim.analysis.heldmedian import held_at_median

    lines = []
    for item in held_at_median(result):
        change = item["p80_change_days"]
        if change is None or abs(change) < SHOWN_FROM_DAYS:
            continue
        way = "earlier" if change < 0 else "later"
        lines.append(f"{item['label']}: P80 {_days(abs(change))} {way}.")
    return lines
