"""The terminal table of a run: P10/P50/P90 dates, P(target) and done share per milestone."""

from __future__ import annotations

from typing import IO

from sim.results import Result


def print_table(result: Result, file: IO[str] | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    sc = result.scenario
    console = Console(
        file=file, soft_wrap=False, width=140 if file is not None and not file.isatty() else None
    )
    # In a narrow terminal the target dates give way so that milestone names stay readable.
    wide = console.width >= 110
    table = Table(
        title=f"{sc.name} — {result.iterations} iterations, seed {result.seed}",
        title_justify="left",
    )
    table.add_column("milestone", ratio=1, overflow="fold", min_width=12)
    for col in (
        ("P10", "P50", "P90", "target", "P(target)", "done")
        if wide
        else ("P10", "P50", "P90", "P(target)", "done")
    ):
        # Dates are never cut short: the milestone column folds instead.
        table.add_column(col, justify="right", no_wrap=True, min_width=len(col))
    for mid in result.milestone_ids:
        m = sc.milestones[mid]
        cells = []
        for p in (10, 50, 90):
            d = sc.date_of(result.percentile_days(mid, p))
            cells.append(d.isoformat() if d else "never")
        target = sc.date_of(m.target) if m.target is not None else None
        p_target = f"{result.p_by(mid, m.target):.0%}" if m.target is not None else ""
        name = f"[bold]{m.title}[/bold]" if mid == sc.headline else m.title
        table.add_row(
            _escape(name) if mid != sc.headline else f"[bold]{_escape(m.title)}[/bold]",
            *cells,
            target.isoformat() if target else "",
            p_target,
            f"{result.done_fraction(mid):.0%}",
        )
    Console(file=file, soft_wrap=False, width=140 if file is not None and not file.isatty() else None).print(
        table
    )


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
