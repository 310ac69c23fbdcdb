"""Iterations finished per calendar day: a finish distribution, exact by date, of bounded size."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.doneby import end_of_day
from sim.percentiles import rank_of


@dataclass(frozen=True)
class DayCounts:
    """Finish times of `n` iterations reduced to whole days: `counts[j]` iterations finished during
    day `first + j` (days since start, the floor of the finish time) and `never` did not finish.

    Everything the outputs state by date follows exactly from it (`sim.doneby`: done by a date
    means finished before the end of that day): P(done by a date), the date of each percentile,
    CDF points and calendar histograms. Its size grows with the span of dates, not with `n`.
    """

    first: int
    counts: np.ndarray
    never: int

    @property
    def n(self) -> int:
        return int(self.counts.sum()) + self.never

    @property
    def done(self) -> int:
        return int(self.counts.sum())

    @classmethod
    def of(cls, finish: np.ndarray) -> DayCounts:
        """The day counts of finish times (`inf` for never)."""
        x = np.asarray(finish, dtype=float)
        days = np.floor(x[np.isfinite(x)]).astype(np.int64)
        never = int(x.size - days.size)
        if days.size == 0:
            return cls(0, np.zeros(0, dtype=np.int64), never)
        first = int(days.min())
        return cls(first, np.bincount(days - first).astype(np.int64), never)

    @classmethod
    def empty(cls) -> DayCounts:
        return cls(0, np.zeros(0, dtype=np.int64), 0)

    def __add__(self, other: DayCounts) -> DayCounts:
        """The counts of both sets of iterations (exact: integer sums)."""
        if not other.counts.size:
            return DayCounts(self.first, self.counts, self.never + other.never)
        if not self.counts.size:
            return DayCounts(other.first, other.counts, self.never + other.never)
        first = min(self.first, other.first)
        last = max(self.first + self.counts.size, other.first + other.counts.size)
        counts = np.zeros(last - first, dtype=np.int64)
        counts[self.first - first : self.first - first + self.counts.size] += self.counts
        counts[other.first - first : other.first - first + other.counts.size] += other.counts
        return DayCounts(first, counts, self.never + other.never)

    def without(self, part: DayCounts) -> DayCounts:
        """The counts of these iterations but those of `part`, a subset of them (exact)."""
        counts = self.counts.copy()
        if part.counts.size:
            at = part.first - self.first
            counts[at : at + part.counts.size] -= part.counts
        return DayCounts(self.first, counts, self.never - part.never)

    def kth(self, k: int) -> float:
        """The day of the k-th smallest finish (0-based), `inf` when that iteration never finished."""
        if k >= self.done:
            return math.inf
        cum = np.cumsum(self.counts)
        return float(self.first + int(np.searchsorted(cum, k, side="right")))

    def kths(self, ks: np.ndarray) -> np.ndarray:
        """`kth` for an array of 0-based ranks, from one cumulative sum."""
        ks = np.asarray(ks, dtype=np.int64)
        cum = np.cumsum(self.counts)
        days = (self.first + np.searchsorted(cum, ks, side="right")).astype(float)
        return np.where(ks >= self.done, math.inf, days)

    def percentile(self, p: float) -> float | None:
        """The day of the p-th percentile by the inverted empirical CDF (`sim.percentiles`), None
        when that is a never or there are no iterations: the date of the array path's percentile,
        which lies within that day."""
        if self.n == 0:
            return None
        v = self.kth(rank_of(p, self.n) - 1)
        return v if math.isfinite(v) else None

    def done_by(self, days: float) -> int:
        """How many finished on or before the date on which `days` falls."""
        last = int(end_of_day(days)) - 1  # the last whole day counted
        upto = min(max(last - self.first + 1, 0), self.counts.size)
        return int(self.counts[:upto].sum())

    def min_day(self) -> float | None:
        return float(self.first) if self.done else None

    def max_day(self) -> float | None:
        if not self.done:
            return None
        return float(self.first + int(np.flatnonzero(self.counts)[-1]))
