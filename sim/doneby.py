"""What "done by a date" means everywhere: finished before the end of that calendar day."""

from __future__ import annotations

import math

import numpy as np


def end_of_day(days: float) -> float:
    """The first moment after the calendar day on which a time of `days` falls.

    Times are float days since `start` and dates are whole days, so the day of `days` is
    [floor(days), floor(days) + 1): a milestone is done by that date iff it finished before
    this moment. Targets, the horizon and the status date (`as_of`) all use it.
    """
    return float(math.floor(days)) + 1.0


def done_by(finish: np.ndarray | float, days: float) -> np.ndarray:
    """Whether finish times (`inf` for never) fall on or before the date on which `days` falls."""
    return np.asarray(finish) < end_of_day(days)


def count_done_by(sorted_finish: np.ndarray, days: float) -> int:
    """How many of the ascending finish times fall on or before the date on which `days` falls."""
    return int(np.searchsorted(sorted_finish, end_of_day(days), side="left"))
