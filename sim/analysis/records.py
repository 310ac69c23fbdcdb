"""One record of a milestone's statistics in a run, and the two documented shapes it is written in.

`MilestoneRecord.of(result, milestone)` computes them once: the share done, the P10, P50, P80 and
P90 as days since the scenario's `start` and as the calendar day each falls in (None: never, that
share is not done by the horizon), the target and P(target) (None without a target). Two outputs
read it, each with names its readers already rely on:

- `table_row`: a row of `Result.table()` (the terminal table, `to_pandas`): `milestone`,
  `title`, `headline`, `p10`/`p50`/`p90` (dates), `target` (date), `p_target`, `done`.
- `sweep_row`: a row of the sweep table (docs/cli.md, CSV and Parquet columns): `milestone`,
  `done_fraction`, `p10_days` … `p90_days`, `p_target`, `p10_date` … `p90_date` (`SWEEP_COLUMNS`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.analysis.results import Result

PERCENTILES = (10, 50, 80, 90)
TABLE_PERCENTILES = (10, 50, 90)  # the terminal table's columns
SWEEP_COLUMNS = (
    "milestone",
    "done_fraction",
    *(f"p{p}_days" for p in PERCENTILES),
    "p_target",
    *(f"p{p}_date" for p in PERCENTILES),
)


@dataclass(frozen=True)
class MilestoneRecord:
    milestone: str
    title: str
    headline: bool
    done_fraction: float
    days: dict[int, float | None]  # percentile -> days since start; None: never
    dates: dict[int, dt.date | None]  # percentile -> the calendar day it falls in; None: never
    target: dt.date | None
    p_target: float | None  # the share done by the end of the target day; None without a target

    @classmethod
    def of(cls, result: Result, milestone: str) -> MilestoneRecord:
        sc = result.scenario
        m = sc.milestones[milestone]
        days = {p: result.percentile_days(milestone, p) for p in PERCENTILES}
        return cls(
            milestone=milestone,
            title=m.title,
            headline=milestone == sc.headline,
            done_fraction=result.done_fraction(milestone),
            days=days,
            dates={p: sc.date_of(d) for p, d in days.items()},
            target=sc.date_of(m.target) if m.target is not None else None,
            p_target=result.p_by(milestone, m.target) if m.target is not None else None,
        )

    def table_row(self) -> dict[str, Any]:
        """The record as a row of `Result.table()`."""
        return {
            "milestone": self.milestone,
            "title": self.title,
            "headline": self.headline,
            **{f"p{p}": self.dates[p] for p in TABLE_PERCENTILES},
            "target": self.target,
            "p_target": self.p_target,
            "done": self.done_fraction,
        }

    def sweep_row(self) -> dict[str, Any]:
        """The record as a row of the sweep table, in `SWEEP_COLUMNS` order."""
        return {
            "milestone": self.milestone,
            "done_fraction": self.done_fraction,
            **{f"p{p}_days": self.days[p] for p in PERCENTILES},
            "p_target": self.p_target,
            **{f"p{p}_date": self.dates[p] for p in PERCENTILES},
        }
