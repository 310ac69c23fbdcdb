"""`lunarsim history`, `explain` and `backtest`: the commands that look back at earlier forecasts."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
        from sim.cli.quick import history_entries, history_output

        store = _history_path(history)
        if report:
            _check_outputs([], out)
        entries = history_entries(scenario, store)
        if report and entries:
            from sim.report import write_history

            stem = "history" if scenario is None else f"history-{Path(scenario).stem}"
            _say(f"report: {write_history(entries, store, out, stem)}", json_out)
        for line in history_output(entries, scenario, store, json_out):
            print(line)

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
        options.milestone("The milestone to explain (default: OLD's headline if NEW has it)."),
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
    scenarios: Annotated[
        list[str],
        typer.Argument(
            metavar="FORECAST… OUTCOME",
            help="Earlier scenarios (the forecasts), then a later one with as_of and actual dates. "
            "With two or more forecasts (dated snapshots), each is scored against the last.",
        ),
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
    milestone: Annotated[
        str | None,
        options.milestone(
            "With snapshots: the milestone whose trend is drawn (default: the last one's headline)."
        ),
    ] = None,
    debug: Debug = False,
) -> None:
    """Score an earlier scenario's forecast against what a later one says happened by its as_of,
    and write an HTML report of the scores, the calibration and each scored milestone. Given
    dated snapshots (two or more forecasts), score each against the last, with the trend of the
    headline across them and a calibration table over all of them.

    \b
    Examples:
      lunarsim backtest ilrs-2022-announced ilrs-2026-status
      lunarsim backtest scenarios/ilrs-snapshot-*.yaml --not-done luna-25-landing
    """
    if len(scenarios) < 2:
        _guard(debug, lambda: _fail(2, "error: backtest needs a forecast and an outcome (FORECAST… OUTCOME)"))
    if len(scenarios) > 2:
        settings = {"iterations": iterations, "seed": seed, "engine": engine.value, "workers": workers}
        _guard(
            debug,
            lambda: _track_record(
                scenarios, settings, json_path, None if no_report else out, not_done or [], milestone
            ),
        )
        return
    forecast, outcome = scenarios

    def act() -> None:
        import sim
        from sim.analysis.backtest import backtest as score

        if milestone is not None:
            _fail(2, "error: --milestone needs two or more forecasts (dated snapshots)")
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


def _track_record(
    args: list[str],
    settings: dict[str, Any],
    json_path: str | None,
    out: Path | None,
    not_done: list[str],
    milestone: str | None,
) -> None:
    """Run every snapshot in `args` (the last is the outcome), score them, and print/write."""
    import sim
    from sim.analysis.trackrecord import track_record
    from sim.cli.trackrecord import track_record_lines

    if json_path is not None and json_path != "-":
        _not_empty("--json", json_path)
        _check_outputs([Path(json_path)], None)
    if out is not None:
        _check_outputs([], out)
    loaded = _load_all(args)
    runs = []
    for (_, scenario), arg in zip(loaded, args):
        _check_fits(scenario, settings["iterations"], streamed=False)
        try:
            runs.append(
                sim.simulate(
                    scenario,
                    settings["iterations"],
                    settings["seed"],
                    engine=settings["engine"],
                    workers=settings["workers"],
                    stream=False,
                )
            )
        except ValueError as exc:
            _fail(2, f"error: {arg}: {exc}")
    record = track_record(runs[:-1], runs[-1], milestone=milestone, not_done=not_done)
    text = json.dumps(record.as_dict(), indent=2, ensure_ascii=False) + "\n"
    to_stdout = json_path == "-"
    if to_stdout:
        sys.stdout.write(text)
    else:
        for line in track_record_lines(record):
            _say(line, False)
    if json_path is not None and not to_stdout:
        from sim.atomic import write_text

        write_text(Path(json_path), text)
        _say(f"scores: {json_path}", False)
    if out is not None:
        from sim.report import write_track_record

        _say(f"report: {write_track_record(record, runs, out, loaded[-1][0].stem)}", to_stdout)


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
