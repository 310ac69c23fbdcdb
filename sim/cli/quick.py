"""Plain `lunarsim history` and `lunarsim lint` answered without Typer: importing Typer (which
builds its parameters with pydantic) costs more than a listing of a few SQLite reads, and lint is
meant to answer within a fraction of a second, so the console script tries this first. Only the plain
forms are answered here, parsed by argparse: `history [SCENARIO] [--json] [--history PATH]` and
`lint SCENARIO... [--format text|json|sarif]`. Anything else (`--help`, `--report`, `--effects`,
`--debug`, a mistake) returns None and goes to the Typer command, which says the same things in
the same way. What each prints (`history_output`, `lint_output`) is what the Typer command prints
too."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def history_entries(scenario: str | None, store: Path) -> list[dict[str, Any]]:
    """The recorded runs in `store`, newest first: all, or those of SCENARIO (a file, a bundled
    name, or a scenario's name)."""
    from sim.analysis.history import runs

    by_path = None
    if scenario is not None:
        candidate = Path(scenario)
        if candidate.is_file() or candidate.suffix in (".yaml", ".yml") or "/" in scenario:
            by_path = str(candidate.resolve())
        else:
            from sim.bundled import bundled

            by_path = next((str(p.resolve()) for p, _ in bundled() if p.stem == scenario), None)
    return runs(store, scenario, by_path)


def history_output(
    entries: list[dict[str, Any]], scenario: str | None, store: Path, json_out: bool
) -> list[str]:
    """What `lunarsim history` prints on standard output for `entries`."""
    from sim.cli.historytext import history_lines
    from sim.display import terminal

    if json_out:
        return [json.dumps(entries, indent=2, ensure_ascii=False)]
    if not entries:
        which = f" of {scenario}" if scenario is not None else ""
        return [terminal(f"no runs{which} recorded in {store}")]
    return [terminal(line) for line in history_lines(entries)]


def lint_output(
    scenarios: list[str], fmt: str, effects: bool = False, iterations: int | None = None
) -> tuple[str, int]:
    """What `lunarsim lint` prints on standard output for SCENARIOS in `fmt` (text, json or
    sarif), and its exit status: 3 if a finding is error-level, else 0. A file that is missing,
    unreadable or invalid raises ScenarioError (exit status 2), before anything is printed."""
    from sim import __version__
    from sim.analysis.lint import lint_scenario, load_with_source
    from sim.analysis.lintoutput import as_json, as_sarif, as_text
    from sim.bundled import find

    found = []
    for arg in scenarios:
        scenario, source = load_with_source(find(arg))
        findings = lint_scenario(scenario, source)
        if effects:
            from sim.analysis.linteffects import with_effects

            findings = with_effects(scenario, findings, iterations=iterations)
        found += findings
    text = {"text": as_text, "json": as_json}.get(fmt, lambda f: as_sarif(f, __version__))(found)
    return text, 3 if any(f.severity == "error" for f in found) else 0


def run(argv: list[str]) -> int | None:
    """Answer `lunarsim ARGV` if it is a plain `history` listing or `lint`; its exit status, else None."""
    command = {"history": _history, "lint": _lint}.get(argv[0]) if argv else None
    code = command(argv[1:]) if command is not None else None
    if code is not None:
        _skip_last_collection()
    return code


def _skip_last_collection() -> None:
    """At exit the interpreter runs the cyclic garbage collector over every object still alive,
    all of NumPy's and pydantic's included: about 60 ms after a lint, a sixth of the command.
    Freezing them first (`gc.freeze`, at exit: registered once however often a command is
    answered in this process) leaves them out of that pass; the process's memory is the
    system's again once it ends."""
    import atexit
    import gc

    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def _parser(prog: str) -> Any:
    import argparse

    return argparse.ArgumentParser(prog=prog, add_help=False, allow_abbrev=False, exit_on_error=False)


def _history(args_in: list[str]) -> int | None:
    import argparse

    parser = _parser("lunarsim history")
    parser.add_argument("scenario", nargs="?")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--history")
    try:
        args, rest = parser.parse_known_args(args_in)
    except (argparse.ArgumentError, SystemExit):
        return None
    if rest or args.history == "" or (args.scenario or "").startswith("-"):
        return None

    def answer() -> tuple[list[str], int]:
        from sim.analysis.history import store_path

        store = store_path(Path(args.history) if args.history is not None else None)
        return history_output(history_entries(args.scenario, store), args.scenario, store, args.json), 0

    return _answer(answer)


def _lint(args_in: list[str]) -> int | None:
    import argparse

    parser = _parser("lunarsim lint")
    parser.add_argument("scenarios", nargs="*")
    parser.add_argument("--format", default="text")
    try:
        args, rest = parser.parse_known_args(args_in)
    except (argparse.ArgumentError, SystemExit):
        return None
    if rest or not args.scenarios or any(a.startswith("-") for a in args.scenarios):
        return None
    if args.format not in ("text", "json", "sarif"):
        return None
    # NumPy's OpenBLAS starts a thread per core when NumPy is imported, and they spin for a while:
    # lint does no linear algebra worth a thread, and on a busy machine that spinning takes the
    # CPU the command itself needs. Read when NumPy is imported (if it already is, as in a test,
    # nothing is set); a value the user set is kept.
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

    def answer() -> tuple[list[str], int]:
        text, code = lint_output(args.scenarios, args.format)
        return ([text] if text else []), code

    return _answer(answer)


def _answer(compute: Callable[[], tuple[list[str], int]]) -> int | None:
    """Print the lines `compute` returns on standard output and return its exit status; a
    ScenarioError is printed as the Typer commands print it (exit status 2), and a failed write
    to standard output or error as `sim.cli.streams` says. Any other exception returns None: the
    Typer command runs it again and reports it as it does."""
    import gc

    from sim.cli import streams
    from sim.display import terminal
    from sim.errors import ScenarioError

    # The answer is quick and its garbage small (a scenario's models and findings); the collector's
    # passes over the many objects NumPy and pydantic make while they are imported cost more
    # (about 30 ms of a lint), so it is off while this answers.
    collecting = gc.isenabled()
    saved = streams.install()
    try:
        try:
            gc.disable()
            out, code = compute()
        except ScenarioError as exc:
            for problem in exc.problems:
                print(terminal(f"error: {problem}", newlines=True), file=sys.stderr)
            return 2
        except Exception:
            return None
        for line in out:
            print(line)
        streams.finish()
        return code
    except streams.StreamFailed as failed:
        streams.report(failed, saved)
        return 2
    finally:
        if collecting:
            gc.enable()
        streams.restore(saved)
