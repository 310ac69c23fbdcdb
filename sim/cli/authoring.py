"""`lunarsim validate`, `lint`, `scenarios`, `schema` and `new`: the commands for writing scenarios."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.cli import options
from sim.cli.options import Debug
from sim.cli.shared import (
    _err,
    _fail,
    _guard,
    _resolve,
    _say,
)


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
        options.iterations("Iterations for --effects (default: the scenario's, else 10000)."),
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
    if fmt not in ("text", "json", "sarif"):
        _fail(2, f"error: --format must be text, json or sarif, not {fmt!r}")

    def act() -> None:
        from sim.cli.quick import lint_output

        text, code = lint_output(scenarios, fmt, effects, iterations)
        if text:
            print(text)
        if code:
            raise typer.Exit(code)

    _guard(debug, act)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def list_scenarios() -> None:
    """List the bundled scenarios with their one-line names.

    \b
    Example:
      lunarsim scenarios
    """
    from sim.bundled import bundled

    for path, name in bundled():
        print(f"{path.stem:32} {name}")


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
