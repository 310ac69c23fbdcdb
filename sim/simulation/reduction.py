"""A streamed run's statistics: each chunk reduced to counts, moments and a subsample, added in order."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from sim.analysis.aggregates import ConvergencePoint, quantile_band
from sim.simulation.daycounts import DayCounts
from sim.simulation.inputs import InputKey

K = TypeVar("K")

if TYPE_CHECKING:
    from sim.scenario.model import Scenario


@dataclass
class Moments:
    """Count, mean and sum of squared deviations of the completed iterations' finish times."""

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0

    @classmethod
    def of(cls, finish: np.ndarray) -> Moments:
        done = finish[np.isfinite(finish)]
        if not done.size:
            return cls()
        mean = float(done.mean())
        return cls(int(done.size), mean, float(np.square(done - mean).sum()))

    def __add__(self, other: Moments) -> Moments:
        """Chan, Golub and LeVeque's pairwise update; applied in chunk order, so the result does
        not depend on how many workers ran the chunks."""
        if not other.count:
            return self
        if not self.count:
            return other
        n = self.count + other.count
        delta = other.mean - self.mean
        return Moments(
            n,
            self.mean + delta * other.count / n,
            self.m2 + other.m2 + delta * delta * self.count * other.count / n,
        )

    @property
    def sd(self) -> float | None:
        """Sample standard deviation (ddof=1), None with fewer than 2 completed iterations."""
        return math.sqrt(self.m2 / (self.count - 1)) if self.count > 1 else None


@dataclass
class IterationArrays:
    """Every per-iteration array of some iterations (along the last axis): a chunk's, a whole
    run's, or a streamed run's subsample rows."""

    finish: np.ndarray
    driver: np.ndarray
    duration: np.ndarray
    lag: np.ndarray
    risk_occurred: dict[str, np.ndarray]
    outcome: dict[str, np.ndarray]
    inputs: dict[InputKey, np.ndarray]  # `sampling.input_values`


@dataclass
class Reduction:
    """Everything a streamed run keeps of one chunk, or of a whole run once its chunks are
    accumulated in order (`Accumulator`): per milestone the day counts and moments of its finish;
    the criticality counts of the headline (how many completed iterations had each milestone on
    its driving path, and how many completed); the headline's day counts on the "yes" side of
    each signpost event; how often each risk occurred and each decision
    outcome was taken; the subsample's iteration numbers and rows; and, for a whole run, the
    headline's running percentiles at chunk ends (`sim.analysis.aggregates.convergence_of_counts`)."""

    n: int
    days: list[DayCounts]
    moments: list[Moments]
    critical: np.ndarray
    critical_done: int
    risks: dict[str, int]
    outcomes: dict[str, np.ndarray]
    rows: np.ndarray
    sample: IterationArrays
    head: int = 0
    convergence: dict[int, list[ConvergencePoint]] = field(default_factory=dict)
    # Per signpost event (`sim.analysis.signposts.events`), the headline's day counts over the
    # iterations in which the event happened.
    signposts: list[DayCounts] = field(default_factory=list)
    # Per milestone with two or more predecessors (`merge_points`), the day counts of the moment
    # all of them are done (the latest of their finishes): what its merge bias needs.
    merges: dict[str, DayCounts] = field(default_factory=dict)


def merge_points(scenario: Scenario) -> dict[str, list[str]]:
    """Each milestone with two or more distinct predecessors, with them (sorted), in file order."""
    out = {}
    for mid, m in scenario.milestones.items():
        preds = sorted({p.id for p in m.after})
        if len(preds) >= 2:
            out[mid] = preds
    return out


def merge_counts(scenario: Scenario, ids: Sequence[str], finish: np.ndarray) -> dict[str, DayCounts]:
    """`Reduction.merges` of a chunk whose finish times (rows in the order of `ids`) are `finish`."""
    row = {mid: i for i, mid in enumerate(ids)}
    return {
        mid: DayCounts.of(finish[[row[p] for p in preds]].max(axis=0))
        for mid, preds in merge_points(scenario).items()
    }


class Accumulator:
    """Adds up the reductions of a run's chunks as they arrive, in chunk order.

    The counts are integer sums and the moments are merged in chunk order, so the total does not
    depend on where the chunks ran. Memory holds one running total (its size set by the span of
    dates, not the number of chunks) and the subsample's rows, copied as each chunk arrives into
    arrays sized once for the `rows` (sorted iteration numbers) the chunks pick: nothing is kept
    per chunk, so memory does not grow with the number of iterations.
    """

    def __init__(
        self,
        sizes: list[int],
        head: int,
        rows: np.ndarray,
        percentiles: tuple[int, ...] = (50, 80),
        points: int = 30,
    ):
        ends = np.cumsum(sizes)
        grid = np.unique(np.round(np.geomspace(ends[0], ends[-1], num=points)).astype(np.int64))
        # The chunk ends nearest above each point of a log-spaced grid, the last one included.
        self._marks = set(np.searchsorted(ends, grid).tolist())
        self._percentiles = percentiles
        self._head = head
        self._rows = rows
        self._filled = 0  # subsample rows copied so far
        self._chunks = 0
        self._total: Reduction | None = None
        self._convergence: dict[int, list[ConvergencePoint]] = {p: [] for p in percentiles}

    def add(self, part: Reduction) -> None:
        total = self._total
        if total is None:
            total = Reduction(
                0,
                [DayCounts.empty()] * len(part.days),
                [Moments()] * len(part.moments),
                np.zeros_like(part.critical),
                0,
                dict.fromkeys(part.risks, 0),
                {k: np.zeros_like(v) for k, v in part.outcomes.items()},
                self._rows,
                _sized_like(part.sample, self._rows.size),
                signposts=[DayCounts.empty()] * len(part.signposts),
                merges=dict.fromkeys(part.merges, DayCounts.empty()),
            )
        self._total = Reduction(
            n=total.n + part.n,
            days=[a + b for a, b in zip(total.days, part.days, strict=True)],
            moments=[a + b for a, b in zip(total.moments, part.moments, strict=True)],
            critical=total.critical + part.critical,
            critical_done=total.critical_done + part.critical_done,
            risks={k: v + part.risks[k] for k, v in total.risks.items()},
            outcomes={k: v + part.outcomes[k] for k, v in total.outcomes.items()},
            rows=total.rows,
            sample=total.sample,
            signposts=[a + b for a, b in zip(total.signposts, part.signposts, strict=True)],
            merges={k: v + part.merges[k] for k, v in total.merges.items()},
        )
        self._fill(part, total.n)
        self._chunks += 1
        if self._chunks - 1 in self._marks:
            counts = self._total.days[self._head]
            for p in self._percentiles:
                low, high = quantile_band(counts, p / 100.0)
                self._convergence[p].append(ConvergencePoint(self._total.n, counts.percentile(p), low, high))

    def _fill(self, part: Reduction, offset: int) -> None:
        """Copy a chunk's subsample rows (numbered from `offset`, the iterations before it) into place."""
        assert self._total is not None
        k = part.rows.size
        if not k:
            return
        at = slice(self._filled, self._filled + k)
        assert np.array_equal(self._rows[at], part.rows + offset), "chunks added out of order"
        kept, got = self._total.sample, part.sample
        kept.finish[..., at], kept.driver[..., at] = got.finish, got.driver
        kept.duration[..., at], kept.lag[..., at] = got.duration, got.lag
        _fill(kept.risk_occurred, got.risk_occurred, at)
        _fill(kept.outcome, got.outcome, at)
        _fill(kept.inputs, got.inputs, at)
        self._filled += k

    def total(self) -> Reduction:
        assert self._total is not None, "no chunk was added"
        assert self._filled == self._rows.size, "some subsample rows were never added"
        return replace(self._total, head=self._head, convergence=self._convergence)


def _fill(mine: dict[K, np.ndarray], theirs: dict[K, np.ndarray], at: slice) -> None:
    for key, values in theirs.items():
        mine[key][..., at] = values


def _sized_like(sample: IterationArrays, rows: int) -> IterationArrays:
    """Empty arrays of `sample`'s kinds and shapes, with `rows` along the last axis."""

    def like(a: np.ndarray) -> np.ndarray:
        return np.empty((*a.shape[:-1], rows), dtype=a.dtype)

    def likes(d: dict[K, np.ndarray]) -> dict[K, np.ndarray]:
        return {k: like(v) for k, v in d.items()}

    return IterationArrays(
        like(sample.finish),
        like(sample.driver),
        like(sample.duration),
        like(sample.lag),
        likes(sample.risk_occurred),
        likes(sample.outcome),
        likes(sample.inputs),
    )
