"""How a run keeps its finishes, behind one protocol: every iteration, or a streamed run's counts.

`Result` asks its `Storage` for each milestone's distribution (percentiles, P(done by a day),
moments, day counts, running percentiles) and for the risk and decision frequencies, and never
asks which kind of run it holds:

- `Samples` reads them from every iteration's finish day (a run kept whole, or a Result built
  by hand);
- `Counted` reads them from a streamed run's reductions (`sim.simulation.reduction.Reduction`):
  per milestone the count of iterations finished on each day and the moments of the finish, so
  that percentiles are exact to the day and everything stated per date is exact.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from sim.doneby import done_by
from sim.percentiles import PERCENTILES, percentile_of, percentiles_of
from sim.simulation.daycounts import DayCounts

if TYPE_CHECKING:
    from sim.analysis.aggregates import ConvergencePoint
    from sim.analysis.results import Result
    from sim.analysis.signposts import Signpost
    from sim.scenario.model import Scenario
    from sim.simulation.reduction import Reduction

# Share of iterations done, mean and sample sd (ddof=1) of the completed ones (None when too few).
Moments = tuple[float, float | None, float | None]


class Storage(Protocol):
    """A run's per-milestone distributions, by the milestone's row in the plan."""

    @property
    def iterations(self) -> int: ...

    @property
    def sample_rows(self) -> np.ndarray | None:
        """The iteration numbers the per-iteration arrays hold (sorted); None for all of them."""

    def distribution(self, row: int) -> np.ndarray | DayCounts:
        """As the aggregates read it (`sim.analysis.aggregates.cdf`, `histogram`, ...)."""

    def day_counts(self, row: int) -> DayCounts: ...

    def p_by(self, row: int, days: float) -> float: ...

    def percentile(self, row: int, p: float) -> float | None: ...

    def moments(self, row: int) -> Moments: ...

    def ready(self, row: int) -> bool:
        """Whether the standard percentiles and the moments of `row` are at hand already."""

    def convergence(self, milestone: str, percentiles: tuple[int, ...]) -> dict[int, list[ConvergencePoint]]:
        """Running percentiles against iterations done (`sim.analysis.aggregates.convergence`)."""

    def branch_frequencies(self, scenario: Scenario) -> dict[str, dict[str, float]]: ...

    def risk_frequencies(self) -> dict[str, float]: ...

    def headline_criticality(self) -> dict[str, float] | None:
        """The headline's criticality when the run counted it over every iteration, else None."""

    def ranked_rows(self, seed: int) -> np.ndarray | None:
        """The rows of the per-iteration arrays that sensitivity ranks (None: all of them)."""

    def signposts(self, result: Result) -> list[Signpost]:
        """`sim.analysis.signposts.signposts` of the run, before it is kept."""

    def latest_percentiles(
        self, milestone: str, rows: list[int], ps: tuple[int, ...]
    ) -> dict[float, float | None]:
        """Percentiles of the moment all of `rows` are done (the latest of their finishes), for the
        merge point `milestone` (`sim.analysis.mergebias`)."""


class Samples:
    """Every iteration's finish day of every milestone (`finish[row, i]`, `inf` for never; `ids`:
    the milestone of each row)."""

    def __init__(
        self,
        ids: tuple[str, ...],
        finish: np.ndarray,
        outcome: dict[str, np.ndarray],
        risk_occurred: dict[str, np.ndarray],
    ) -> None:
        self.ids = ids
        self.finish = finish
        self.outcome = outcome
        self.risk_occurred = risk_occurred
        self._percentiles: dict[int, dict[float, float | None]] = {}
        self._sorted: dict[int, np.ndarray] = {}
        self._moments: dict[int, Moments] = {}

    @property
    def iterations(self) -> int:
        return int(self.finish.shape[1])

    @property
    def sample_rows(self) -> np.ndarray | None:
        return None

    def distribution(self, row: int) -> np.ndarray:
        finish: np.ndarray = self.finish[row]
        return finish

    def day_counts(self, row: int) -> DayCounts:
        return DayCounts.of(self.finish[row])

    def p_by(self, row: int, days: float) -> float:
        return float(done_by(self.finish[row], days).mean())

    def percentile(self, row: int, p: float) -> float | None:
        # The standard percentiles (every one the summary, the terminal and the report show) come
        # from one partition per milestone; any other p sorts that milestone once.
        known = self._percentiles.get(row)
        if known is None:
            known = self._percentiles[row] = percentiles_of(self.finish[row], PERCENTILES)
        if p in known:
            return known[p]
        if row not in self._sorted:
            self._sorted[row] = np.sort(self.finish[row])
        return percentile_of(self._sorted[row], p, presorted=True)

    def moments(self, row: int) -> Moments:
        """From one pass over the completed iterations, kept."""
        if row not in self._moments:
            x = self.finish[row]
            finite = np.isfinite(x)
            done = x if finite.all() else x[finite]  # no copy when every iteration completed
            self._moments[row] = (
                done.size / x.size if x.size else float("nan"),
                float(done.mean()) if done.size else None,
                float(done.std(ddof=1)) if done.size > 1 else None,
            )
        return self._moments[row]

    def ready(self, row: int) -> bool:
        return row in self._percentiles and row in self._moments

    def convergence(self, milestone: str, percentiles: tuple[int, ...]) -> dict[int, list[ConvergencePoint]]:
        from sim.analysis.aggregates import convergence

        if milestone not in self.ids:
            raise KeyError(f"no milestone {milestone!r} in this result")
        return convergence(self.finish[self.ids.index(milestone)], percentiles)

    def branch_frequencies(self, scenario: Scenario) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for mid, chosen in self.outcome.items():
            branches = scenario.milestones[mid].branches
            # A conditional decision never made (-1) counts for no outcome.
            counts = np.bincount(chosen[chosen >= 0], minlength=len(branches)) / max(chosen.size, 1)
            out[mid] = {b.id: float(c) for b, c in zip(branches, counts)}
        return out

    def risk_frequencies(self) -> dict[str, float]:
        return {rid: float(occ.mean()) for rid, occ in self.risk_occurred.items()}

    def headline_criticality(self) -> dict[str, float] | None:
        return None

    def ranked_rows(self, seed: int) -> np.ndarray | None:
        from sim.analysis.sensitivity import sample_rows

        return sample_rows(self.iterations, seed)

    def signposts(self, result: Result) -> list[Signpost]:
        from sim.analysis.signposts import from_samples

        return from_samples(result)

    def latest_percentiles(
        self, milestone: str, rows: list[int], ps: tuple[int, ...]
    ) -> dict[float, float | None]:
        return percentiles_of(self.finish[rows].max(axis=0), ps)


class Counted:
    """A streamed run's reductions: day counts and moments per milestone, counts of risks and
    outcomes, and the headline's running percentiles and criticality counts (`ids`: the
    milestone of each row)."""

    def __init__(self, stats: Reduction, ids: tuple[str, ...], headline: str) -> None:
        self.stats = stats
        self.ids = ids
        self.head = ids.index(headline)

    @property
    def iterations(self) -> int:
        return self.stats.n

    @property
    def sample_rows(self) -> np.ndarray | None:
        return self.stats.rows

    def distribution(self, row: int) -> DayCounts:
        return self.stats.days[row]

    def day_counts(self, row: int) -> DayCounts:
        return self.stats.days[row]

    def p_by(self, row: int, days: float) -> float:
        counts = self.stats.days[row]
        return counts.done_by(days) / counts.n

    def percentile(self, row: int, p: float) -> float | None:
        return self.stats.days[row].percentile(p)

    def moments(self, row: int) -> Moments:
        m = self.stats.moments[row]
        return (m.count / self.stats.n, m.mean if m.count else None, m.sd)

    def ready(self, row: int) -> bool:
        return True

    def convergence(self, milestone: str, percentiles: tuple[int, ...]) -> dict[int, list[ConvergencePoint]]:
        if milestone != self.ids[self.head] or not set(percentiles) <= set(self.stats.convergence):
            raise KeyError(
                f"a streamed run keeps the running P50 and P80 of its headline only, not {milestone!r}"
            )
        return {p: self.stats.convergence[p] for p in percentiles}

    def branch_frequencies(self, scenario: Scenario) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for mid, counts in self.stats.outcomes.items():
            branches = scenario.milestones[mid].branches
            out[mid] = {b.id: float(c) / max(self.stats.n, 1) for b, c in zip(branches, counts)}
        return out

    def risk_frequencies(self) -> dict[str, float]:
        return {rid: count / self.stats.n for rid, count in self.stats.risks.items()}

    def headline_criticality(self) -> dict[str, float] | None:
        # Counted over every iteration while streaming.
        n = max(self.stats.critical_done, 1)
        shares = {m: float(c) / n for m, c in zip(self.ids, self.stats.critical, strict=True)}
        shares[self.ids[self.head]] = 1.0
        return shares

    def ranked_rows(self, seed: int) -> np.ndarray | None:
        # The subsample kept is exactly the rows `sample_rows` picks for a run of this size.
        return None

    def signposts(self, result: Result) -> list[Signpost]:
        from sim.analysis.signposts import from_counts

        return from_counts(result, self.stats)

    def latest_percentiles(
        self, milestone: str, rows: list[int], ps: tuple[int, ...]
    ) -> dict[float, float | None]:
        # Counted chunk by chunk at every merge point (`Reduction.merges`): exact to the day.
        counts = self.stats.merges[milestone]
        return {p: counts.percentile(p) for p in ps}
