"""Writing outputs whole or not at all: a temporary file beside the target, renamed over it.

Only a regular file (or a path that does not exist yet) is replaced that way, keeping the
replaced file's permission bits. A symbolic link is replaced by the new file (what it pointed
to is left alone). A special file given as the path (a FIFO, a terminal) or a path under /dev
or /proc (/dev/stdout, /dev/null) is written through and never replaced. Any failure
(a read-only or missing folder, a full disk, a directory in the way) is an OutputError naming
the path, and the temporary file is removed, also when the process is stopped by SIGTERM
(the CLI turns it into an exception) or SIGKILL (`remove_stale` clears it on the next run).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from sim.errors import OutputError, Problem

# Our temporary files: ".<name>.lunarsim-<pid>-<random>.tmp", so a stale one can be told from
# another program's file and from one that a running lunarsim is still writing.
_TMP = re.compile(r"^\..+\.lunarsim-(\d+)-[A-Za-z0-9_]+\.tmp$")


def os_reason(exc: OSError) -> str:
    """An OSError in a few plain words ("no space left on the device"), for one-line errors."""
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    if exc.errno == errno.ENOENT:
        return "the folder does not exist"
    if exc.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    if exc.errno == errno.EISDIR:
        return "is a folder, not a file"
    if exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


def output_error(path: Path, exc: OSError | str) -> OutputError:
    reason = exc if isinstance(exc, str) else os_reason(exc)
    return OutputError(Problem(f"cannot write here: {reason}", Path(path)))


def check_file_target(path: Path) -> None:
    """Raise OutputError unless a file can be created or replaced at `path` (its folder exists)."""
    path = Path(path)
    if str(path) == "":
        raise output_error(path, "the path is empty")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise output_error(path, exc) from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise output_error(path, "is a folder, not a file")
    parent = path.parent
    try:
        _check_parent(parent, path)
    except OSError as exc:
        raise output_error(path, exc) from None


def _check_parent(parent: Path, path: Path) -> None:
    if not parent.is_dir():
        missing = not parent.exists()
        reason = f"the folder {str(parent)!r} does not exist" if missing else "its parent is a file"
        raise output_error(path, reason)
    _check_writable(parent, path)


def _check_writable(folder: Path, path: Path) -> None:
    if not os.access(folder, os.W_OK | os.X_OK):
        try:
            read_only = os.statvfs(folder).f_flag & os.ST_RDONLY
        except OSError:
            read_only = False
        raise output_error(
            path, "the file system is read-only" if read_only else f"the folder {str(folder)!r} is read-only"
        )


def check_folder_target(folder: Path) -> None:
    """Raise OutputError unless `folder` is a folder or can be made, with any missing parents,
    inside its nearest existing ancestor (which must be a folder)."""
    folder = Path(folder)
    if str(folder) == "":
        raise output_error(folder, "the path is empty")
    try:
        _check_folder(folder)
    except OSError as exc:  # a name over 255 bytes, a path over 4096, a symlink loop
        raise output_error(folder, exc) from None


def _check_folder(folder: Path) -> None:
    if folder.exists():
        if not folder.is_dir():
            raise output_error(folder, "is a file, not a folder")
        _check_writable(folder, folder)
        return
    ancestor = folder.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if ancestor.exists() and not ancestor.is_dir():
        raise output_error(folder, f"{str(ancestor)!r} is a file, not a folder")
    if ancestor.is_dir():
        _check_writable(ancestor, folder)


def make_folder(folder: Path) -> None:
    """Create `folder` and any missing parents, or raise OutputError."""
    check_folder_target(folder)
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(folder, exc) from None


def _write_through(path: Path) -> bool:
    """True for a special file given as the path itself (a FIFO, a terminal, /dev/null), or a path
    under /dev or /proc (/dev/stdout even when it is a file). A symbolic link elsewhere is never
    followed: the new file replaces the link and what it points to is left alone."""
    if str(path).startswith(("/dev/", "/proc/")):
        return True
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return not stat.S_ISREG(info.st_mode) and not stat.S_ISLNK(info.st_mode)


def _mode_for(path: Path) -> int:
    """The permission bits of the file being replaced (a private 600 file stays private), else
    those an ordinary new file gets under the umask."""
    try:
        info = os.lstat(path)
    except OSError:
        info = None
    if info is not None and stat.S_ISREG(info.st_mode):
        return stat.S_IMODE(info.st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Open `path` for writing so that readers see the old file or the whole new one.

    A regular file (or a new one) is written to a temporary file beside it, which replaces it on
    clean exit and vanishes on error. A special file is written through. Failures to write are
    OutputError (exit status 2 in the CLI), naming `path`.
    """
    path = Path(path)
    check_file_target(path)
    binary = "b" in mode
    if _write_through(path):
        try:
            with open(path, mode, encoding=None if binary else encoding) as handle:
                yield handle
        except OSError as exc:
            raise output_error(path, exc) from None
        return
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.name}.lunarsim-{os.getpid()}-", suffix=".tmp", dir=path.parent
        )
    except OSError as exc:
        raise output_error(path, exc) from None
    try:
        # mkstemp makes the file private (0600); give it the replaced file's permissions, or
        # those an ordinary new file would get.
        os.chmod(tmp, _mode_for(path))
        with os.fdopen(fd, mode, encoding=None if binary else encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise output_error(path, exc) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path: Path, text: str) -> Path:
    with atomic_open(path, "w") as handle:
        handle.write(text)
    return Path(path)


def remove_stale(folder: Path) -> list[Path]:
    """Delete our temporary files in `folder` left by a process that no longer runs (SIGKILL)."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TMP.match(entry.name)
        if match is None or _alive(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # written by an earlier process that had our id, not by this one
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True
