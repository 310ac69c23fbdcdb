"""The Typer app of `lunarsim` and what its commands share (options: `sim.cli.options`): exit
codes for bad input and bugs (`_guard`), loading every scenario first, and the checks of outputs."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

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
            text: str | None = shown(self, ctx)
            return text

        display_type_rich._names_plain = True  # type: ignore[attr-defined]
        cls.display_type_rich = display_type_rich


_names_without_types()


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


def _resolve(arg: str) -> Path:
    from sim.bundled import find

    return find(arg)


def _history_path(option: Path | None) -> Path:
    from sim.analysis.history import store_path

    return store_path(option)


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
