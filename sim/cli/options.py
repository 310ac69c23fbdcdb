"""The options several `lunarsim` commands share, each defined once: its flags, metavar, bounds
and parser here, so `-n N` or `--out DIR` means the same in every command.

Each is an `Annotated` alias with the usual help (`iterations: Iterations = None`) and a function
that returns the same option with a help sentence of the command's own, where the command gives
it a meaning of its own (`Annotated[int | None, options.iterations("Iterations of every
variant.")]`). Only typer is imported here: these are read at start-up.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer


class Engine(str, Enum):
    auto = "auto"
    simpy = "simpy"
    vector = "vector"


def _folder(value: str | Path) -> Path:
    from sim.cli.checks import nonempty_path

    return nonempty_path(value)


def iterations(help: str = "Monte Carlo iterations (default: the scenario's, else 10000).") -> Any:
    return typer.Option("-n", "--iterations", metavar="N", min=1, help=help)


def seed(help: str = "Seed (default: the scenario's, else a fresh one that is printed).") -> Any:
    return typer.Option("--seed", metavar="SEED", min=0, help=help)


def engine(help: str = "auto picks vector where it can run the scenario, else simpy.") -> Any:
    return typer.Option("--engine", help=help)


def workers(help: str = "Worker processes (default: all cores). Results do not depend on it.") -> Any:
    return typer.Option("--workers", metavar="N", min=1, help=help)


def scheduler(
    help: str = "Run the chunks on a Dask cluster at this address (needs lunarsim[dask]).",
) -> Any:
    return typer.Option("--scheduler", metavar="ADDRESS", help=help)


def history(
    help: str = "Record the run in this history store (default: $LUNARSIM_HISTORY, else "
    "lunarsim/history.sqlite under the user's data folder).",
) -> Any:
    return typer.Option("--history", metavar="PATH", help=help)


def milestone(help: str) -> Any:
    """`--milestone ID`: which milestone a command is about (each command says how it picks one)."""
    return typer.Option("--milestone", metavar="ID", help=help)


def out(help: str = "Folder for the HTML report.") -> Any:
    return typer.Option("--out", metavar="DIR", help=help, parser=_folder)


def quiet(help: str = "No progress bar and no table.") -> Any:
    return typer.Option("--quiet", "-q", help=help)


def json_out(help: str) -> Any:
    return typer.Option("--json", help=help)


Iterations = Annotated[int | None, iterations()]
Seed = Annotated[int | None, seed()]
EngineChoice = Annotated[Engine, engine()]
Workers = Annotated[int | None, workers()]
Scheduler = Annotated[str | None, scheduler()]
History = Annotated[Path | None, history()]
Out = Annotated[Path, out()]
Quiet = Annotated[bool, quiet()]
NoReport = Annotated[bool, typer.Option("--no-report", help="Do not write the HTML report.")]
Debug = Annotated[bool, typer.Option("--debug", help="Show the Python traceback of unexpected errors.")]
