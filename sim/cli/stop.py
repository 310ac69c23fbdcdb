"""Ctrl-C and SIGTERM on the command line: exit 130 or 143 within seconds, whatever was running.

Python's own handling leaves gaps: a signal during the first imports prints a traceback, Click
turns one during its parsing into a bare exit 130 (SIGTERM too), and at exit the interpreter
waits without end for every thread still running, such as a process pool's manager thread
reading from a worker that was stopped. Here SIGTERM raises `Terminated` and Ctrl-C
`KeyboardInterrupt` as before, so that the work in progress unwinds and removes its temporary
files; each signal is noted (`received`), and `leave` then exits with the status of that signal,
waiting at most `GRACE` seconds for other threads.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, NoReturn

# How long other threads may take to finish once a signal has stopped the command.
GRACE = 3.0
MESSAGES = {
    signal.SIGINT: "interrupted; nothing half-written was left behind",
    signal.SIGTERM: "terminated; nothing half-written was left behind",
}

_received: list[int] = []
_owner = [os.getpid()]  # the process that installed the handlers


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is so that temporary files are removed on the way out."""


def _on_signal(signum: int, frame: Any) -> None:
    if os.getpid() != _owner[0]:
        # A process forked from this one that has not set its own handlers yet (a pool's worker
        # before its initializer): it must not unwind the parent's copied stack and clean up
        # the parent's files on its way out.
        os._exit(status(signum))
    _received.append(signum)
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def install() -> dict[int, Any]:
    """Handle SIGTERM and Ctrl-C as described above (main thread only); return the handlers they
    replace, for `restore`."""
    kinds = (signal.SIGINT, signal.SIGTERM)
    _received.clear()
    _owner[0] = os.getpid()
    before: dict[int, Any] = {kind: signal.getsignal(kind) for kind in kinds}
    for kind in kinds:
        signal.signal(kind, _on_signal)
    return before


def restore(before: dict[int, Any]) -> None:
    for kind, handler in before.items():
        signal.signal(kind, signal.SIG_DFL if handler is None else handler)


def received() -> int | None:
    """The first SIGINT or SIGTERM since `install`, if any."""
    return _received[0] if _received else None


def status(signum: int) -> int:
    """The exit status for a signal, as shells report it: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + signum


@contextmanager
def handled() -> Iterator[None]:
    """Install the handlers and turn a signal during the block into its message and exit status."""
    install()
    try:
        yield
    except KeyboardInterrupt:
        signum = received() or signal.SIGINT
        _say(MESSAGES[signal.Signals(signum)])
        leave(status(signum))


def leave(code: int) -> NoReturn:
    """Exit with `code` after a signal, once the interrupted work has unwound (temporary files
    removed, worker processes stopped): other threads get `GRACE` seconds to finish, then the
    process ends with its standard streams flushed, without Python's exit steps, which would wait
    for a stuck thread without end and can turn the status into a kill by SIGINT (a Ctrl-C
    handled inside code Python built from text, as dataclasses are, is remembered as unhandled
    even once caught). A second signal meanwhile exits at once."""
    for kind in (signal.SIGINT, signal.SIGTERM):
        signal.signal(kind, lambda signum, frame: os._exit(code))
    deadline = time.monotonic() + GRACE
    for thread in _others():
        thread.join(max(0.0, deadline - time.monotonic()))
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def _others() -> list[threading.Thread]:
    """The threads the interpreter would wait for at exit, this one aside."""
    me = threading.current_thread()
    return [t for t in threading.enumerate() if t is not me and not t.daemon and t.is_alive()]


def _say(message: str) -> None:
    with suppress(OSError, ValueError):
        print(message, file=sys.stderr, flush=True)
