"""Standard output and error that fail (`> /dev/full`, a closed descriptor, a reader that went
away) end the command with one line and exit status 2, never a traceback or status 1."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from typing import Any


class StreamFailed(BaseException):
    """Writing to standard output or error failed. A BaseException so that the commands' guard,
    which turns every other exception into "internal error", lets it through to `main`."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


def _why(exc: OSError | ValueError) -> str:
    if isinstance(exc, ValueError) or exc.errno == errno.EBADF:
        return "it is closed"
    if exc.errno == errno.EPIPE:
        return "the program reading it has stopped (broken pipe)"
    from sim.atomic import os_reason

    return os_reason(exc)


class Guarded:
    """A text or binary stream whose failed writes raise StreamFailed naming the stream."""

    def __init__(self, stream: Any, name: str) -> None:
        self._stream = stream
        self._name = name

    def _call(self, method: str, *args: Any) -> Any:
        if self._stream is None:
            raise StreamFailed(self._name, "it is closed")
        try:
            return getattr(self._stream, method)(*args)
        except (OSError, ValueError) as exc:
            if isinstance(exc, ValueError) and "closed file" not in str(exc):
                raise
            raise StreamFailed(self._name, _why(exc)) from None

    def write(self, data: Any) -> Any:
        return self._call("write", data)

    def writelines(self, lines: Any) -> Any:
        return self._call("writelines", lines)

    def flush(self) -> Any:
        return self._call("flush")

    def isatty(self) -> bool:
        try:
            return bool(self._stream is not None and self._stream.isatty())
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        if self._stream is None:
            raise OSError(errno.EBADF, "closed")
        return int(self._stream.fileno())

    @property
    def buffer(self) -> Guarded:
        """The binary stream under a text one, guarded too; AttributeError when there is none
        (a StringIO), as for the stream itself, so that callers fall back to writing text."""
        if self._stream is None:
            return Guarded(None, self._name)
        return Guarded(self._stream.buffer, self._name)

    def __getattr__(self, name: str) -> Any:
        if self._stream is None:
            raise AttributeError(name)
        return getattr(self._stream, name)


def install() -> tuple[Any, Any]:
    """Guard sys.stdout and sys.stderr (None when the descriptor was closed at start); return
    the streams they replaced, for `restore`."""
    saved = (sys.stdout, sys.stderr)
    sys.stdout = Guarded(sys.stdout, "standard output")
    sys.stderr = Guarded(sys.stderr, "standard error")
    return saved


def restore(saved: tuple[Any, Any]) -> None:
    sys.stdout, sys.stderr = saved


def finish() -> None:
    """Flush standard output now, so that a failure is ours to report, not the interpreter's."""
    sys.stdout.flush()


def report(failed: StreamFailed, saved: tuple[Any, Any]) -> None:
    """Say on standard error (if it still works) that writing failed, and point the failed
    descriptors at /dev/null so that the interpreter's last flush at exit cannot fail again."""
    out, err = saved
    for stream in (out, err):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            if stream is not None and stream.fileno() in (1, 2):
                null = os.open(os.devnull, os.O_WRONLY)
                try:
                    if failed.name == ("standard output" if stream is out else "standard error"):
                        os.dup2(null, stream.fileno())
                finally:
                    os.close(null)
    if failed.name == "standard error" or err is None:
        return
    with contextlib.suppress(OSError, ValueError):
        err.write(f"error: cannot write to {failed.name}: {failed.reason}\n")
        err.flush()
