"""Simulation results: finish days per milestone and iteration, and the statistics read from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from sim.analysis.storage import Counted, Moments, Samples, Storage
from sim.percentiles import PERCENTILES
from sim.scenario.model import Scenario
from sim.simulation.daycounts import DayCounts
from sim.simulation.inputs import InputKind

T = TypeVar("T")

if TYPE_CHECKING:
    from sim.analysis.aggregates import ConvergencePoint
    from sim.simulation.plan import Plan
    from sim.simulation.reduction import Reduction


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

    `label` is the input in plain words, "<subject>: <detail>": the subject is what it belongs
    to (a milestone, risk or decision) and the detail what about it varies, the part that tells
    the inputs of one subject apart. A shortened label shortens the subject first
    (`sim.report.style.distinct_labels`); an effect's `detail` names its first milestone briefly
    ("delays Luna-26 orbiter… +1"), its `label` all of them. `subject` and `detail` are empty for
    a label made whole.
    """

    id: str
    label: str
    kind: InputKind
    values: np.ndarray
    subject: str = ""
    detail: str = ""


@dataclass(repr=False)
class Result:
    """What a run produced.

    `finish[m, i]` is the day (since `scenario.start`) on which milestone `milestone_ids[m]`
    completed in iteration `i`; `inf` means never or not by the horizon. Rows are in plan
    (topological) order. `driver[m, i]` is the row of the milestone that set milestone m's start
    in iteration i: the predecessor whose finish (plus lag) came last or, if m then waited for a
    shared resource, the milestone that gave it back; -1 when none did (no predecessors, or the
    finish was fixed by `not_before` or an `actual`). Following it back from a milestone gives
    the path that determined its date; when several predecessors arrived at that same moment,
    `driver` names the first listed and `sim.analysis.sensitivity.criticality` finds the others from
    `finish` and `lag`. `lag[s, i]` is the lag drawn for lag slot s (`sim.simulation.plan.Plan.lags`) in
    iteration i. `finished_at` is when the run ended (UTC). `replayable` is True when the run
    came from `sim.simulate`, so that its draws can be rebuilt from (scenario, seed, iterations),
    as `impacts()` needs; a Result built by hand is not.

    A streamed run (`streamed`; `sim.simulate` streams runs too big to keep every iteration, see
    `sim.api.streams`) keeps `stats`, the whole run reduced chunk by chunk (`sim.simulation.reduction`):
    per milestone the count of iterations finished on each day, the moments of the finish, the
    headline's criticality counts, risk and decision counts. Then `finish`, `driver`, `lag`,
    `inputs`, `risk_occurred` and `outcome` hold only a seeded subsample of iterations
    (`sample_rows`, the same iterations the array path ranks sensitivity on), and percentiles are
    exact to the day: `percentile_days` is the first moment of the day on which the exact
    percentile falls, whose date is exact. Everything else stated per date is exact.

    Everything a user asks of a run is a method here, and the command line prints exactly what
    these return: `summary()` (the summary JSON), `table()` (the terminal table's rows),
    `drivers()`, `top_drivers()`, `to_pandas()`, `write_report()` and `write_samples()`.
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
    replayable: bool = False
    stats: Reduction | None = None
    # The plan the run executed (compiled again, once, for a Result built by hand).
    compiled_plan: Plan | None = field(default=None, repr=False, compare=False)
    # Where the statistics are read from: every iteration, or a streamed run's counts.
    _storage: Storage | None = field(default=None, init=False, repr=False, compare=False)
    # Analyses computed once per result and reused by the summary, the terminal and the report,
    # keyed by what they are and the milestone; written only here (`remembered`).
    _memo: dict[tuple[str, str], Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    _impacts: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        shares = self.storage.headline_criticality()
        if shares is not None:
            self._memo[("criticality", self.scenario.headline)] = shares

    @property
    def storage(self) -> Storage:
        """The run's per-milestone distributions (`sim.analysis.storage`): read from every
        iteration kept, or from a streamed run's reductions (`stats`)."""
        if self._storage is None:
            if self.stats is None:
                self._storage = Samples(self.milestone_ids, self.finish, self.outcome, self.risk_occurred)
            else:
                self._storage = Counted(self.stats, self.milestone_ids, self.scenario.headline)
        return self._storage

    def compiled(self) -> Plan:
        """The compiled plan of `scenario` that the run executed."""
        if self.compiled_plan is None:
            from sim.simulation.plan import compile_plan

            self.compiled_plan = compile_plan(self.scenario)
        return self.compiled_plan

    def remembered(self, key: tuple[str, str], compute: Callable[[], T]) -> T:
        """`compute()`, computed once per result under `key` (what it is, and the milestone)."""
        if key not in self._memo:
            self._memo[key] = compute()
        value: T = self._memo[key]
        return value

    @property
    def iterations(self) -> int:
        return self.storage.iterations

    @property
    def streamed(self) -> bool:
        """Whether this run kept reductions and a subsample rather than every iteration."""
        return self.stats is not None

    @property
    def sample_rows(self) -> np.ndarray | None:
        """For a streamed run, the iteration numbers of the rows `finish` and the other
        per-iteration arrays hold (sorted); None when they hold every iteration."""
        return self.storage.sample_rows

    def distribution(self, milestone: str) -> np.ndarray | DayCounts:
        """A milestone's finish over all iterations, as the aggregates read it
        (`sim.analysis.aggregates.cdf`, `histogram`, `quantile_band`): every finish time, or for a streamed
        run its exact day counts."""
        return self.storage.distribution(self.index(milestone))

    def day_counts(self, milestone: str) -> DayCounts:
        """How many iterations finished on each day (`sim.simulation.daycounts`), for either kind of run."""
        return self.storage.day_counts(self.index(milestone))

    def convergence(
        self, milestone: str, percentiles: tuple[int, ...] = (50, 80)
    ) -> dict[int, list[ConvergencePoint]]:
        """Running percentiles of `milestone` with 95 % bands against iterations done
        (`sim.analysis.aggregates.convergence`). A streamed run has them for the headline only, at chunk
        ends, exact to the day; another milestone raises KeyError."""
        return self.storage.convergence(milestone, percentiles)

    def index(self, milestone: str) -> int:
        try:
            return self.milestone_ids.index(milestone)
        except ValueError:
            raise KeyError(f"no milestone {milestone!r} in this result") from None

    def finish_of(self, milestone: str) -> np.ndarray:
        """Finish days of one milestone over all iterations (`inf` for never); for a streamed
        run, over the subsample's iterations (`sample_rows`)."""
        return self.finish[self.index(milestone)]

    def plan_of(self, milestone: str) -> float:
        """The deterministic plan's finish day (`inf` if the plan never completes it)."""
        return float(self.plan_days[self.index(milestone)])

    def done_fraction(self, milestone: str) -> float:
        return self._moments(milestone)[0]

    def p_by(self, milestone: str, days: float) -> float:
        """P(done by the date on which `days` falls): the share of iterations finished before the
        end of that calendar day (`sim.doneby`), so that it agrees with `Scenario.date_of`."""
        return self.storage.p_by(self.index(milestone), days)

    def percentile_days(self, milestone: str, p: float) -> float | None:
        """The p-th percentile (0-100) of the finish day over all iterations.

        "Never" sorts after every date. The inverted empirical CDF (see `percentile_of`): the
        earliest simulated finish by which at least p % of iterations are done; None when that
        is a never-done iteration.
        """
        return self.storage.percentile(self.index(milestone), p)

    def prepare(self, drivers: bool = False) -> None:
        """Compute every milestone's standard percentiles and moments now, on as many threads as
        the run had workers (NumPy's partial sorts and reductions release the GIL), so that the
        summary, the terminal and the report then read them. Same numbers as computing them one
        by one: each milestone's are computed by the same operations, whichever thread runs them.
        `drivers=True` also computes the headline's criticality and rank correlations (`drivers()`)
        on those threads, started first since they are the longest tasks."""
        store = self.storage
        todo = [row for row in range(len(self.milestone_ids)) if not store.ready(row)]

        def one(row: int) -> None:
            store.percentile(row, PERCENTILES[0])
            store.moments(row)

        tasks: list[Any] = []
        if drivers:
            from sim.analysis.sensitivity import criticality, tornado

            head = self.scenario.headline
            tasks += [lambda: criticality(self, head), lambda: tornado(self, head)]
        tasks += [lambda row=row: one(row) for row in todo]
        if self.workers > 1 and len(tasks) > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(self.workers) as pool:
                for future in [pool.submit(task) for task in tasks]:
                    future.result()
        else:
            for task in tasks:
                task()

    def mean_days(self, milestone: str) -> float | None:
        return self._moments(milestone)[1]

    def sd_days(self, milestone: str) -> float | None:
        """Sample standard deviation (ddof=1) over completed iterations; None with fewer than 2."""
        return self._moments(milestone)[2]

    def _moments(self, milestone: str) -> Moments:
        """Share done, mean and sd of a milestone's completed iterations."""
        return self.storage.moments(self.index(milestone))

    def branch_frequencies(self) -> dict[str, dict[str, float]]:
        return self.storage.branch_frequencies(self.scenario)

    def risk_frequencies(self) -> dict[str, float]:
        return self.storage.risk_frequencies()

    @property
    def headline(self) -> str:
        """The milestone the run is about: the scenario's, else the one its plan finishes last."""
        return self.scenario.headline

    def summary(self, path: str | None = None, *, impacts: bool | None = None) -> dict[str, Any]:
        """The summary JSON (format 1) as a dict; `path` is recorded as the scenario's path.
        `impacts`: include the exact risk and decision impacts (True), leave them out (False),
        or include them when they are cheap (None: `sim.analysis.impacts.by_default`)."""
        from sim.analysis.summary import summary

        return summary(self, path, with_impacts=impacts)

    def attribution(self) -> dict[str, Any]:
        """The summary's `drivers.attribution` (`sim.analysis.attribution`): the headline's shift
        from no risk (decisions at their plan outcome) to as modelled, split among the risks and
        decisions by exact Shapley values on this run's draws. Computed once and kept. Raises
        ValueError for a Result not made by `sim.simulate`."""
        if ("attribution", self.headline) not in self._memo:
            if not self.replayable:
                raise ValueError("attribution re-runs the model on this run's draws: use sim.simulate")
            from sim.analysis.attribution import attribution

            self._memo[("attribution", self.headline)] = attribution(self)
        return self._memo[("attribution", self.headline)]

    @property
    def impacts_computed(self) -> bool:
        """Whether `impacts()` has been computed (and is kept) for this run."""
        return self._impacts is not None

    def impacts(self) -> dict[str, Any]:
        """The `impacts` section of the summary (`sim.analysis.impacts`): how the headline's P50, P80 and
        P(target) change when each risk is switched off or each decision outcome forced, on this
        run's own draws. Computed once and kept. Raises ValueError for a Result not made by
        `sim.simulate` (see `replayable`)."""
        if self._impacts is None:
            if not self.replayable:
                raise ValueError("impacts re-run the model on the run's draws: use a Result from sim.run")
            from sim.analysis.summary import impact_section

            self._impacts = impact_section(self)
        return self._impacts

    def table(self) -> list[dict[str, Any]]:
        """One plain record per milestone, in plan order: the rows of the terminal table.

        Keys: `milestone` (id), `title`, `headline` (bool), `p10`/`p50`/`p90` (`datetime.date`,
        the day the percentile falls in; None for never: that share is not done by the horizon),
        `target` (`datetime.date`, None without a target), `p_target` (share done by the end of
        the target day, None without a target) and `done` (share of iterations that completed
        it). `sim.report.headline.table_cells` shows a record as the terminal does. The same
        statistics as a sweep's rows (`sim.analysis.records.MilestoneRecord`).
        """
        from sim.analysis.records import MilestoneRecord

        return [MilestoneRecord.of(self, mid).table_row() for mid in self.milestone_ids]

    def drivers(self) -> dict[str, Any]:
        """The summary's `drivers`: the headline's criticality index and every uncertain input's
        rank correlation with its finish, strongest first."""
        from sim.analysis.summary import drivers

        return drivers(self)

    def top_drivers(self, count: int = 5, floor: float = 0.05) -> list[tuple[str, float]]:
        """The inputs that move the headline's finish most, as the terminal lists them:
        (label, Spearman rho) with |rho| >= floor, at most `count`."""
        from sim.analysis.sensitivity import tornado

        ranked = tornado(self, self.headline)[:count]
        return [(item.label, rho) for item, rho in ranked if abs(rho) >= floor]

    def to_pandas(self) -> Any:
        """`table()` as a pandas DataFrame indexed by milestone id: `p10`/`p50`/`p90` and `target`
        are datetime columns, and never is told apart from no target: a percentile that is never
        reached by the horizon is NaT with `p10_never`/`p50_never`/`p90_never` True, while a
        milestone without a target has NaT `target` and NaN `p_target`.

        pandas is an optional extra: `pip install 'lunarsim[pandas]'`; ImportError says so if missing.
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "Result.to_pandas needs pandas: pip install 'lunarsim[pandas]' (or use Result.table(), "
                "plain records)"
            ) from None
        frame = pd.DataFrame.from_records(self.table(), index="milestone")
        for column in ("p10", "p50", "p90", "target"):
            frame[column] = pd.to_datetime(frame[column])
        for column in ("p10", "p50", "p90"):
            frame[f"{column}_never"] = frame[column].isna()
        return frame

    def write_report(self, out_dir: str | Path = "reports", *, impacts: bool | None = None) -> Path:
        """Write the HTML report into `out_dir` (see `sim.report.write_report`); return its path.
        `impacts` as for `summary`: the report shows the exact impacts whenever they are computed."""
        from sim.report import write_report

        return write_report(self, Path(out_dir), impacts=impacts)

    def write_samples(self, path: str | Path) -> None:
        """Write every iteration's finish days to `path` (.csv, or .parquet with pyarrow)."""
        from sim.analysis.samples import write_samples

        write_samples(self, Path(path))

    def __repr__(self) -> str:
        engine = f"{self.engine} engine, {self.workers} worker{'s' if self.workers != 1 else ''}"
        return (
            f"<Result {self.scenario.name!r}: {len(self.milestone_ids)} milestones, "
            f"{self.iterations:,} iterations, seed {self.seed}, {engine}; headline {self.headline!r}>"
        )

    def _repr_html_(self) -> str:
        """The terminal table as HTML, for notebooks (every user text escaped; the same cells as
        the terminal, from `sim.report.headline.table_cells`)."""
        from html import escape

        from sim.formats import table_cells

        columns = ("milestone", "P10", "P50", "P90", "target", "P(target)", "done")
        head = "".join(f"<th>{h}</th>" for h in columns)
        body = []
        for r in self.table():
            title = escape(r["title"])
            shown = table_cells(r)
            cells = [f"<b>{title}</b>" if r["headline"] else title]
            cells += [shown[k] for k in ("p10", "p50", "p90", "target", "p_target", "done")]
            body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        caption = escape(f"{self.scenario.name}: {self.iterations:,} iterations, seed {self.seed}")
        return f"<table><caption>{caption}</caption><tr>{head}</tr>{''.join(body)}</table>"
