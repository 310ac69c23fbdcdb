"""Terminal rendering with rich: a run's table and drivers, backtest scores, reference classes.

Each function prints what a library call returns (`Result.table()`, `Result.top_drivers()`, …).
"""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Any

from sim.analysis.results import Result

if TYPE_CHECKING:
    from sim.analysis.backtest import Backtest
    from sim.scenario.model import Scenario


def console_for(file: IO[str] | None, piped_width: int) -> Any:
    """A rich console for `file` (stdout if None) as wide as the terminal, or as `COLUMNS` says
    (piped too), else `piped_width` when piped."""
    import os

    from rich.console import Console

    stream = file if file is not None else sys.stdout
    given = os.environ.get("COLUMNS", "").strip()
    width = None if stream.isatty() or (given.isdigit() and int(given) > 0) else piped_width
    return Console(file=file, soft_wrap=False, width=width)


# Below this many columns a run's table drops its target column (and its note says so); below
# WRAP_TITLES titles are cut to one line, so that each milestone takes one line.
TARGET_COLUMNS = 72
WRAP_TITLES = 110


def print_table(result: Result, file: IO[str] | None = None) -> None:
    """Print the headline's one-sentence answer (the report's first line), then P10/P50/P90
    dates, target, P(target) and done share per milestone, then the inputs that move the
    headline's finish most. Percentile dates are months: a run of thousands of futures does not
    pin a date decades out to the day (the report gives each one's ±)."""
    from rich.console import Console
    from rich.table import Table

    from sim.report.headline import headline

    sc = result.scenario
    console = console_for(file, 140)
    # The answer first, in the words the report opens with; it wraps rather than runs off.
    answer = Console(file=file, width=console.width)
    answer.print(_escape(headline(result, result.headline).text), highlight=False)
    answer.print()
    with_target = console.width >= TARGET_COLUMNS
    console.print(_milestone_table(result, console.width, with_target))
    target_note = (
        "P(target): chance of being done by the end of the target day"
        if with_target
        else f"P(target): chance of being done by the end of the target day (the target dates "
        f"need {TARGET_COLUMNS} columns)"
    )
    console.print(
        f"P10/P50/P90: months by which 10/50/90 % of the {result.iterations} simulated futures are done "
        f"(never: not that share by the horizon). {target_note}. done: share of futures in which the "
        f"milestone is done by the horizon {sc.horizon.isoformat()}.",
        highlight=False,
    )
    drivers = result.top_drivers()
    if drivers:
        title = _escape(sc.milestones[result.headline].title)
        console.print(
            f"What drives [bold]{title}[/bold] (rank correlation with its date; + means later):",
            highlight=False,
        )
        # A grid, so that a long label wraps under itself, not under its number.
        grid = Table.grid(padding=(0, 2, 0, 0))
        grid.add_column(justify="right", no_wrap=True)
        grid.add_column(overflow="fold")
        for label, rho in drivers:
            grid.add_row(f"  {rho:+.2f}", _escape(label))
        console.print(grid, highlight=False)


def _milestone_table(result: Result, width: int, with_target: bool) -> Any:
    """The milestones' rows as a rich table `width` characters wide (the target dates only when
    `with_target`): the numbers are never cut short, the milestone column takes what they leave."""
    from rich import box
    from rich.table import Table

    from sim.formats import table_cells
    from sim.report.style import whole_words

    sc = result.scenario
    one_line = width < WRAP_TITLES
    columns = ["P10", "P50", "P90", *(["target"] if with_target else []), "P(target)", "done"]
    table = Table(
        title=f"{_escape(sc.name)} — {result.iterations} iterations, seed {result.seed}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        padding=(0, 1, 0, 0),
    )
    rows = []
    for row in result.table():
        shown = table_cells(row)
        keys = ("p10", "p50", "p90", *(["target"] if with_target else []), "p_target", "done")
        rows.append([row["title"], *(shown[k] for k in keys)])
    # The numbers are never cut short: the milestone column takes what they leave. Its titles
    # wrap at spaces; in a narrow terminal each is cut to one line with "…" instead.
    widths = [max(len(col), *(len(r[k + 1]) for r in rows)) for k, col in enumerate(columns)]
    # Each column takes its width, a space of padding and the one-character rule between columns.
    room = max(12, width - sum(w + 2 for w in widths) - 1)
    table.add_column("milestone", min_width=min(12, room), max_width=room, no_wrap=one_line)
    for col, w in zip(columns, widths, strict=True):
        table.add_column(col, justify="right", no_wrap=True, min_width=w)
    for (title, *cells), row in zip(rows, result.table(), strict=True):
        name = _escape(whole_words(title, room) if one_line else title)
        table.add_row(f"[bold]{name}[/bold]" if row["headline"] else name, *cells)
    return table


def print_comparison(results: list[Result], file: IO[str] | None = None) -> None:
    """Print one table for the scenarios of a comparison: each shared milestone's P50 (to the
    month) in each scenario, how much later (+) or earlier (−) it is than in the first, in
    months, and each scenario's P(target)."""
    from rich import box
    from rich.table import Table

    from sim.formats import month_text, percent
    from sim.report.style import whole_words
    from sim.scenario.units import DAYS_PER_MONTH

    console = console_for(file, 140)
    first = results[0]
    shared = [m for m in first.milestone_ids if all(m in r.scenario.milestones for r in results[1:])]
    letters = [chr(ord("A") + k) for k in range(len(results))]
    columns = [f"P50 {x}" for x in letters]
    columns += [f"{x} − A" for x in letters[1:]]
    columns += [f"P(target) {x}" for x in letters]
    rows = []
    for mid in shared:
        days = [r.percentile_days(mid, 50) for r in results]
        cells = [month_text(r.scenario.date_of(d)) for r, d in zip(results, days, strict=True)]
        for d in days[1:]:
            if days[0] is None or d is None:
                cells.append("—")
            else:
                months = round((d - days[0]) / DAYS_PER_MONTH)
                cells.append("0" if months == 0 else f"{months:+d} mo".replace("-", "−"))
        for r in results:
            target = r.scenario.milestones[mid].target
            cells.append("" if target is None else percent(r.p_by(mid, target)))
        rows.append((mid, cells))
    widths = [max(len(col), *(len(c[k]) for _, c in rows)) for k, col in enumerate(columns)] if rows else []
    room = max(12, console.width - sum(w + 2 for w in widths) - 1)
    one_line = console.width < WRAP_TITLES
    table = Table(
        title=f"{len(results)} scenarios, {first.iterations} iterations each, seed {first.seed}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        padding=(0, 1, 0, 0),
    )
    table.add_column("shared milestone", min_width=min(12, room), max_width=room, no_wrap=one_line)
    for col, width in zip(columns, widths, strict=True):
        table.add_column(col, justify="right", no_wrap=True, min_width=width)
    for mid, cells in rows:
        title = first.scenario.milestones[mid].title
        name = _escape(whole_words(title, room) if one_line else title)
        table.add_row(f"[bold]{name}[/bold]" if mid == first.scenario.headline else name, *cells)
    console.print(table)
    for letter, r in zip(letters, results, strict=True):
        console.print(f"{letter}: {_escape(r.scenario.name)}", highlight=False)
    console.print(
        "P50: the month by which half the simulated futures are done (never: not half by the "
        "horizon). X − A: how many months later (+) or earlier (−) that is than in A. "
        "P(target): chance of being done by the end of that scenario's target day.",
        highlight=False,
    )


def _escape(text: str) -> str:
    """User text for a rich console: no markup, control characters and escape sequences shown escaped."""
    from rich.markup import escape

    from sim.display import terminal

    return escape(terminal(text))


def print_backtest(scores: Backtest, file: IO[str] | None = None) -> None:
    """Print each milestone's forecast P(done by as_of) against what happened, and the scores."""
    from rich.console import Console
    from rich.table import Table

    from sim.formats import percent

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


def _fitted_cell(cell: object) -> str:
    if not isinstance(cell, dict):
        return "—"
    lo, hi = cell["interval"]
    return f"{cell['ratio']:.2f} ({lo:.2f}–{hi:.2f})"


def _ratio_only(cell: object) -> str:
    return f"{cell['ratio']:.2f}" if isinstance(cell, dict) else "—"


def _ratio_cell(cell: object) -> str:
    if not isinstance(cell, dict):
        return "—"
    return f"{'≥' if cell['at_least'] else ''}{cell['ratio']:.2f}"


def print_reference(rows: list[dict[str, object]], file: IO[str] | None = None) -> None:
    """Print each reference class: counts, pooling, the fitted percentiles with their intervals
    and the Kaplan-Meier median."""
    from rich.console import Console
    from rich.table import Table

    from sim.scenario.reference import DATA_AS_OF, MIN_FORECASTS, MIN_HORIZON_DAYS
    from sim.scenario.referenceview import LEVEL

    console = Console(
        file=file, soft_wrap=False, width=160 if file is not None and not file.isatty() else None
    )
    planned = rows[0]["planned_years"] if rows else 2
    table = Table(
        title=(
            "Slip ratio (actual ÷ announced time to launch) by reference class, for an announcement "
            f"{planned:g} years ahead, data as of {DATA_AS_OF}"
        ),
        title_justify="left",
    )
    # In a narrow terminal P10, the longest horizon and the Kaplan-Meier median give way
    # (`--json` has them all).
    wide = console.width >= 130
    columns = ["flown", "waiting", "pooled", "longest flown", "P10", "P50", "P90", "KM P50"]
    if not wide:
        columns = ["flown", "waiting", "pooled", "P50", "P90"]
    table.add_column("class", no_wrap=True)
    for col in columns:
        table.add_column(col, justify="right", no_wrap=True)
    for row in rows:
        fitted = row["fitted"] if isinstance(row["fitted"], dict) else {}
        km = row["empirical"] if isinstance(row["empirical"], dict) else {}
        pooling = row["pooling"]
        longest = row["longest_flown_years"]
        cells = {
            "flown": str(row["flown"]),
            "waiting": str(row["waiting"]),
            "pooled": "—" if pooling is None else f"{round(100 * float(str(pooling)))} %",
            "longest flown": "—" if longest is None else f"{longest} y",
            "P10": _fitted_cell(fitted.get("p10")),
            "P50": _fitted_cell(fitted.get("p50")),
            "P90": _fitted_cell(fitted.get("p90")) if wide else _ratio_only(fitted.get("p90")),
            "KM P50": _ratio_cell(km.get("p50")),
        }
        table.add_row(str(row["class"]), *(cells[c] for c in columns))
    console.print(table)
    console.print(
        "P10/P50/P90: the fitted slip model (lognormal, partial pooling toward the whole record, "
        f"interval-coded dates, lead time), with {round(100 * LEVEL)} % intervals for each percentile; "
        "pooled = how much of the class's estimate comes from the whole record rather than its own "
        "rows; longest flown = the longest announced horizon of a launched announcement (beyond it "
        "the model extrapolates); KM P50 = the class's Kaplan–Meier median (≥ = a lower bound). "
        f"waiting = not launched yet (censored); — = fewer than {MIN_FORECASTS} announcements; "
        f"announcements less than {MIN_HORIZON_DAYS} days before the launch they named are left out. "
        "Use a class as {reference: russian-lunar, planned: 2y}; add method: empirical for the "
        "Kaplan–Meier draws. `lunarsim reference --validate` scores both.",
        highlight=False,
    )


def print_validation(rows: list[dict[str, object]], file: IO[str] | None = None) -> None:
    """Print the leave-one-mission-out scores per class and overall."""
    from rich.console import Console
    from rich.table import Table

    console = Console(
        file=file, soft_wrap=False, width=160 if file is not None and not file.isatty() else None
    )
    table = Table(
        title=(
            "Leave-one-mission-out scores of the slip forecasts "
            "(CRPS: lower is better; log score: higher is better)"
        ),
        title_justify="left",
    )
    # In a narrow terminal the "on time" columns give way (`--json` has them).
    wide = console.width >= 120
    columns = ["scored", "flown", "CRPS fitted", "CRPS KM", "CRPS on time", "fitted vs KM"]
    columns += ["log fitted", "log KM", "log on time"]
    if not wide:
        columns = [c for c in columns if "on time" not in c]
    table.add_column("class", no_wrap=True)
    for col in columns:
        table.add_column(col, justify="right", no_wrap=True)
    for row in rows:
        skill = row["crps_skill_vs_empirical"]
        cells = {
            "scored": str(row["scored"]),
            "flown": str(row["flown"]),
            "fitted vs KM": "—" if skill is None else f"{100 * float(str(skill)):+.0f} %",
        }
        for method, label in (("fitted", "fitted"), ("empirical", "KM"), ("on_time", "on time")):
            cells[f"CRPS {label}"] = f"{float(str(row[f'crps_{method}'])):.3f}"
            cells[f"log {label}"] = f"{float(str(row[f'log_{method}'])):.2f}"
        table.add_row(str(row["class"]), *(cells[c] for c in columns))
    console.print(table)
    console.print(
        "Each mission's announcements are held out in turn, the model refitted and the "
        "Kaplan–Meier recomputed without them, and each held-out announcement scored in every "
        "class it belongs to. CRPS in units of the slip ratio; announcements not flown yet count "
        "only for the probability put below their wait so far. fitted vs KM = how much lower the "
        "fitted model's CRPS is. Method: docs/scenario-format.md#reference-classes.",
        highlight=False,
    )


def print_forecasts(name: str, file: IO[str] | None = None) -> None:
    """Print the forecasts of one class: what was announced when, and what happened."""
    from rich.console import Console
    from rich.table import Table

    from sim.scenario.reference import MIN_FORECASTS, period_text, slip_class
    from sim.scenario.referenceview import class_row
    from sim.scenario.slipfit import class_fit

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
            period_text(f.announced_on, f.announced_on_period),
            period_text(f.announced_launch, f.announced_launch_period),
            period_text(f.launched_on, f.launched_on_period) if f.launched_on else "not yet",
            f"{'>' if f.censored else ''}{f.ratio:.2f}",
            *([_escape(f.announcement_source)] if wide else []),
        )
    console.print(table)
    if cls.n >= MIN_FORECASTS:
        row = class_row(cls, class_fit(name))
        fitted = row["fitted"]
        cells = ", ".join(f"{k.upper()} {_fitted_cell(fitted[k])}" for k in ("p10", "p50", "p90"))
        longest = row["longest_flown_years"]
        console.print(
            f"Fitted slip ratio for a 2-year announcement: {cells} (80 % intervals); "
            f"{row['flown']} flown and {row['waiting']} waiting; pooled {round(100 * row['pooling'])} % "
            "toward the whole record; longest flown horizon "
            f"{'—' if longest is None else f'{longest} y'}.",
            highlight=False,
        )
    console.print(
        "Dates as the sources give them (a year, a month or a range is any day of it); ratio = "
        "(launch − announced on) ÷ (for − announced on) at the periods' middle days; >x = not "
        "launched yet, so at least x. `lunarsim reference --json " + cls.name + "` gives every source.",
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
    """Print the headline's P(target), P10, P50, P80 and P90 per variant of a sweep: dates to the
    month, as `run` shows them, in a table that fits the terminal (or `COLUMNS`)."""
    from rich import box
    from rich.table import Table

    from sim.formats import month_text, percent

    head = scenario.headline
    console = console_for(file, 140)
    table = Table(
        title=f"{_escape(scenario.milestones[head].title)} — sweep of {_escape(scenario.name)}, "
        f"{iterations} iterations per variant, seed {seed}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        padding=(0, 1, 0, 0),
    )
    stats = ("P(target)", "P10", "P50", "P80", "P90")
    table.add_column("#", justify="right", no_wrap=True)
    # The values fold within what the numbers leave them; the numbers are never cut.
    room = max(8, (console.width - 3 - sum(max(len(c), 7) + 2 for c in stats)) // max(len(keys), 1) - 2)
    for key in keys:
        header = "\n".join(_escape(line) for line in _key_lines(key, room))
        table.add_column(header, overflow="fold", max_width=room)
    for col in stats:
        table.add_column(col, justify="right", no_wrap=True, min_width=len(col))
    for row in rows:
        if row["milestone"] != head:
            continue
        cells = [str(row["variant"]), *(_escape(str(row[k])) for k in keys)]
        cells.append("—" if row["p_target"] is None else percent(row["p_target"]))
        cells += [month_text(scenario.date_of(row[f"p{p}_days"])) for p in (10, 50, 80, 90)]
        table.add_row(*cells)
    console.print(table)


def print_landings(as_of: Any, file: IO[str] | None = None) -> None:
    """Print each operator's chance of landing its next lunar attempt, then the attempts counted."""
    from rich.table import Table

    from sim.formats import percent
    from sim.scenario.landings import PRIOR_WEIGHT, estimate, known, operators

    console = console_for(file, 140)
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


def _key_lines(key: str, width: int) -> list[str]:
    """A key path on lines of at most `width` characters where it can, broken after its dots."""
    lines = [""]
    for part in key.split("."):
        piece = part if not lines[-1] else "." + part
        if lines[-1] and len(lines[-1]) + len(piece) > width:
            lines[-1] += "."
            lines.append(part)
        else:
            lines[-1] += piece
    return lines
