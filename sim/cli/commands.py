"""The `lunarsim` commands: each parses its options, calls one library function, renders what it returns."""

from __future__ import annotations

import json
import math
import signal
import sys
import time
import traceback
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from sim.cli import stop
from sim.cli.helpgroup import WholeHelpGroup
from sim.cli.stop import Terminated

app = typer.Typer(
    cls=WholeHelpGroup,
    name="lunarsim",
    help="Schedule-risk simulation: when will the milestones likely be done, and what drives the delay?",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=True,
)


def _names_without_types() -> None:
    """Recent Typer prints a type after a parameter in help (`--quiet <bool>`, `SCENARIO <list[str]>`):
    a flag takes no value and every other parameter here has a metavar that says what it takes
    (`--seed SEED`), so print only the choices of an option that has them (`<auto|simpy|vector>`).

    This replaces a method of Typer's classes, so pyproject.toml pins typer below the next minor
    version checked (a later Typer without the method leaves help as Typer prints it)."""
    from typer import core

    for kind in ("TyperOption", "TyperArgument"):
        cls = getattr(core, kind, None)
        shown = getattr(cls, "display_type_rich", None)
        if cls is None or shown is None or getattr(shown, "_names_plain", False):
            continue

        def display_type_rich(self: Any, ctx: Any, shown: Any = shown) -> str | None:
            if getattr(self, "is_flag", False):
                return None
            if isinstance(self, core.TyperArgument) and self.metavar:
                return None  # the metavar already names it
            return shown(self, ctx)

        display_type_rich._names_plain = True  # type: ignore[attr-defined]
        cls.display_type_rich = display_type_rich


_names_without_types()


class Engine(str, Enum):
    auto = "auto"
    simpy = "simpy"
    vector = "vector"


Debug = Annotated[bool, typer.Option("--debug", help="Show the Python traceback of unexpected errors.")]


def _print_version(value: bool) -> None:
    if value:
        from sim.analysis.summary import tool_version

        print(f"lunarsim {tool_version()}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Schedule-risk simulation: when will the milestones likely be done, and what drives the delay?"""


def _err(message: str) -> None:
    from sim.display import terminal

    print(terminal(message, newlines=True), file=sys.stderr)


def _fail(code: int, message: str) -> NoReturn:
    _err(message)
    raise typer.Exit(code)


def _guard(debug: bool, action: Callable[[], Any]) -> Any:
    """Run `action`, turning bad input into exit 2 and anything else into a one-line exit 1."""
    from sim.errors import ScenarioError

    try:
        return action()
    except ScenarioError as exc:
        for problem in exc.problems:
            _err(f"error: {problem}")
        raise typer.Exit(2) from None
    except typer.Exit:
        raise
    except Terminated:
        _fail(143, "terminated; nothing half-written was left behind")
    except KeyboardInterrupt:
        _fail(130, "interrupted; nothing half-written was left behind")
    except Exception as exc:
        if debug:
            traceback.print_exc()
        _fail(
            1,
            f"internal error: {type(exc).__name__}: {exc} (this is a bug in lunarsim; "
            "--debug shows the traceback)",
        )


def _out_path(value: str | Path) -> Path:
    from sim.cli.checks import nonempty_path

    return nonempty_path(value)


def _resolve(arg: str) -> Path:
    from sim.bundled import find

    return find(arg)


@app.command()
def run(  # noqa: PLR0913 (a Typer command's options are its parameters)
    scenarios: Annotated[
        list[str],
        typer.Argument(
            metavar="SCENARIO", help="Scenario files (or bundled names, see `lunarsim scenarios`)."
        ),
    ],
    iterations: Annotated[
        int | None,
        typer.Option(
            "-n",
            "--iterations",
            metavar="N",
            min=1,
            help="Monte Carlo iterations (default: the scenario's, else 10000).",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            metavar="SEED",
            min=0,
            help="Seed (default: the scenario's, else a fresh one that is printed).",
        ),
    ] = None,
    engine: Annotated[
        Engine,
        typer.Option("--engine", help="auto picks vector unless a milestone uses several resources."),
    ] = Engine.auto,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            metavar="N",
            min=1,
            help="Worker processes (default: all cores). Results do not depend on it.",
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="Folder for HTML reports.", parser=_out_path)
    ] = Path("reports"),
    no_report: Annotated[bool, typer.Option("--no-report", help="Do not write the HTML report.")] = False,
    summary_json: Annotated[
        str | None,
        typer.Option(
            "--summary-json",
            metavar="PATH",
            help="Write the summary JSON to PATH ('-' for standard output, and nothing else goes there).",
        ),
    ] = None,
    samples: Annotated[
        Path | None,
        typer.Option(
            "--samples",
            metavar="PATH",
            help="Write every iteration to PATH (.csv or .parquet): each milestone's finish (days and "
            "date), which risks occurred, which decision outcomes were taken.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no table.")] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="Run the chunks on a Dask cluster at this address (needs lunarsim[dask]).",
        ),
    ] = None,
    impacts: Annotated[
        bool | None,
        typer.Option(
            "--impacts/--no-impacts",
            help="Include (or leave out) each risk's and decision's exact impact on the headline in "
            "the summary JSON and the report (default: included when the re-runs, one per risk and "
            "decision outcome, total at most 2000000 iterations, 200000 for SimPy-only scenarios).",
        ),
    ] = None,
    history: Annotated[
        Path | None,
        typer.Option(
            "--history",
            metavar="PATH",
            help="Record the run in this history store (default: $LUNARSIM_HISTORY, else "
            "lunarsim/history.sqlite under the user's data folder).",
        ),
    ] = None,
    no_history: Annotated[bool, typer.Option("--no-history", help="Do not record the run.")] = False,
    debug: Debug = False,
) -> None:
    """Simulate each scenario, print a table and write an HTML report.

    \b
    Example:
      lunarsim run scenarios/ilrs-2022-announced.yaml -n 20000 --seed 7
    """
    _guard(
        debug,
        lambda: _run(
            scenarios,
            iterations,
            seed,
            engine.value,
            workers,
            out,
            no_report,
            summary_json,
            samples,
            quiet,
            scheduler,
            impacts,
            None if no_history else _history_path(history),
        ),
    )


def _history_path(option: Path | None) -> Path:
    from sim.analysis.history import store_path

    return store_path(option)


def _run(
    args: list[str],
    iterations: int | None,
    seed: int | None,
    engine: str,
    workers: int | None,
    out: Path,
    no_report: bool,
    summary_json: str | None,
    samples: Path | None,
    quiet: bool,
    scheduler: str | None = None,
    impacts: bool | None = None,
    history: Path | None = None,
) -> None:
    from sim.cli.render import print_table

    to_stdout = summary_json == "-"
    from sim.analysis.samples import FORMATS

    if samples is not None and samples.suffix.lower() not in FORMATS:
        _fail(2, f"error: --samples must end in {' or '.join(FORMATS)}, got {samples.name!r}")
    targets = _file_targets(summary_json, samples, len(args), [Path(a).stem for a in args])
    _check_outputs(targets, None if no_report else out)
    loaded = _load_all(args)
    from sim.cli.checks import distinct_outputs

    distinct_outputs(loaded, samples, None if no_report else out)
    for _, scenario in loaded:
        _check_fits(scenario, iterations)
    documents: dict[Path, Any] = {}
    if history is not None:
        from sim.analysis.changes import document
        from sim.analysis.history import check

        check(history)  # a damaged or newer store is refused before any work
        # read now, with the scenario that runs, so that the record is what ran even if the file changes
        documents = {path: document(path)[0].data for path, _ in loaded}
    summaries = []
    executor = _executor(scheduler)
    for path, scenario in loaded:
        try:
            result = _simulate_with_progress(scenario, iterations, seed, engine, workers, quiet, executor)
        except ValueError as exc:
            _fail(2, f"error: {path}: {exc}")
        for warning in result.scenario.warnings:
            _err(f"warning: {path}: {warning}")
        _say_fresh_seed(result, str(path))
        summaries.append(result.summary(str(path), impacts=impacts))
        if history is not None:
            from sim.analysis.history import record

            record(history, summaries[-1], documents[path], result.scenario.as_of)
        if not quiet:
            print_table(result, file=sys.stderr if to_stdout else sys.stdout)
        if samples is not None:
            target = (
                samples
                if len(loaded) == 1
                else samples.with_name(f"{samples.stem}-{path.stem}{samples.suffix}")
            )
            result.write_samples(target)
            _say(f"samples: {target}", to_stdout)
        if no_report:
            continue
        _say(f"report: {result.write_report(out, impacts=impacts)}", to_stdout)
    if summary_json is not None:
        doc: Any = summaries[0] if len(summaries) == 1 else summaries
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        if to_stdout:
            sys.stdout.write(text)
        else:
            from sim.atomic import write_text

            write_text(Path(summary_json), text)
            _say(f"summary: {summary_json}", False)


def _say(message: str, to_stdout_reserved: bool) -> None:
    from sim.display import terminal

    print(terminal(message), file=sys.stderr if to_stdout_reserved else sys.stdout)


def _load_all(args: list[str]) -> list[tuple[Path, Any]]:
    """Load every scenario before anything runs or is written; report the problems of all of them."""
    import sim
    from sim.errors import ScenarioError

    loaded, problems = [], []
    for arg in args:
        try:
            path = _resolve(arg)
            loaded.append((path, sim.load(path)))
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    return loaded


def _check_fits(scenario: Any, iterations: int | None, *, streamed: bool | None = None) -> None:
    from sim.api import check_fits

    try:
        check_fits(scenario, iterations, streamed=streamed)
    except ValueError as exc:
        _fail(2, f"error: {scenario.path or scenario.name}: {exc}")


def _not_empty(option: str, path: str | Path, *, dash: bool = True) -> None:
    """Exit 2 if the path given to `option` is empty (or only spaces): the check every output makes."""
    if not str(path).strip():
        hint = " (give a file name, or - for standard output)" if dash else ""
        _fail(2, f"error: {option}: the path is empty{hint}")


def _file_targets(summary_json: str | None, samples: Path | None, count: int, stems: list[str]) -> list[Path]:
    """The files a run will write besides reports: the summary JSON and the samples file(s)."""
    out = []
    if summary_json is not None and summary_json != "-":
        _not_empty("--summary-json", summary_json)
        out.append(Path(summary_json))
    if samples is not None:
        _not_empty("--samples", samples, dash=False)
        out += (
            [samples]
            if count == 1
            else [samples.with_name(f"{samples.stem}-{stem}{samples.suffix}") for stem in stems]
        )
    return out


def _check_outputs(files: list[Path], folder: Path | None) -> None:
    """Refuse unwritable output paths before any work, and clear our stale temporary files there."""
    from sim.atomic import check_file_target, check_folder_target, remove_stale

    for path in files:
        check_file_target(path)
        remove_stale(path.parent)
    if folder is not None:
        check_folder_target(folder)
        remove_stale(folder)


def _say_fresh_seed(result: Any, label: str) -> None:
    """A seed the library drew fresh is printed, so that the run can be replayed."""
    if result.seed_fresh:
        _err(f"seed: {result.seed} for {label} (fresh; pass --seed {result.seed} to replay this run)")


def _executor(scheduler: str | None) -> Any:
    """A Dask client for `--scheduler`, or None to run on this machine."""
    if scheduler is None:
        return None
    from sim.scheduler import connect

    try:
        return connect(scheduler)
    except ValueError as exc:
        _fail(2, f"error: --scheduler: {exc}")


def _simulate_with_progress(
    scenario: Any,
    n: int | None,
    seed: int | None,
    engine: str,
    workers: int | None,
    quiet: bool,
    executor: Any = None,
) -> Any:
    import sim

    if quiet or not sys.stderr.isatty():
        return sim.run(scenario, n, seed, engine=engine, workers=workers, executor=executor)
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    began = time.monotonic()
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
        transient=True,
        console=None,
    )
    from rich.markup import escape

    from sim.api import iterations_for
    from sim.display import terminal

    task = bar.add_task(escape(terminal(scenario.name)[:40]), total=iterations_for(scenario, n))
    shown = False

    def advance(k: int) -> None:
        nonlocal shown
        if not shown and time.monotonic() - began > 1.0:
            bar.start()
            shown = True
        bar.advance(task, k)

    try:
        return sim.run(scenario, n, seed, engine=engine, workers=workers, progress=advance, executor=executor)
    finally:
        if shown:
            bar.stop()


@app.command("history")
def history_command(
    scenario: Annotated[
        str | None,
        typer.Argument(
            metavar="[SCENARIO]",
            help="Only the runs of this scenario (a file, a bundled name, or a scenario's name).",
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the runs as JSON instead.")] = False,
    history: Annotated[
        Path | None,
        typer.Option("--history", metavar="PATH", help="The history store to read (default as for `run`)."),
    ] = None,
    report: Annotated[
        bool, typer.Option("--report", help="Also write an HTML page: the trend of each forecast, every run.")
    ] = False,
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Folder for the --report page.")] = Path(
        "reports"
    ),
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


@app.command()
def explain(
    old: Annotated[
        str,
        typer.Argument(
            metavar="OLD",
            help="The earlier scenario: a file, a bundled name, or run:ID (see `lunarsim history`).",
        ),
    ],
    new: Annotated[str, typer.Argument(metavar="NEW", help="The later scenario (the same forms).")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the split as JSON instead.")] = False,
    iterations: Annotated[
        int | None,
        typer.Option(
            "-n",
            "--iterations",
            metavar="N",
            min=1,
            help="Iterations of every variant (default: each file's).",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", metavar="SEED", min=0, help="Seed of every variant (default: each file's)."),
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
    workers: Annotated[
        int | None, typer.Option("--workers", metavar="N", min=1, help="Worker processes per variant.")
    ] = 1,
    history: Annotated[
        Path | None,
        typer.Option(
            "--history", metavar="PATH", help="The history store run:ID refers to (default as for `run`)."
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Folder for the HTML report.")] = Path(
        "reports"
    ),
    no_report: Annotated[bool, typer.Option("--no-report", help="Do not write the HTML report.")] = False,
    debug: Debug = False,
) -> None:
    """Why the milestone's P50, P80 and P(target) moved from OLD to NEW: the shift split among what
    changed (Shapley values on the same random draws; the parts add up to the total).

    \b
    Example:
      lunarsim explain ilrs-2022-announced ilrs-2026-status
    """

    def act() -> None:
        import math

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


@app.command()
def compare(
    scenarios: Annotated[
        list[str],
        typer.Argument(metavar="SCENARIO", help="Two or more scenario files (or bundled names)."),
    ],
    iterations: Annotated[
        int | None,
        typer.Option("-n", "--iterations", metavar="N", min=1, help="Iterations for every scenario."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", metavar="SEED", min=0, help="Seed for every scenario (default: each scenario's)."
        ),
    ] = None,
    engine: Annotated[Engine, typer.Option("--engine")] = Engine.auto,
    workers: Annotated[int | None, typer.Option("--workers", metavar="N", min=1)] = None,
    out: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="Folder for the report.", parser=_out_path)
    ] = Path("reports"),
    title: Annotated[str | None, typer.Option("--title", metavar="TEXT", help="Report title.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    debug: Debug = False,
) -> None:
    """Write one report that overlays the scenarios' S-curves and tables.

    \b
    Example:
      lunarsim compare ilrs-2022-announced ilrs-2026-status
    """
    if len(scenarios) < 2:
        _fail(2, "error: compare needs at least two scenarios")

    def act() -> None:
        from sim.cli.render import print_comparison
        from sim.report import write_comparison

        _check_outputs([], out)
        loaded = _load_all(scenarios)
        for _, scenario in loaded:
            _check_fits(scenario, iterations)
        results = []
        for (_, scenario), arg in zip(loaded, scenarios):
            try:
                result = _simulate_with_progress(scenario, iterations, seed, engine.value, workers, quiet)
            except ValueError as exc:
                _fail(2, f"error: {exc}")
            results.append(result)
            _say_fresh_seed(result, arg)
        if not quiet:
            print_comparison(results)
        _say(f"report: {write_comparison(results, out, title)}", False)

    _guard(debug, act)


@app.command()
def backtest(
    forecast: Annotated[str, typer.Argument(metavar="FORECAST", help="The earlier scenario (the forecast).")],
    outcome: Annotated[
        str, typer.Argument(metavar="OUTCOME", help="A later scenario with as_of and actual dates.")
    ],
    iterations: Annotated[
        int | None, typer.Option("-n", "--iterations", metavar="N", min=1, help="Iterations of the forecast.")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", metavar="SEED", min=0, help="Seed of the forecast run.")
    ] = None,
    engine: Annotated[Engine, typer.Option("--engine", help="Engine of the forecast run.")] = Engine.auto,
    workers: Annotated[
        int | None,
        typer.Option("--workers", metavar="N", min=1, help="Worker processes (default: all cores)."),
    ] = None,
    json_path: Annotated[
        str | None,
        typer.Option(
            "--json", metavar="PATH", help="Write the scores as JSON to PATH ('-' for standard output)."
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="Folder for the HTML report.", parser=_out_path)
    ] = Path("reports"),
    no_report: Annotated[bool, typer.Option("--no-report", help="Do not write the HTML report.")] = False,
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
        from sim.cli.render import print_backtest

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
        if to_stdout:
            sys.stdout.write(json.dumps(scores.as_dict(), indent=2, ensure_ascii=False) + "\n")
        else:
            print_backtest(scores)
        if json_path is not None and not to_stdout:
            from sim.atomic import write_text

            write_text(Path(json_path), json.dumps(scores.as_dict(), indent=2, ensure_ascii=False) + "\n")
            _say(f"scores: {json_path}", False)
        if not no_report:
            from sim.report import page, write_backtest

            path = write_backtest(result, scores, out, page.report_name(later))
            _say(f"report: {path}", to_stdout)

    _guard(debug, act)


@app.command()
def sweep(
    scenario: Annotated[str, typer.Argument(metavar="SCENARIO", help="Scenario file (or bundled name).")],
    settings: Annotated[
        list[str],
        typer.Option(
            "--set",
            metavar="KEY.PATH=V1,V2,…",
            help="KEY.PATH=V1,V2,… : values to try at a key path of the file, e.g. "
            "risks.sanctions.probability=0.1,0.3 (repeatable; the grid is every combination).",
        ),
    ],
    iterations: Annotated[
        int | None,
        typer.Option("-n", "--iterations", metavar="N", min=1, help="Iterations of every variant."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", metavar="SEED", min=0, help="Seed of every variant (default: the scenario's, else 0)."
        ),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(
            "--table",
            metavar="PATH",
            help="Write one row per variant and milestone to PATH (.csv or .parquet; '-' for CSV on "
            "standard output, and nothing else goes there).",
        ),
    ] = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="Do not write the HTML report.")] = False,
    out: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="Folder for the HTML report.", parser=_out_path)
    ] = Path("reports"),
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="Run the variants as tasks on a Dask cluster at this address (needs lunarsim[dask]).",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            metavar="N",
            min=1,
            help="Worker processes for the variants (default: all cores). Results do not depend on it.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No table in the terminal.")] = False,
    debug: Debug = False,
) -> None:
    """Run a scenario over a grid of changed values, every variant on the same random draws, and
    chart the headline against the values.

    \b
    Example:
      lunarsim sweep tutorial-launch-campaign --set risks.late-parts.probability=0,0.3,0.6
    """

    def act() -> None:
        import sim
        from sim.analysis.sweep import FORMATS, parse_setting
        from sim.analysis.sweep import sweep as run_sweep

        to_stdout = table == "-"
        parsed = [parse_setting(text) for text in settings]
        files: list[Path] = []
        if table is not None and not to_stdout:
            _not_empty("--table", table)
            if Path(table).suffix.lower() not in FORMATS:
                kinds = " or ".join(FORMATS)
                _fail(2, f"error: --table must end in {kinds} (or be -), got {Path(table).name!r}")
            files.append(Path(table))
        _check_outputs(files, None if no_report else out)
        from sim.simulation.deterministic import resolved

        path = _resolve(scenario)
        loaded = sim.load(path)
        _check_fits(loaded, iterations)
        # The headline (when the file names none, the plan's last milestone) is the report's subject.
        base = resolved(loaded)
        from sim.api import iterations_for, seed_for

        n = iterations_for(base, iterations)
        s = seed_for(base, seed, repeatable=True)
        executor = _executor(scheduler)  # its errors are about --scheduler, not the scenario
        began = time.perf_counter()
        try:
            rows = run_sweep(path, parsed, n, s, workers=workers, executor=executor)
        except ValueError as exc:
            _fail(2, f"error: {path}: {exc}")
        seconds = time.perf_counter() - began
        keys = [p.column for p in parsed]
        if table is not None:
            from sim.analysis.sweep import write_table

            written = write_table(rows, table)
            if written is not None:
                _say(f"table: {written}", False)
        if not to_stdout and not quiet:
            from sim.cli.render import print_sweep

            print_sweep(base, keys, rows, n, s)
        if not no_report:
            from sim.report import write_sweep

            report = write_sweep(base, keys, rows, out, iterations=n, seed=s, seconds=seconds)
            _say(f"report: {report}", to_stdout)

    _guard(debug, act)


@app.command()
def watch(
    scenario: Annotated[
        str, typer.Argument(metavar="SCENARIO", help="Scenario file (or bundled name) to watch.")
    ],
    iterations: Annotated[
        int | None, typer.Option("-n", "--iterations", metavar="N", min=1, help="Iterations of each re-run.")
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", metavar="SEED", min=0, help="Seed of every re-run (default: the scenario's, else 0)."
        ),
    ] = None,
    port: Annotated[
        int,
        typer.Option(
            "--port", metavar="PORT", min=0, max=65535, help="Port on 127.0.0.1 (default: a free one)."
        ),
    ] = 0,
    debug: Debug = False,
) -> None:
    """Serve the scenario's report on 127.0.0.1 and re-run it whenever the file (or one it
    extends) is saved; the open page updates itself. Ctrl-C stops.

    \b
    Example:
      lunarsim watch my-programme.yaml
    """

    def act() -> None:
        from sim.cli.watch import serve

        path = _resolve(scenario)

        def update(version: int, errors: list[str]) -> None:
            stamp = time.strftime("%H:%M:%S")
            if errors:
                _err(f"{stamp} the scenario does not load; the page shows the errors:")
                for line in errors:
                    _err(f"error: {line}")
            elif version > 1:
                _err(f"{stamp} re-ran {path.name}; the page is updated")

        try:
            server = serve(path, iterations, seed, port=port, on_update=update)
        except OSError as exc:
            _fail(2, f"error: --port {port}: cannot serve there: {exc.strerror or exc}")
        try:
            # Inside the try: a signal that arrives as soon as the address is out stops the server.
            _say(f"watching {path}; open {server.url} (Ctrl-C stops)", False)
            sys.stdout.flush()
            while True:
                time.sleep(3600)
        except KeyboardInterrupt as stopped:  # Ctrl-C: exit 0; SIGTERM: 143, as for every command
            server.stop()
            _err("stopped")
            if isinstance(stopped, Terminated):
                raise typer.Exit(143) from None

    _guard(debug, act)


@app.command()
def validate(
    scenarios: Annotated[list[str], typer.Argument(metavar="SCENARIO", help="Scenario files to check.")],
    debug: Debug = False,
) -> None:
    """Check scenario files without simulating; reports every problem, not just the first.

    \b
    Example:
      lunarsim validate scenarios/*.yaml
    """
    from sim.errors import ScenarioError

    def act() -> None:
        import sim

        failed = False
        for arg in scenarios:
            try:
                path = _resolve(arg)
                scenario = sim.validate(path)
            except ScenarioError as exc:
                failed = True
                for problem in exc.problems:
                    _err(f"error: {problem}")
                continue
            for warning in scenario.warnings:
                _err(f"warning: {path}: {warning}")
            _say(
                f"ok: {path} ({_count(len(scenario.milestones), 'milestone')}, "
                f"{_count(len(scenario.risks), 'risk')}, headline {scenario.headline})",
                False,
            )
        if failed:
            raise typer.Exit(2)

    _guard(debug, act)


@app.command()
def lint(
    scenarios: Annotated[list[str], typer.Argument(metavar="SCENARIO", help="Scenario files to check.")],
    fmt: Annotated[
        str,
        typer.Option("--format", metavar="text|json|sarif", help="text, json or sarif (2.1.0)."),
    ] = "text",
    effects: Annotated[
        bool,
        typer.Option(
            "--effects",
            help="Cost each fixable finding: the headline's P80 change when fixed as suggested "
            "(runs the model).",
        ),
    ] = False,
    iterations: Annotated[
        int | None,
        typer.Option("-n", "--iterations", min=1, help="Iterations for --effects (default: the scenario's)."),
    ] = None,
    debug: Debug = False,
) -> None:
    """Schedule-quality findings (docs/lint.md): rule, severity, file:line and key, message, and with
    --effects what fixing it does to the headline's P80. Exit 0: no error-level finding; 2: a file is
    unreadable or invalid; 3: an error-level finding.

    \b
    Example:
      lunarsim lint scenarios/*.yaml --format sarif > lint.sarif
    """
    from sim.errors import ScenarioError

    if fmt not in ("text", "json", "sarif"):
        _fail(2, f"error: --format must be text, json or sarif, not {fmt!r}")

    def act() -> None:
        from sim import __version__
        from sim.analysis.lint import lint_scenario, load_with_source
        from sim.analysis.linteffects import with_effects
        from sim.analysis.lintoutput import as_json, as_sarif, as_text

        found = []
        for arg in scenarios:
            try:
                scenario, source = load_with_source(_resolve(arg))
            except ScenarioError as exc:
                for problem in exc.problems:
                    _err(f"error: {problem}")
                raise typer.Exit(2) from None
            findings = lint_scenario(scenario, source)
            found += with_effects(scenario, findings, iterations=iterations) if effects else findings
        text = {"text": as_text, "json": as_json}.get(fmt, lambda f: as_sarif(f, __version__))(found)
        if text:
            print(text)
        if any(f.severity == "error" for f in found):
            raise typer.Exit(3)

    _guard(debug, act)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@app.command()
def reference(
    name: Annotated[
        str | None,
        typer.Argument(metavar="NAME", help="A class to list forecast by forecast (default: all classes)."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the table as JSON instead.")] = False,
    validate: Annotated[
        bool,
        typer.Option(
            "--validate",
            help="Score the fitted model, Kaplan-Meier and 'on time' leaving one mission out at a time.",
        ),
    ] = False,
    planned: Annotated[
        str,
        typer.Option("--planned", help="The announced time to launch the percentiles are for (lead time)."),
    ] = "2y",
    debug: Debug = False,
) -> None:
    """List the reference classes with their fitted slip-ratio percentiles, or one class's forecasts.

    \b
    Examples:
      lunarsim reference
      lunarsim reference --planned 5y
      lunarsim reference russian-lunar
      lunarsim reference --validate
    """

    def act() -> None:
        from sim.cli.render import print_forecasts, print_reference, print_validation
        from sim.scenario.reference import slip_class
        from sim.scenario.units import parse_duration

        if validate:
            from sim.scenario.slipscore import bundled_validation

            scores = bundled_validation()
            if json_out:
                sys.stdout.write(json.dumps(scores, indent=2, ensure_ascii=False) + "\n")
            else:
                print_validation(scores)
            return
        if name is None:
            from sim.scenario.referenceview import classes_table

            try:
                days = parse_duration(planned)
            except ValueError as exc:
                _fail(2, f"error: --planned: {exc}")
            if not days > 0:
                _fail(2, "error: --planned: must be more than 0")
            rows = classes_table(days)
            if json_out:
                sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
            else:
                print_reference(rows)
            return
        try:
            cls = slip_class(name)
        except ValueError as exc:
            _fail(2, f"error: {exc}")
        if json_out:
            rows = [
                {
                    "mission": f.mission,
                    "agency": f.agency,
                    "announced_on": f.announced_on.isoformat(),
                    "announced_launch": f.announced_launch.isoformat(),
                    "launched_on": f.launched_on.isoformat() if f.launched_on else None,
                    "ratio": round(f.ratio, 3),
                    "ratio_range": [round(x, 3) if math.isfinite(x) else None for x in f.ratio_bounds],
                    "censored": f.censored,
                    "announcement_source": f.announcement_source,
                    "launch_source": f.launch_source,
                }
                for f in cls.forecasts
            ]
            sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        else:
            print_forecasts(name)

    _guard(debug, act)


@app.command()
def landings(
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="DATE",
            help="Count only attempts made by this date (YYYY-MM-DD; default: every attempt in the data).",
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the estimates as JSON instead.")] = False,
    debug: Debug = False,
) -> None:
    """Show each operator's chance of landing its next lunar attempt, from every attempt since 2013.

    \b
    Examples:
      lunarsim landings
      lunarsim landings --as-of 2022-04-24
    """

    def act() -> None:
        import datetime as dt

        from sim.scenario.landings import attempts, estimate, operators

        if as_of is None:
            day = max(a.attempt_on for a in attempts())
        else:
            try:
                day = dt.date.fromisoformat(as_of)
            except ValueError:
                _fail(2, f"error: --as-of: {as_of!r} is not a date (YYYY-MM-DD)")
        if json_out:
            rows = []
            for op in operators():
                e = estimate(op, day)
                low, high = e.interval()
                rows.append(
                    {
                        "operator": op,
                        "as_of": day.isoformat(),
                        "attempts": e.attempts,
                        "score": e.score,
                        "group": e.group,
                        "group_rate": round(e.group_rate, 4),
                        "probability": round(e.probability, 4),
                        "success": e.rounded,
                        "interval_90": [round(low, 4), round(high, 4)],
                    }
                )
            sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
            return
        from sim.cli.render import print_landings

        print_landings(day)

    _guard(debug, act)


@app.command("scenarios")
def list_scenarios() -> None:
    """List the bundled scenarios with their one-line names.

    \b
    Example:
      lunarsim scenarios
    """
    from sim.bundled import bundled

    for path, name in bundled():
        print(f"{path.stem:32} {name}")


@app.command()
def schema(
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE", help="Write the schema to this file instead of printing it."),
    ] = None,
) -> None:
    """Print the JSON Schema of the scenario format (point your editor's YAML plugin at it).

    Scenario files name it on their first line, `# yaml-language-server: $schema=PATH`, which the
    YAML extension of VS Code and other editors read. Files with `extends` validate too.

    \b
    Example:
      lunarsim schema --out lunarsim.schema.json
    """
    from sim.scenario.schema import schema_text

    if out is None:
        sys.stdout.write(schema_text())
        return
    from sim.atomic import write_text

    _guard(False, lambda: write_text(out, schema_text()))
    _say(f"wrote {out}", False)


SCHEMA_FILE = "lunarsim.schema.json"


@app.command()
def new(
    name: Annotated[str, typer.Argument(metavar="NAME", help="File to create (.yaml added if missing).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter scenario to edit, and the format's JSON Schema beside it
    (lunarsim.schema.json, named on the scenario's first line) so that editors complete and check keys.

    \b
    Example:
      lunarsim new my-programme
    """
    from importlib.resources import files

    from sim.atomic import check_file_target, write_text
    from sim.scenario.schema import schema_comment, schema_text

    if not name.strip() or name.endswith(("/", "\\")):
        _fail(2, f"error: new: {name!r} is not a file name; give one, e.g. lunarsim new my-programme")
    path = Path(name if name.endswith((".yaml", ".yml")) else f"{name}.yaml")
    _guard(False, lambda: check_file_target(path))
    if path.exists() and not force:
        _fail(2, f"error: {path} already exists; use --force to overwrite it")
    text = files("sim").joinpath("starter.yaml").read_text(encoding="utf-8")
    schema_path = path.parent / SCHEMA_FILE
    _guard(False, lambda: write_text(path, schema_comment(SCHEMA_FILE) + text))
    _guard(False, lambda: write_text(schema_path, schema_text()))
    _say(f"wrote {path} (and {schema_path} for editors); run it with: lunarsim run {path}", False)


def main() -> None:
    """Console-script entry point: argument errors become one line on standard error, exit 2;
    Ctrl-C and SIGTERM exit 130 and 143 within seconds (`sim.cli.stop`); a failed write to
    standard output or error is one line and exit 2 (`sim.cli.streams`)."""
    from sim.cli import streams

    before = stop.install()
    saved = streams.install()
    try:
        code = _main_guarded(before)
    except streams.StreamFailed as failed:
        streams.report(failed, saved)
        code = 2
    finally:
        streams.restore(saved)
    sys.exit(code)


def _main_guarded(before: dict[int, Any]) -> int:
    """Run the command; its exit status. Failed writes to standard output or error propagate."""
    from sim.cli import streams

    stopped = False
    try:
        code = app(prog_name="lunarsim", standalone_mode=False)
    except KeyboardInterrupt:  # a signal outside any command's own handling (Terminated too)
        code, stopped = None, True
    except Exception as exc:
        # Click's exceptions (Typer vendors Click in recent versions, so match by interface).
        if stop.received() is not None:  # Click's Abort for a signal during its parsing
            code, stopped = None, True
        elif not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
            raise
        else:
            ctx = getattr(exc, "ctx", None)
            where = f"{ctx.command_path}: " if ctx is not None else "lunarsim: "
            message = " ".join(exc.format_message().replace("Value error, ", "").split())
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            if message:  # no message: the help was printed because no arguments were given
                _err(f"error: {where}{message}{hint}")
            return int(exc.exit_code)
    signum = stop.received()
    if signum is not None and (stopped or code in (130, 143) or type(code).__name__ == "Abort"):
        if code not in (130, 143):  # `_guard` has not said it
            _err(stop.MESSAGES[signal.Signals(signum)])
        stop.leave(stop.status(signum))
    stop.restore(before)
    if stopped:
        _err("interrupted")
    if stopped or type(code).__name__ == "Abort":
        return 130
    streams.finish()
    return code if isinstance(code, int) else 0
