"""`lunarsim history` answered without Typer: the listing is a few SQLite reads, and importing
Typer (which builds its parameters with pydantic) costs more than the listing itself, so the
console script tries this first. Only the plain forms are answered here (`history [SCENARIO]
[--json] [--history PATH]`, parsed by argparse); anything else (`--help`, `--report`, `--debug`,
a mistake) returns None and goes to the Typer command, which says the same things in the same
way. The listing itself (`history_output`) is what the Typer command prints too."""

from __future__ import annotations

import json
import sys
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


def run(argv: list[str]) -> int | None:
    """Answer `lunarsim ARGV` if it is a plain `history` listing; its exit status, else None."""
    if not argv or argv[0] != "history":
        return None
    import argparse

    parser = argparse.ArgumentParser(
        prog="lunarsim history", add_help=False, allow_abbrev=False, exit_on_error=False
    )
    parser.add_argument("scenario", nargs="?")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--history")
    try:
        args, rest = parser.parse_known_args(argv[1:])
    except (argparse.ArgumentError, SystemExit):
        return None
    if rest or args.history == "" or (args.scenario or "").startswith("-"):
        return None
    from sim.analysis.history import store_path
    from sim.cli import streams
    from sim.display import terminal
    from sim.errors import ScenarioError

    saved = streams.install()
    try:
        try:
            store = store_path(Path(args.history) if args.history is not None else None)
            out = history_output(history_entries(args.scenario, store), args.scenario, store, args.json)
        except ScenarioError as exc:
            for problem in exc.problems:
                print(terminal(f"error: {problem}", newlines=True), file=sys.stderr)
            return 2
        except Exception:  # the Typer command runs it again and reports it as it does
            return None
        for line in out:
            print(line)
        streams.finish()
        return 0
    except streams.StreamFailed as failed:
        streams.report(failed, saved)
        return 2
    finally:
        streams.restore(saved)
