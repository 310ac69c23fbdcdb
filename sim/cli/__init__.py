"""The `lunarsim` command line: commands that call the library, and their terminal rendering (rich).

Only this package imports typer and rich; `main` is the console script's entry point. It handles
Ctrl-C and SIGTERM (`sim.cli.stop`) before importing the commands, whose imports (typer, click)
take up to a second on a busy machine; `app` is imported on first use. A plain `lunarsim history`
and a plain `lunarsim lint` are answered without them (`sim.cli.quick`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["app", "main"]


def main() -> None:
    """Run the command line (`sim.cli.commands.main`)."""
    import sys

    from sim.cli import stop

    with stop.handled():
        from sim.cli import quick

        code = quick.run(sys.argv[1:])
        if code is None:
            from sim.cli.commands import main as run
    if code is not None:
        sys.exit(code)
    run()


def __getattr__(name: str) -> Any:
    if name == "app":
        from sim.cli.commands import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
