"""How a reader sees a share and a date: one format for the terminal, a notebook's view and the report."""

from __future__ import annotations

import datetime as dt
import math


def percent(p: float) -> str:
    """A share as a whole percentage for readers: "41 %", never rounding to a false 0 or 100."""
    if p <= 0.0:
        return "0 %"
    if p >= 1.0:
        return "100 %"
    whole = math.floor(p * 100.0 + 0.5)
    if whole < 1:
        return "< 1 %"
    if whole > 99:
        return "> 99 %"
    return f"{whole} %"


def day_text(day: dt.date | None) -> str:
    return "never" if day is None else day.isoformat()


def month_text(day: dt.date | None) -> str:
    return "never" if day is None else f"{day.year:04d}-{day.month:02d}"


def table_cells(row: dict[str, object]) -> dict[str, str]:
    """One `Result.table()` record as the terminal, a notebook and the report show it: P10/P50/P90
    to the month ("never" where that share is not done by the horizon), the target as given (""
    without one), P(target) and done as `percent` rounds them."""
    cells = {k: month_text(row[k]) for k in ("p10", "p50", "p90")}  # type: ignore[arg-type]
    target = row["target"]
    cells["target"] = target.isoformat() if isinstance(target, dt.date) else ""
    p_target = row["p_target"]
    cells["p_target"] = "" if p_target is None else percent(float(p_target))  # type: ignore[arg-type]
    cells["done"] = percent(float(row["done"]))  # type: ignore[arg-type]
    return cells
