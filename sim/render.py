"""The terminal view of a run: a table of dates per milestone and the headline's main drivers."""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING

from sim.results import Result

if TYPE_CHECKING:
    from sim.backtest import Backtest


def print_table(result: Result, file: IO[str] | None = None) -> None:
    """Print P10/P50/P90 dates, target, P(target) and done share per milestone, then the inputs
    that move the headline's finish most."""
    from rich.console import Console
    from rich.table import Table

    sc = result.scenario
    console = Console(
        file=file, soft_wrap=False, width=140 if file is not None and not file.isatty() else None
    )
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
    for mid in result.milestone_ids:
        m = sc.milestones[mid]
        cells = []
        for p in (10, 50, 90):
            d = sc.date_of(result.percentile_days(mid, p))
            cells.append(d.isoformat() if d else "never")
        if wide:
            target = sc.date_of(m.target) if m.target is not None else None
            cells.append(target.isoformat() if target else "")
        cells.append(f"{result.p_by(mid, m.target):.0%}" if m.target is not None else "")
        cells.append(f"{result.done_fraction(mid):.0%}")
        name = _escape(m.title)
        table.add_row(f"[bold]{name}[/bold]" if mid == sc.headline else name, *cells)
    console.print(table)
    drivers = top_drivers(result)
    if drivers:
        title = _escape(sc.milestones[sc.headline].title)
        console.print(
            f"What drives [bold]{title}[/bold] (rank correlation with its date; + means later):",
            highlight=False,
        )
        for label, rho in drivers:
            console.print(f"  {rho:+.2f}  {_escape(label)}", highlight=False)


def top_drivers(result: Result, count: int = 5, floor: float = 0.05) -> list[tuple[str, float]]:
    """The inputs that move the headline's finish most: (label, Spearman rho) with |rho| >= floor."""
    from sim.sensitivity import tornado

    ranked = tornado(result, result.scenario.headline)[:count]
    return [(item.label, rho) for item, rho in ranked if abs(rho) >= floor]


def _escape(text: str) -> str:
    """User text for a rich console: no markup, control characters and escape sequences shown escaped."""
    from rich.markup import escape

    from sim.display import terminal

    return escape(terminal(text))


def print_backtest(scores: Backtest, file: IO[str] | None = None) -> None:
    """Print each milestone's forecast P(done by as_of) against what happened, and the scores."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=file, soft_wrap=False, width=None if (file or sys.stdout).isatty() else 120)
    table = Table(
        title=f"{_escape(scores.forecast)} scored against {_escape(scores.outcome)}, as of {scores.as_of}",
        title_justify="left",
    )
    table.add_column("milestone", ratio=1, overflow="fold", min_width=12)
    for col in ("forecast median", "P(done)", "plan said", "happened", "PIT"):
        table.add_column(col, justify="right", no_wrap=True)
    for r in scores.rows:
        table.add_row(
            _escape(r.title),
            r.median.isoformat() if r.median else "never",
            f"{r.p_done:.0%}",
            "done" if r.plan_done else "not done",
            r.actual.isoformat() if r.actual else "not done",
            "" if r.pit is None else f"{r.pit:.2f}",
        )
    console.print(table)
    console.print(
        f"P(done) is the forecast's chance of being done by {scores.as_of}. Brier score of the forecast: "
        f"{scores.brier:.3f}; of the plan taken as certain: {scores.plan_brier:.3f} (0 is perfect).",
        highlight=False,
    )
