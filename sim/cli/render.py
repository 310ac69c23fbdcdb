"""Terminal rendering with rich: a run's table and drivers, backtest scores, reference classes.

Each function prints what a library call returns (`Result.table()`, `Result.top_drivers()`, …).
"""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Any

from sim.results import Result

if TYPE_CHECKING:
    from sim.backtest import Backtest
    from sim.scenario import Scenario


def print_table(result: Result, file: IO[str] | None = None) -> None:
    """Print the headline's one-sentence answer (the report's first line), then P10/P50/P90 dates,
    target, P(target) and done share per milestone, then the inputs that move the headline's
    finish most."""
    from rich.console import Console
    from rich.table import Table

    from sim.report.headline import headline, percent

    sc = result.scenario
    console = Console(
        file=file, soft_wrap=False, width=140 if file is not None and not file.isatty() else None
    )
    # The answer first, in the words the report opens with; it wraps rather than runs off.
    answer = Console(file=file, width=console.width)
    answer.print(_escape(headline(result, result.headline).text), highlight=False)
    answer.print()
    # In a narrow terminal the target dates give way so that milestone names stay readable.
    wide = console.width >= 110
    columns = ["P10", "P50", "P90", *(["target"] if wide else []), "P(target)", "done"]
    table = Table(
        title=f"{_escape(sc.name)} — {result.iterations} iterations, seed {result.seed}", title_justify="left"
    )
    table.add_column("milestone", ratio=1, overflow="fold", min_width=12)
    for col in columns:
        # Dates are never cut short: the milestone column folds instead.
        table.add_column(col, justify="right", no_wrap=True, min_width=len(col))
    for row in result.table():
        cells = [row[k] or "never" for k in ("p10", "p50", "p90")]
        if wide:
            cells.append(row["target"] or "")
        cells.append("" if row["p_target"] is None else percent(row["p_target"]))
        cells.append(percent(row["done"]))
        name = _escape(row["title"])
        table.add_row(f"[bold]{name}[/bold]" if row["headline"] else name, *cells)
    console.print(table)
    console.print(
        f"P10/P50/P90: dates by which 10/50/90 % of the {result.iterations} simulated futures are done "
        "(never: not that share by the horizon). P(target): chance of being done by the end of the "
        f"target day. done: share of futures in which the milestone is done by the horizon "
        f"{sc.horizon.isoformat()}.",
        highlight=False,
    )
    drivers = result.top_drivers()
    if drivers:
        title = _escape(sc.milestones[result.headline].title)
        console.print(
            f"What drives [bold]{title}[/bold] (rank correlation with its date; + means later):",
            highlight=False,
        )
        for label, rho in drivers:
            console.print(f"  {rho:+.2f}  {_escape(label)}", highlight=False)


def _escape(text: str) -> str:
    """User text for a rich console: no markup, control characters and escape sequences shown escaped."""
    from rich.markup import escape

    from sim.display import terminal

    return escape(terminal(text))


def print_backtest(scores: Backtest, file: IO[str] | None = None) -> None:
    """Print each milestone's forecast P(done by as_of) against what happened, and the scores."""
    from rich.console import Console
    from rich.table import Table

    from sim.report.headline import percent

    console = Console(file=file, soft_wrap=False, width=None if (file or sys.stdout).isatty() else 120)
    table = Table(
        title=f"{_escape(scores.forecast)} scored against {_escape(scores.outcome)}, as of {scores.as_of}",
        title_justify="left",
    )
    table.add_column("milestone", ratio=1, overflow="fold", min_width=12)
    for col in ("forecast median", "P(done)", "plan said", "happened", "PIT", "CRPS (days)"):
        table.add_column(col, justify="right", no_wrap=True)
    for r in scores.rows:
        happened = r.actual.isoformat() if r.actual else "not done"
        if not r.scored:
            happened = "unknown (left out)"
        elif r.note:
            happened += " (left out)"
        table.add_row(
            _escape(r.title),
            r.median.isoformat() if r.median else "never",
            percent(r.p_done),
            "done" if r.plan_done else "not done",
            happened,
            "" if r.pit is None else f"{r.pit:.2f}",
            "" if r.crps is None else f"{r.crps:.0f}",
        )
    console.print(table)
    console.print(
        f"P(done) is the forecast's chance of being done by {scores.as_of}. \"Left out\": the later scenario "
        "leaves the milestone out; it is scored as not done only when named with --not-done, else "
        "not scored. Brier score of the forecast: "
        f"{scores.brier:.3f}; of the plan taken as certain: {scores.plan_brier:.3f} (0 is perfect). "
        f"CRPS over the window to {scores.as_of}: {scores.crps:.0f} days per milestone; the plan's: "
        f"{scores.plan_crps:.0f} (0 is perfect). PIT (probability integral transform): where what "
        "happened falls in the forecast, from 0 (earlier than every simulated future) to 1 (later "
        "than every one); over many milestones spread evenly over 0-1 when the forecast is "
        "calibrated, near 1 when it was optimistic.",
        highlight=False,
    )


def _ratio_cell(cell: object) -> str:
    if not isinstance(cell, dict):
        return "—"
    return f"{'≥' if cell['at_least'] else ''}{cell['ratio']:.2f}"


def print_reference(rows: list[dict[str, object]], file: IO[str] | None = None) -> None:
    """Print each reference class with its counts and slip-ratio quantiles."""
    from rich.console import Console
    from rich.table import Table

    from sim.reference import DATA_AS_OF, MIN_FORECASTS, MIN_HORIZON_DAYS

    console = Console(
        file=file, soft_wrap=False, width=140 if file is not None and not file.isatty() else None
    )
    table = Table(
        title=f"Slip ratio (actual ÷ announced time to launch) by reference class, data as of {DATA_AS_OF}",
        title_justify="left",
    )
    table.add_column("class", no_wrap=True)
    for col in ("forecasts", "missions", "censored", "P10", "P50", "P90"):
        table.add_column(col, justify="right", no_wrap=True)
    # In a narrow terminal the descriptions give way; `lunarsim reference CLASS` still shows them.
    wide = console.width >= 110
    if wide:
        table.add_column("what", ratio=1, overflow="fold", min_width=30)
    for row in rows:
        table.add_row(
            str(row["class"]),
            str(row["forecasts"]),
            str(row["missions"]),
            str(row["censored"]),
            *(_ratio_cell(row[k]) for k in ("p10", "p50", "p90")),
            *([_escape(str(row["description"]))] if wide else []),
        )
    console.print(table)
    console.print(
        "censored = not launched yet (counted as 'at least this late', Kaplan–Meier); "
        f"≥ = a lower bound, the class's longest waits are still waiting; — = fewer than "
        f"{MIN_FORECASTS} forecasts; announcements less than {MIN_HORIZON_DAYS} days before the "
        "launch they named are left out. Use a class as {reference: russian-lunar, planned: 2y}.",
        highlight=False,
    )


def print_forecasts(name: str, file: IO[str] | None = None) -> None:
    """Print the forecasts of one class: what was announced when, and what happened."""
    from rich.console import Console
    from rich.table import Table

    from sim.reference import slip_class

    cls = slip_class(name)
    console = Console(
        file=file, soft_wrap=False, width=160 if file is not None and not file.isatty() else None
    )
    table = Table(title=f"{cls.name}: {cls.description}", title_justify="left")
    table.add_column("mission", no_wrap=True)
    for col in ("announced on", "for", "launched", "ratio"):
        table.add_column(col, justify="right", no_wrap=True)
    wide = console.width >= 120
    if wide:
        table.add_column("source", ratio=1, overflow="fold", min_width=40)
    for f in sorted(cls.forecasts, key=lambda f: (f.mission, f.announced_on)):
        table.add_row(
            _escape(f.mission),
            f.announced_on.isoformat(),
            f.announced_launch.isoformat(),
            f.launched_on.isoformat() if f.launched_on else "not yet",
            f"{'>' if f.censored else ''}{f.ratio:.2f}",
            *([_escape(f.announcement_source)] if wide else []),
        )
    console.print(table)
    console.print(
        "ratio = (launch − announced on) ÷ (for − announced on); >x = not launched yet, so at least x. "
        "`lunarsim reference --json " + cls.name + "` gives every source.",
        highlight=False,
    )


def print_sweep(
    scenario: Scenario,
    keys: list[str],
    rows: list[dict[str, Any]],
    iterations: int,
    seed: int,
    file: IO[str] | None = None,
) -> None:
    """Print the headline's P(target), P10, P50, P80 and P90 per variant of a sweep."""
    from rich.console import Console
    from rich.table import Table

    from sim.report.headline import day_text, percent

    head = scenario.headline
    wide = 140 if file is not None and not file.isatty() else None
    console = Console(file=file, soft_wrap=False, width=wide)
    table = Table(
        title=f"{_escape(scenario.milestones[head].title)} — sweep of {_escape(scenario.name)}, "
        f"{iterations} iterations per variant, seed {seed}",
        title_justify="left",
    )
    table.add_column("#", justify="right")
    for key in keys:
        table.add_column(_escape(key), overflow="fold", min_width=min(len(key), 40))
    for col in ("P(target)", "P10", "P50", "P80", "P90"):
        table.add_column(col, justify="right", no_wrap=True, min_width=len(col))
    for row in rows:
        if row["milestone"] != head:
            continue
        cells = [str(row["variant"]), *(_escape(str(row[k])) for k in keys)]
        cells.append("—" if row["p_target"] is None else percent(row["p_target"]))
        cells += [day_text(scenario.date_of(row[f"p{p}_days"])) for p in (10, 50, 80, 90)]
        table.add_row(*cells)
    console.print(table)


def print_landings(as_of: Any, file: IO[str] | None = None) -> None:
    """Print each operator's chance of landing its next lunar attempt, then the attempts counted."""
    from rich.console import Console
    from rich.table import Table

    from sim.landings import PRIOR_WEIGHT, estimate, known, operators
    from sim.report.headline import percent

    console = Console(
        file=file, soft_wrap=False, width=140 if file is not None and not file.isatty() else None
    )
    table = Table(
        title=f"Chance of landing the next lunar attempt, from attempts up to {as_of.isoformat()}",
        title_justify="left",
    )
    table.add_column("operator", no_wrap=True)
    for col in ("attempts", "score", "group", "group rate", "P(lands)", "90 % interval", "success:"):
        table.add_column(col, justify="right", no_wrap=True)
    for op in operators():
        e = estimate(op, as_of)
        low, high = e.interval()
        table.add_row(
            _escape(op),
            str(e.attempts),
            f"{e.score:g}",
            e.group,
            percent(e.group_rate),
            percent(e.probability),
            f"{percent(low)}–{percent(high)}",
            f"{e.rounded:.2f}",
        )
    console.print(table)
    rows = known(as_of)
    attempts = Table(title="Attempts counted", title_justify="left")
    for col in ("date", "mission", "operator", "outcome"):
        attempts.add_column(col, no_wrap=col != "mission")
    wide = console.width >= 120
    if wide:
        attempts.add_column("source", ratio=1, overflow="fold", min_width=40)
    for a in rows:
        attempts.add_row(
            a.attempt_on.isoformat(),
            _escape(a.mission),
            _escape(a.operator),
            a.outcome,
            *([_escape(f"{a.outlet}, {a.published}, {a.url}")] if wide else []),
        )
    console.print(attempts)
    console.print(
        "score: landed 1, partial (down intact but on its side) 0.5, lost 0. group: newcomer until "
        "the operator has come down intact once. P(lands) = (score + k × group rate) ÷ (attempts + "
        f"k), k = {PRIOR_WEIGHT:g}: the group's record weighs as much as {PRIOR_WEIGHT:g} of the "
        "operator's own attempts; each group's rate is pulled the same way towards the rate of all "
        "attempts. success: the value a scenario dated then uses (docs/scenario-format.md).",
        highlight=False,
    )
