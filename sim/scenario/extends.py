"""Scenario inheritance: overlaying a file on the base it `extends`, along a chain of files."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any, NoReturn

from sim.errors import Problem, ScenarioError
from sim.messages import Suggestions, did_you_mean
from sim.scenario import yamlsource
from sim.scenario.yamlsource import Source

MERGED_BY_ID = ("milestones", "risks", "resources")
NOT_A_SCENARIO = "not a scenario (a YAML mapping with milestones, or with extends)"


def read_chain(path: Path) -> tuple[Source, list[Path]]:
    """Read `path` and every base it extends; return the overlaid document and the chain of files.

    The returned Source's marks point into whichever file each value came from.
    """
    return read_levels(path)[0]


def read_levels(path: Path) -> list[tuple[Source, list[Path]]]:
    """`read_chain` of `path` and of each base along its chain in turn (what `read_chain` of that
    base returns), every file read once: a loader that needs the bases too reads nothing twice."""
    return _read(Path(path), [])


def _read(path: Path, stack: list[Path]) -> list[tuple[Source, list[Path]]]:
    source = _read_base(path) if stack else yamlsource.read(path)
    data = source.data
    base_ref = data.get("extends")
    removed = data.get("remove")
    if base_ref is None:
        if "remove" in data:
            _fail(
                source,
                ("remove",),
                "remove needs extends: there is no base scenario to remove from",
                at_key=True,
            )
        return [(source, [path])]
    if not isinstance(base_ref, str) or not base_ref.strip():
        _fail(source, ("extends",), "extends takes the path of a base scenario file, e.g. base.yaml")
    if removed is not None:
        _check_remove(source, removed)
    shown = base_ref if len(base_ref) <= 300 else base_ref[:300] + "..."  # !r escapes control characters
    if "\x00" in base_ref:
        _fail(source, ("extends",), f"base scenario {shown!r}: a file name cannot contain a NUL character")
    base_path, chain_so_far = _base_path(source, path, stack, base_ref, shown)
    try:
        levels = _read(_relative(base_path), chain_so_far)
    except ScenarioError as exc:
        if any(p.file is not None and _same(p.file, base_path) and p.line is None for p in exc.problems):
            # The base itself could not be read (a directory, a device, too big): say where it is named.
            raise ScenarioError(_at_extends(source, base_path, shown, exc.problems)) from None
        raise
    base, chain = levels[0]
    return [(_overlay(base, source), [path, *chain]), *levels]


def _base_path(
    source: Source, path: Path, stack: list[Path], base_ref: str, shown: str
) -> tuple[Path, list[Path]]:
    """The base file `extends` names (refused if it cannot be opened, is missing or makes a
    cycle), and the chain of files read so far, this one included."""
    try:
        resolved = _absolute(path)
        base_path = _absolute(path.parent / base_ref)
    except (OSError, RuntimeError, ValueError) as exc:
        _fail(source, ("extends",), f"base scenario {shown!r} cannot be opened: {_why(exc)}")
    chain_so_far = [*stack, resolved]
    if base_path in chain_so_far:
        cycle = " -> ".join(p.name for p in [*chain_so_far[chain_so_far.index(base_path) :], base_path])
        _fail(source, ("extends",), f"extends cycle: {cycle}")
    try:
        exists = base_path.exists()
    except (OSError, ValueError) as exc:
        _fail(source, ("extends",), f"base scenario {shown!r} cannot be opened: {_why(exc)}")
    if not exists and not base_path.is_symlink():
        _fail(
            source,
            ("extends",),
            f"base scenario {shown!r} not found (the path is relative to this file's folder)",
        )
    return base_path, chain_so_far


def _at_extends(source: Source, base_path: Path, shown: str, problems: list[Problem]) -> list[Problem]:
    """The base's own unlocated problems (it could not be read) located at this file's `extends`."""
    m = source.marks.get(("extends",))
    return [
        Problem(
            f"base scenario {shown!r}: {p.message}",
            source.path,
            m.line if m else None,
            m.column if m else None,
            "extends",
        )
        if p.file is not None and _same(p.file, base_path) and p.line is None
        else p
        for p in problems
    ]


def _read_base(path: Path) -> Source:
    """Read a file named by `extends`, quoting nothing from it unless it is a scenario.

    `extends` can name any file (`/etc/shadow`), and its problems would otherwise be shown, line
    by line, in the terminal and on the watch page. A base counts as a scenario when it reads as
    a YAML mapping with `milestones` or `extends` (a base without either is not valid anyway);
    anything else, or a file that does not read as YAML at all, is one problem without a line,
    which the caller places at the `extends` key. The base's own problems show when it is
    validated on its own."""
    try:
        source = yamlsource.read(path)
    except ScenarioError as exc:
        if any(p.line is not None for p in exc.problems):
            raise ScenarioError(
                Problem(
                    f"{NOT_A_SCENARIO}; nothing from it is shown (validate it on its own to see why)",
                    path,
                )
            ) from None
        raise
    if not isinstance(source.data, dict) or not ({"milestones", "extends"} & set(source.data)):
        raise ScenarioError(
            Problem(
                f"{NOT_A_SCENARIO}; nothing from it is shown",
                path,
            )
        )
    return source


def _absolute(path: Path) -> Path:
    """The path with symlinks resolved; a symlink loop or an over-long name raises OSError."""
    return Path(os.path.realpath(path, strict=False)) if len(str(path)) < 4096 else _too_long()


def _too_long() -> NoReturn:
    raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG))


def _same(a: Path, b: Path) -> bool:
    try:
        return _absolute(a) == b
    except (OSError, ValueError):
        return False


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    if isinstance(exc, RuntimeError):
        return "symbolic link loop"
    return "invalid file name"


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing" if value is None else "a number or other value"


def _check_remove(source: Source, removed: object) -> None:
    """`remove` must be a list of ids (text)."""
    if not isinstance(removed, list):
        _fail(source, ("remove",), "remove takes a list of ids, e.g. [old-milestone, old-risk]")
    problems = []
    for i, rid in enumerate(removed):
        if not isinstance(rid, str):
            m = source.marks.get(("remove", i))
            problems.append(
                Problem(
                    "each entry of remove is the id of a milestone, risk or resource (text), "
                    f"not {_kind(rid)}",
                    source.path,
                    m.line if m else None,
                    m.column if m else None,
                    f"remove[{i}]",
                )
            )
    if problems:
        raise ScenarioError(problems)


def _fail(source: Source, key: tuple[str], message: str, at_key: bool = False) -> NoReturn:
    """Raise a ScenarioError at `key`'s value in `source` (at the key itself with `at_key`)."""
    m = source.key_marks.get(key) if at_key else source.marks.get(key)
    raise ScenarioError(Problem(message, source.path, m.line if m else None, m.column if m else None, key[0]))


def _suggest(rid: object, data: dict[str, Any], suggestions: Suggestions) -> str:
    ids = [k for section in MERGED_BY_ID if isinstance(data.get(section), dict) for k in data[section]]
    close = did_you_mean(str(rid), ids, suggestions)
    return f" ({close})" if close else ""


def _remove(data: dict[str, Any], child: Source) -> list[Problem]:
    """Take the ids the child's `remove` lists out of the base's `data` (in place); a problem for
    each that is not there."""
    removed = child.data.get("remove") or []
    problems: list[Problem] = []
    suggestions = Suggestions()
    if not isinstance(removed, list):
        return problems
    for i, rid in enumerate(removed):
        where = [s for s in MERGED_BY_ID if isinstance(data.get(s), dict) and rid in data[s]]
        if not where:
            m = child.marks.get(("remove", i))
            problems.append(
                Problem(
                    f"nothing called {rid!r} in the base scenario to remove"
                    + _suggest(rid, data, suggestions),
                    child.path,
                    m.line if m else None,
                    m.column if m else None,
                    f"remove[{i}]",
                )
            )
        for section in where:
            data[section] = {k: v for k, v in data[section].items() if k != rid}
    return problems


def _overlay(base: Source, child: Source) -> Source:
    data: dict[str, Any] = {k: v for k, v in base.data.items() if k not in ("extends", "remove")}
    marks = dict(base.marks)
    key_marks = dict(base.key_marks)
    problems = _remove(data, child)
    for key, value in child.data.items():
        if key in ("extends", "remove"):
            continue
        if key in MERGED_BY_ID and isinstance(value, dict) and isinstance(data.get(key), dict):
            merged = dict(data[key])
            for item_id, item in value.items():
                if isinstance(item, dict) and isinstance(merged.get(item_id), dict):
                    merged[item_id] = {**merged[item_id], **item}
                else:
                    merged[item_id] = item
            data[key] = merged
        else:
            data[key] = value
            marks = {p: m for p, m in marks.items() if p[:1] != (key,)}
    marks.update(child.marks)
    key_marks.update(child.key_marks)
    if problems:
        raise ScenarioError(problems)
    return Source(child.path, data, marks, key_marks, child.text)


def _relative(path: Path) -> Path:
    """Shown in messages as the user would write it: relative to the working folder if inside it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
