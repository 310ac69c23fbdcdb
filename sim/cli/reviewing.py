"""`lunarsim history`, `explain` and `backtest`: the commands that look back at earlier forecasts."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sim.cli import options
from sim.cli.options import Debug, Engine, EngineChoice, NoReport, Out, Workers
from sim.cli.shared import (
    _check_fits,
    _check_outputs,
    _fail,
    _guard,
    _history_path,
    _load_all,
    _not_empty,
    _resolve,
    _say,
    _say_fresh_seed,
)

if TYPE_CHECKING:
    from sim.analysis.backtest import Backtest


def history_command(
    scenario: Annotated[
        str | None,
        typer.Argument(
            metavar="[SCENARIO]",
            help="Only the runs of this scenario (a file, a bundled name, or a scenario's name).",
        ),
    ] = None,
    json_out: Annotated[bool, options.json_out("Print the runs as JSON instead.")] = False,
    history: Annotated[
        Path | None, options.history("The history store to read (default as for `run`).")
    ] = None,
    report: Annotated[
        bool, typer.Option("--report", help="Also write an HTML page: the trend of each forecast, every run.")
    ] = False,
    out: Annotated[Path, options.out("Folder for the --report page.")] = Path("reports"),
    debug: Debug = False,
) -> None:
    """List the recorded runs, newest first: when, scenario, as_of, iterations, seed, and the
    headline's P10, P50, P80 and P(target).

    \b
    Example:
      lunarsim history ilrs-2026-status
    """

    def act() -> None:
        from sim.analysis.history import runs
        from sim.cli.historytext import history_lines

        store = _history_path(history)
        by_path = None
        if scenario is not None:
            candidate = Path(scenario)
            if candidate.is_file() or candidate.suffix in (".yaml", ".yml") or "/" in scenario:
                by_path = str(candidate.resolve())
            else:
                from sim.bundled import bundled

                by_path = next((str(p.resolve()) for p, _ in bundled() if p.stem == scenario), None)
        if report:
            _check_outputs([], out)
        entries = runs(store, scenario, by_path)
        if report and entries:
            from sim.report import write_history

            stem = "history" if scenario is None else f"history-{Path(scenario).stem}"
            _say(f"report: {write_history(entries, store, out, stem)}", json_out)
        if json_out:
            print(json.dumps(entries, indent=2, ensure_ascii=False))
            return
        if not entries:
            which = f" of {scenario}" if scenario is not None else ""
            _say(f"no runs{which} recorded in {store}", False)
            return
        for line in history_lines(entries):
            _say(line, False)

    _guard(debug, act)


def explain(  # noqa: PLR0913 (a Typer command's options are its parameters)
    old: Annotated[
        str,
        typer.Argument(
            metavar="OLD",
            help="The earlier scenario: a file, a bundled name, or run:ID (see `lunarsim history`).",
        ),
    ],
    new: Annotated[str, typer.Argument(metavar="NEW", help="The later scenario (the same forms).")],
    json_out: Annotated[bool, options.json_out("Print the split as JSON instead.")] = False,
    iterations: Annotated[
        int | None, options.iterations("Iterations of every variant (default: each file's, else 10000).")
    ] = None,
    seed: Annotated[
        int | None, options.seed("Seed of every variant (default: each file's, else 0).")
    ] = None,
    milestone: Annotated[
        str | None,
        typer.Option(
            "--milestone",
            metavar="ID",
            help="The milestone to explain (default: OLD's headline if NEW has it).",
        ),
    ] = None,
    variants: Annotated[
        int, typer.Option("--variants", metavar="N", min=2, help="At most about this many variants are run.")
    ] = 128,
    workers: Annotated[int | None, options.workers("Worker processes per variant.")] = 1,
    history: Annotated[
        Path | None, options.history("The history store run:ID refers to (default as for `run`).")
    ] = None,
    out: Out = Path("reports"),
    no_report: NoReport = False,
    debug: Debug = False,
) -> None:
    """Why the milestone's P50, P80 and P(target) moved from OLD to NEW: the shift split among what
    changed (Shapley values on the same random draws; the parts add up to the total).

    \b
    Example:
      lunarsim explain ilrs-2022-announced ilrs-2026-status
    """

    def act() -> None:

        from sim.analysis.changes import RECORDED
        from sim.analysis.explain import explain as split
        from sim.analysis.explaintext import paragraph

        exact = max(1, int(math.log2(variants)))
        _check_outputs([], None if no_report else out)
        store = _history_path(history)
        e = split(
            *(arg if RECORDED.fullmatch(arg) else _resolve(arg) for arg in (old, new)),
            store=store,
            iterations=iterations,
            seed=seed,
            milestone=milestone,
            exact_up_to=exact,
            variants=variants,
            workers=workers,
        )
        if json_out:
            print(json.dumps(e.to_json(), indent=2, ensure_ascii=False))
        else:
            _say(paragraph(e), False)
        if not no_report:
            from sim.report import write_explanation

            _say(f"report: {write_explanation(e, out)}", json_out)

    _guard(debug, act)


def backtest(  # noqa: PLR0913 (a Typer command's options are its parameters)
    forecast: Annotated[str, typer.Argument(metavar="FORECAST", help="The earlier scenario (the forecast).")],
    outcome: Annotated[
        str, typer.Argument(metavar="OUTCOME", help="A later scenario with as_of and actual dates.")
    ],
    iterations: Annotated[
        int | None,
        options.iterations("Iterations of the forecast (default: the scenario's, else 10000)."),
    ] = None,
    seed: Annotated[
        int | None,
        options.seed("Seed of the forecast run (default: the scenario's, else a fresh one that is printed)."),
    ] = None,
    engine: EngineChoice = Engine.auto,
    workers: Workers = None,
    json_path: Annotated[
        str | None,
        typer.Option(
            "--json", metavar="PATH", help="Write the scores as JSON to PATH ('-' for standard output)."
        ),
    ] = None,
    out: Out = Path("reports"),
    no_report: NoReport = False,
    not_done: Annotated[
        list[str] | None,
        typer.Option(
            "--not-done",
            metavar="MILESTONE",
            help="A milestone the outcome leaves out that had not happened by its as_of: scored as not "
            "done (repeatable). Others left out are listed as unscored.",
        ),
    ] = None,
    debug: Debug = False,
) -> None:
    """Score an earlier scenario's forecast against what a later one says happened by its as_of,
    and write an HTML report of the scores, the calibration and each scored milestone.

    \b
    Example:
      lunarsim backtest ilrs-2022-announced ilrs-2026-status
    """

    def act() -> None:
        import sim
        from sim.analysis.backtest import backtest as score

        if json_path is not None and json_path != "-":
            _not_empty("--json", json_path)
            _check_outputs([Path(json_path)], None)
        if not no_report:
            _check_outputs([], out)
        (_, earlier), (_, later) = _load_all([forecast, outcome])
        # A backtest scores every iteration's finish: the run is kept whole, never streamed.
        _check_fits(earlier, iterations, streamed=False)
        try:
            result = sim.simulate(
                earlier, iterations, seed, engine=engine.value, workers=workers, stream=False
            )
        except ValueError as exc:
            _fail(2, f"error: {forecast}: {exc}")
        _say_fresh_seed(result, forecast)
        scores = score(result, later, not_done=not_done or ())
        to_stdout = json_path == "-"
        _show_scores(scores, json_path)
        if not no_report:
            from sim.report import page, write_backtest

            path = write_backtest(result, scores, out, page.report_name(later))
            _say(f"report: {path}", to_stdout)

    _guard(debug, act)


def _show_scores(scores: Backtest, json_path: str | None) -> None:
    """The scores as JSON on standard output (`--json -`), else as the terminal's table, and
    written to the `--json` file if one is given."""
    from sim.cli.render import print_backtest

    text = json.dumps(scores.as_dict(), indent=2, ensure_ascii=False) + "\n"
    if json_path == "-":
        sys.stdout.write(text)
        return
    print_backtest(scores)
    if json_path is not None:
        from sim.atomic import write_text

        write_text(Path(json_path), text)
        _say(f"scores: {json_path}", False)
