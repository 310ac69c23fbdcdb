"""The `lunarsim` command line: commands that call the library, and their terminal rendering (rich).

Only this package imports typer and rich; `main` is the console script's entry point.
"""

from __future__ import annotations

from sim.cli.commands import app, main

__all__ = ["app", "main"]
