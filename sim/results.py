"""Simulation results: finish days per milestone and iteration, and the statistics read from them."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from sim.doneby import done_by
from sim.scenario import Scenario

PERCENTILES: tuple[int, ...] = (5, 10, 20, 50, 80, 90, 95)

InputKind = Literal["duration", "lag", "attempts", "retry", "effect", "hold", "risk", "decision"]


@dataclass(frozen=True)
class RandomInput:
    """One random input of the model, as drawn in every iteration (for sensitivity analysis).

    `duration`: the milestone's own drawn duration in days (before risk and decision effects;
    NaN in an iteration where a status date left no duration to draw and the milestone was taken
    to finish on `as_of`);
    `lag`: a drawn wait after a predecessor; `attempts`: failed attempts before the one that
    succeeded (1 + max retries when all failed); `retry`: the mean drawn time to try again over
    the retries taken (NaN when the first attempt succeeded); `effect`: a risk's or outcome's
    drawn scale or added time (NaN where it did not happen); `hold`: a drawn resource hold;
    `risk`: 1.0 where the risk occurred, else 0.0; `decision`: 1.0 where the decision took
    the outcome named in `id` (`<milestone>=<outcome>`), else 0.0.
    """

    id: str
    label: str
    kind: InputKind
    values: np.ndarray


@dataclass
class Result:
    """What a run produced.

    `finish[m, i]` is the day (since `scenario.start`) on which milestone `milestone_ids[m]`
    completed in iteration `i`; `inf` means never or not by the horizon. Rows are in plan
    (topological) order. `driver[m, i]` is the row of the milestone that set milestone m's start
    in iteration i: the predecessor whose finish (plus lag) came last or, if m then waited for a
    shared resource, the milestone that gave it back; -1 when none did (no predecessors, or the
    finish was fixed by `not_before` or an `actual`). Following it back from a milestone gives
    the path that determined its date; when several predecessors arrived at that same moment,
    `driver` names the first listed and `sim.sensitivity.criticality` finds the others from
    `finish` and `lag`. `lag[s, i]` is the lag drawn for lag slot s (`sim.plan.Plan.lags`) in
    iteration i. `finished_at` is when the run ended (UTC).
    """

    scenario: Scenario
    milestone_ids: tuple[str, ...]
    finish: np.ndarray
    driver: np.ndarray
    plan_days: np.ndarray
    lag: np.ndarray | None = None
    inputs: list[RandomInput] = field(default_factory=list)
    risk_occurred: dict[str, np.ndarray] = field(default_factory=dict)
    outcome: dict[str, np.ndarray] = field(default_factory=dict)
    seed: int = 0
    seed_fresh: bool = False
    engine: str = "simpy"
    workers: int = 1
    seconds: float = 0.0
    finished_at: dt.datetime | None = None
    _sorted: dict[int, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def iterations(self) -> int:
        return int(self.finish.shape[1])

    def index(self, milestone: str) -> int:
        try:
            return self.milestone_ids.index(milestone)
        except ValueError:
            raise KeyError(f"no milestone {milestone!r} in this result") from None

    def finish_of(self, milestone: str) -> np.ndarray:
        """Finish days of one milestone over all iterations (`inf` for never)."""
        return self.finish[self.index(milestone)]

    def plan_of(self, milestone: str) -> float:
        """The deterministic plan's finish day (`inf` if the plan never completes it)."""
        return float(self.plan_days[self.index(milestone)])

    def done_fraction(self, milestone: str) -> float:
        return float(np.isfinite(self.finish_of(milestone)).mean())

    def p_by(self, milestone: str, days: float) -> float:
        """P(done by the date on which `days` falls): the share of iterations finished before the
        end of that calendar day (`sim.doneby`), so that it agrees with `Scenario.date_of`."""
        return float(done_by(self.finish_of(milestone), days).mean())

    def percentile_days(self, milestone: str, p: float) -> float | None:
        """The p-th percentile (0-100) of the finish day over all iterations.

        "Never" sorts after every date. The inverted empirical CDF (see `percentile_of`): the
        earliest simulated finish by which at least p % of iterations are done; None when that
        is a never-done iteration.
        """
        row = self.index(milestone)
        if row not in self._sorted:
            self._sorted[row] = np.sort(self.finish[row])
        return percentile_of(self._sorted[row], p, presorted=True)

    def mean_days(self, milestone: str) -> float | None:
        x = self.finish_of(milestone)
        done = x[np.isfinite(x)]
        return float(done.mean()) if done.size else None

    def sd_days(self, milestone: str) -> float | None:
        """Sample standard deviation (ddof=1) over completed iterations; None with fewer than 2."""
        x = self.finish_of(milestone)
        done = x[np.isfinite(x)]
        return float(done.std(ddof=1)) if done.size > 1 else None

    def branch_frequencies(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for mid, chosen in self.outcome.items():
            branches = self.scenario.milestones[mid].branches
            counts = np.bincount(chosen, minlength=len(branches)) / max(chosen.size, 1)
            out[mid] = {b.id: float(c) for b, c in zip(branches, counts)}
        return out

    def risk_frequencies(self) -> dict[str, float]:
        return {rid: float(occ.mean()) for rid, occ in self.risk_occurred.items()}


def percentile_of(x: np.ndarray, p: float, presorted: bool = False) -> float | None:
    """The p-th percentile (0 < p <= 100) by the inverted empirical CDF, `inf` counting as never.

    The earliest value by which at least p % of the iterations are done: the k-th smallest with
    k = ceil(p n / 100), never an interpolation between two simulated values, so that "p % likely
    by D" holds for the simulated futures even where they cluster on a few dates. None when that
    value is a never (`inf`) or there are no values. Every percentile lunarsim shows (terminal,
    summary JSON, report, backtest) comes from here.
    """
    n = x.size
    if n == 0:
        return None
    s = x if presorted else np.sort(x)
    # p * n is exact for the percentiles used; the tolerance absorbs a p such as 100 / 3.
    k = min(max(math.ceil(p * n / 100.0 - 1e-9), 1), n)
    v = float(s[k - 1])
    return v if math.isfinite(v) else None
