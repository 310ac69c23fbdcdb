"""The sweep table (one row per variant and milestone) as CSV text."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from sim.analysis.records import SWEEP_COLUMNS
from sim.display import spreadsheet_cell

STAT_COLUMNS = SWEEP_COLUMNS  # the statistics of each row (`sim.analysis.records`)


def table_csv(rows: list[dict[str, Any]]) -> str:
    """The records as the CSV text `sim.analysis.sweep.write_table` writes."""
    buffer = io.StringIO()
    write_csv(rows, list(rows[0]) if rows else ["variant", *STAT_COLUMNS], buffer)
    return buffer.getvalue()


def write_csv(rows: list[dict[str, Any]], columns: list[str], handle: Any) -> None:
    """Write the records' `columns` to `handle`; an empty cell means "never" or "no target"."""
    out = csv.writer(handle, lineterminator="\n")
    out.writerow(columns)
    for row in rows:
        out.writerow([_text(row[c]) for c in columns])


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, str):  # a --set value or a milestone id: never a formula in a spreadsheet
        return spreadsheet_cell(value)
    return repr(value) if isinstance(value, float) else str(value)
