"""The `lunarsim` commands, registered in the order `--help` lists them (each family in its own
module: running, reviewing, authoring, evidence), and the console-script entry point."""

from __future__ import annotations

import signal
import sys
from typing import Any

from sim.cli import stop
from sim.cli.authoring import lint, list_scenarios, new, schema, validate
from sim.cli.evidence import landings, reference
from sim.cli.reviewing import backtest, explain, history_command
from sim.cli.running import compare, run, sweep, watch
from sim.cli.shared import _err, app

__all__ = ["app", "main"]

app.command()(run)
app.command("history")(history_command)
app.command()(explain)
app.command()(compare)
app.command()(backtest)
app.command()(sweep)
app.command()(watch)
app.command()(validate)
app.command()(lint)
app.command()(reference)
app.command()(landings)
app.command("scenarios")(list_scenarios)
app.command()(schema)
app.command()(new)


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
