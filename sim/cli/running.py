"""`lunarsim run`, `compare`, `sweep` and `watch`: the commands that simulate scenarios."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from sim.cli import options
from sim.cli.options import (
    Debug,
    Engine,
    EngineChoice,
    History,
    Iterations,
    NoReport,
    Out,
    Quiet,
    Scheduler,
    Seed,
    Workers,
)
from sim.cli.shared import (
    _check_fits,
    _check_outputs,
    _err,
    _executor,
    _fail,
    _file_targets,
    _guard,
    _history_path,
    _load_all,
    _not_empty,
    _resolve,
    _say,
    _say_fresh_seed,
)
from sim.cli.stop import Terminated


def run(  # noqa: PLR0913 (a Typer command's options are its parameters)
    scenarios: Annotated[
        list[str],
        typer.Argument(
            metavar="SCENARIO", help="Scenario files (or bundled names, see `lunarsim scenarios`)."
        ),
    ],
    iterations: Iterations = None,
    seed: Seed = None,
    engine: EngineChoice = Engine.auto,
    workers: Workers = None,
    out: Annotated[Path, options.out("Folder for HTML reports.")] = Path("reports"),
    no_report: NoReport = False,
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
    quiet: Quiet = False,
    scheduler: Scheduler = None,
    impacts: Annotated[
        bool | None,
        typer.Option(
            "--impacts/--no-impacts",
            help="Include (or leave out) each risk's and decision's exact impact on the headline in "
            "the summary JSON and the report (default: included when the re-runs, one per risk and "
            "decision outcome, total at most 2000000 iterations, 200000 for SimPy-only scenarios).",
        ),
    ] = None,
    history: History = None,
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
            _RunOptions(
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
        ),
    )


@dataclass(frozen=True)
class _RunOptions:
    """`lunarsim run`'s options, as its steps read them (`history`: the store, None for none)."""

    iterations: int | None
    seed: int | None
    engine: str
    workers: int | None
    out: Path
    no_report: bool
    summary_json: str | None
    samples: Path | None
    quiet: bool
    scheduler: str | None = None
    impacts: bool | None = None
    history: Path | None = None

    @property
    def to_stdout(self) -> bool:
        """Standard output is the summary JSON's alone: everything else goes to standard error."""
        return self.summary_json == "-"

    @property
    def folder(self) -> Path | None:
        return None if self.no_report else self.out


def _run(args: list[str], o: _RunOptions) -> None:
    loaded = _checked(args, o)
    documents: dict[Path, Any] = {}
    if o.history is not None:
        from sim.analysis.changes import document
        from sim.analysis.history import check

        check(o.history)  # a damaged or newer store is refused before any work
        # read now, with the scenario that runs, so that the record is what ran even if the file changes
        documents = {path: document(path)[0].data for path, _ in loaded}
    executor = _executor(o.scheduler)
    summaries = [_run_one(path, scenario, o, executor, documents, len(loaded)) for path, scenario in loaded]
    if o.summary_json is not None:
        doc: Any = summaries[0] if len(summaries) == 1 else summaries
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        if o.to_stdout:
            sys.stdout.write(text)
        else:
            from sim.atomic import write_text

            write_text(Path(o.summary_json), text)
            _say(f"summary: {o.summary_json}", False)


def _checked(args: list[str], o: _RunOptions) -> list[tuple[Path, Any]]:
    """Every scenario loaded, and every output and run size checked, before anything runs."""
    from sim.analysis.samples import FORMATS
    from sim.cli.checks import distinct_outputs

    if o.samples is not None and o.samples.suffix.lower() not in FORMATS:
        _fail(2, f"error: --samples must end in {' or '.join(FORMATS)}, got {o.samples.name!r}")
    targets = _file_targets(o.summary_json, o.samples, len(args), [Path(a).stem for a in args])
    _check_outputs(targets, o.folder)
    loaded = _load_all(args)
    distinct_outputs(loaded, o.samples, o.folder)
    for _, scenario in loaded:
        _check_fits(scenario, o.iterations)
    return loaded


def _run_one(
    path: Path, scenario: Any, o: _RunOptions, executor: Any, documents: dict[Path, Any], count: int
) -> dict[str, Any]:
    """Run one scenario: its table, history record, samples and report; its summary."""
    from sim.cli.render import print_table

    try:
        result = _simulate_with_progress(
            scenario, o.iterations, o.seed, o.engine, o.workers, o.quiet, executor
        )
    except ValueError as exc:
        _fail(2, f"error: {path}: {exc}")
    for warning in result.scenario.warnings:
        _err(f"warning: {path}: {warning}")
    _say_fresh_seed(result, str(path))
    summary: dict[str, Any] = result.summary(str(path), impacts=o.impacts)
    if o.history is not None:
        from sim.analysis.history import record

        record(o.history, summary, documents[path], result.scenario.as_of)
    if not o.quiet:
        print_table(result, file=sys.stderr if o.to_stdout else sys.stdout)
    if o.samples is not None:
        stem = f"{o.samples.stem}-{path.stem}{o.samples.suffix}"
        target = o.samples if count == 1 else o.samples.with_name(stem)
        result.write_samples(target)
        _say(f"samples: {target}", o.to_stdout)
    if not o.no_report:
        _say(f"report: {result.write_report(o.out, impacts=o.impacts)}", o.to_stdout)
    return summary


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


def compare(  # noqa: PLR0913 (a Typer command's options are its parameters)
    scenarios: Annotated[
        list[str],
        typer.Argument(metavar="SCENARIO", help="Two or more scenario files (or bundled names)."),
    ],
    iterations: Annotated[int | None, options.iterations("Iterations for every scenario.")] = None,
    seed: Annotated[
        int | None,
        options.seed("Seed for every scenario (default: each scenario's, else a fresh one that is printed)."),
    ] = None,
    engine: EngineChoice = Engine.auto,
    workers: Workers = None,
    out: Annotated[Path, options.out("Folder for the report.")] = Path("reports"),
    title: Annotated[str | None, typer.Option("--title", metavar="TEXT", help="Report title.")] = None,
    quiet: Quiet = False,
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


def sweep(  # noqa: PLR0913 (a Typer command's options are its parameters)
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
    iterations: Annotated[int | None, options.iterations("Iterations of every variant.")] = None,
    seed: Annotated[
        int | None, options.seed("Seed of every variant (default: the scenario's, else 0).")
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
    no_report: NoReport = False,
    out: Out = Path("reports"),
    scheduler: Annotated[
        str | None,
        options.scheduler(
            "Run the variants as tasks on a Dask cluster at this address (needs lunarsim[dask])."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        options.workers(
            "Worker processes for the variants (default: all cores). Results do not depend on it."
        ),
    ] = None,
    quiet: Annotated[bool, options.quiet("No table in the terminal.")] = False,
    debug: Debug = False,
) -> None:
    """Run a scenario over a grid of changed values, every variant on the same random draws, and
    chart the headline against the values.

    \b
    Example:
      lunarsim sweep tutorial-launch-campaign --set risks.late-parts.probability=0,0.3,0.6
    """

    def act() -> None:
        from sim.analysis.sweep import parse_setting

        parsed = [parse_setting(text) for text in settings]
        _check_outputs(_table_files(table), None if no_report else out)
        done = _run_sweep(scenario, parsed, iterations, seed, scheduler, workers)
        if table is not None:
            from sim.analysis.sweep import write_table

            written = write_table(done.rows, table)
            if written is not None:
                _say(f"table: {written}", False)
        if table != "-" and not quiet:
            from sim.cli.render import print_sweep

            print_sweep(done.base, done.keys, done.rows, done.iterations, done.seed)
        if not no_report:
            from sim.report import write_sweep

            report = write_sweep(
                done.base,
                done.keys,
                done.rows,
                out,
                iterations=done.iterations,
                seed=done.seed,
                seconds=done.seconds,
            )
            _say(f"report: {report}", table == "-")

    _guard(debug, act)


def _table_files(table: str | None) -> list[Path]:
    """The file `--table` writes (none for standard output), refused before any work if it
    cannot be one."""
    from sim.analysis.sweep import FORMATS

    if table is None or table == "-":
        return []
    _not_empty("--table", table)
    if Path(table).suffix.lower() not in FORMATS:
        kinds = " or ".join(FORMATS)
        _fail(2, f"error: --table must end in {kinds} (or be -), got {Path(table).name!r}")
    return [Path(table)]


@dataclass(frozen=True)
class _Swept:
    """A sweep's rows and what its table, terminal and page say about them."""

    base: Any  # the file as written, resolved: its headline is the page's subject
    keys: list[str]
    rows: list[dict[str, Any]]
    iterations: int
    seed: int
    seconds: float


def _run_sweep(
    scenario: str,
    parsed: list[Any],
    iterations: int | None,
    seed: int | None,
    scheduler: str | None,
    workers: int | None,
) -> _Swept:
    import sim
    from sim.analysis.sweep import sweep as run_sweep
    from sim.api import iterations_for, seed_for
    from sim.simulation.deterministic import resolved

    path = _resolve(scenario)
    loaded = sim.load(path)
    _check_fits(loaded, iterations)
    # The headline (when the file names none, the plan's last milestone) is the report's subject.
    base = resolved(loaded)
    n = iterations_for(base, iterations)
    s = seed_for(base, seed, repeatable=True)
    executor = _executor(scheduler)  # its errors are about --scheduler, not the scenario
    began = time.perf_counter()
    try:
        rows = run_sweep(path, parsed, n, s, workers=workers, executor=executor)
    except ValueError as exc:
        _fail(2, f"error: {path}: {exc}")
    return _Swept(base, [p.column for p in parsed], rows, n, s, time.perf_counter() - began)


def watch(
    scenario: Annotated[
        str, typer.Argument(metavar="SCENARIO", help="Scenario file (or bundled name) to watch.")
    ],
    iterations: Annotated[int | None, options.iterations("Iterations of each re-run.")] = None,
    seed: Annotated[
        int | None, options.seed("Seed of every re-run (default: the scenario's, else 0).")
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
