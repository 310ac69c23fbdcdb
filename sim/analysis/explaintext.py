"""`lunarsim explain` in plain words: one paragraph on how the milestone moved and why."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.analysis.explain import Explanation

_MONTH = 365.25 / 12


def _shift(days: float) -> str:
    """A signed shift in months (in days under two months), rounded as the run supports."""
    if abs(days) < 2 * _MONTH:
        return f"{days:+.0f} days"
    return f"{days / _MONTH:+.0f} months"


def _moved(days: float) -> str:
    if abs(days) < 0.5:
        return "did not move"
    n = abs(days)
    size = f"{n:.0f} days" if n < 2 * _MONTH else f"{n / _MONTH:.0f} months"
    return f"moved {size} {'later' if days > 0 else 'earlier'}"


def paragraph(e: Explanation, shown: int = 5) -> str:
    """`P80 moved 27 months later (2029-02 to 2031-05): A +18 months, B +9 months, …`."""
    old50, old80 = (dt.date.fromordinal(int(v)) for v in e.old_value[:2])
    new50, new80 = (dt.date.fromordinal(int(v)) for v in e.new_value[:2])
    total = [float(x) for x in e.total]
    ranked = sorted(e.parts, key=lambda p: abs(float(p.value[1])), reverse=True)
    named = [p for p in ranked[:shown] if abs(float(p.value[1])) >= 0.5]
    rest = ranked[len(named) :]
    words = [f"{p.change.label} {_shift(float(p.value[1]))}" for p in named]
    rest_days = sum(float(p.value[1]) for p in rest)
    moving_rest = [p for p in rest if p.value[1] != 0]
    if moving_rest:
        words.append(f"{len(moving_rest)} other changes together {_shift(rest_days)}")
    zero = sum(1 for p in e.parts if all(v == 0 for v in p.value))
    text = (
        f"{e.new.milestones[e.headline].title}: P80 {_moved(total[1])} ({old80:%Y-%m} to {new80:%Y-%m}), "
        f"P50 {_moved(total[0])} ({old50:%Y-%m} to {new50:%Y-%m})"
    )
    if e.target is not None:
        text += f", P(done by {e.target}) from {float(e.old_value[2]):.0%} to {float(e.new_value[2]):.0%}"
    text += "."
    if words:
        text += " The P80's shift, change by change: " + "; ".join(words) + "."
    if zero:
        text += f" {zero} of the {len(e.parts)} changes moved nothing (exactly 0 on the same random draws)."
    if e.method == "sampled":
        worst = max((p.se[1] for p in e.parts if p.se is not None), default=0.0)
        text += (
            f" Parts are Shapley values estimated from {e.orders} orders of the "
            f"{sum(1 for p in e.parts if p.se is not None)} changes that can move it (sampling error of "
            f"each P80 part at most ±{2 * worst:.0f} days, 2 standard errors); the parts add up to the "
            "total exactly."
        )
    else:
        text += (
            " Parts are exact Shapley values over every combination of the changes; they add up to the total."
        )
    text += f" ({e.variants} variants of {e.iterations:,} iterations each, seed {e.seed}.)"
    return text
