"""The drivers section's sentences in days: merge bias at each merge point."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.analysis.mergebias import merge_biases

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
