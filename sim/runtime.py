"""The least time a run can take, so that a run that could not finish is refused before it starts."""

from __future__ import annotations

import os

# The fastest the vector engine goes on one core: seconds per iteration, plus seconds per value
# (a milestone, retry attempt or risk of one iteration). Twice as fast as measured on a busy
# two-core machine with one worker (10^7 iterations of a one-milestone scenario in 5.5 s, of
# tutorial-launch-campaign, 10 values each, in 14.3 s), so an estimate from them is a lower
# bound; SimPy is slower still.
SECONDS_PER_ITERATION = 2.5e-7
SECONDS_PER_VALUE = 7e-8
# A run that would take longer than this even at that rate is refused.
MAX_SECONDS = 24 * 3600.0


def least_seconds(values: int, iterations: int, cores: int | None = None) -> float:
    """The least time `iterations` of `values` each can take on `cores` (default: all)."""
    per = SECONDS_PER_ITERATION + values * SECONDS_PER_VALUE
    return iterations * per / max(cores or os.cpu_count() or 1, 1)


def most_iterations(values: int, cores: int | None = None) -> int:
    """The most iterations that can finish within MAX_SECONDS at the fastest rate."""
    per = SECONDS_PER_ITERATION + values * SECONDS_PER_VALUE
    most = int(MAX_SECONDS * max(cores or os.cpu_count() or 1, 1) / per)
    step: int = 10 ** max(len(str(most)) - 2, 0)
    return most // step * step  # two significant digits, rounded down


def duration_text(seconds: float) -> str:
    """`31 hours`, `29 days`, `3,171 years`: whole units, the largest that fits."""
    for unit, size in (("years", 365.25 * 86400), ("days", 86400.0), ("hours", 3600.0), ("minutes", 60.0)):
        if seconds >= 2 * size:
            return f"{seconds / size:,.0f} {unit}"
    return f"{seconds:,.0f} seconds"


def check_finishes(values: int, milestones: int, iterations: int, memory: float) -> None:
    """Raise ValueError, with the estimated time and memory, when the run could not finish in a
    day even at the fastest rate. `memory` is the run's estimated peak in bytes."""
    seconds = least_seconds(values, iterations)
    if seconds <= MAX_SECONDS:
        return
    cores = os.cpu_count() or 1
    raise ValueError(
        f"{iterations:,} iterations of {milestones} milestone{'s' if milestones != 1 else ''} "
        f"({values:,} value{'s' if values != 1 else ''} each) would take at least "
        f"{duration_text(seconds)} on {cores} core{'s' if cores != 1 else ''} and about "
        f"{memory / 1e9:.1f} GB of memory; at most {most_iterations(values):,} finish within a day"
    )
