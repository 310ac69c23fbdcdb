"""Scenario inheritance: overlaying a file on the base it `extends`, along a chain of files."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

from sim import yamlsource
from sim.errors import Problem, ScenarioError
from sim.yamlsource import Source

MERGED_BY_ID = ("milestones", "risks", "resources")


def read_chain(path: Path) -> tuple[Source, list[Path]]:
    """Read `path` and every base it extends; return the overlaid document and the chain of files.

    The returned Source's marks point into whichever file each value came from.
    """
    return _read(Path(path), [])


def _read(path: Path, stack: list[Path]) -> tuple[Source, list[Path]]:
    resolved = path.resolve()
    source = yamlsource.read(path)
    data = source.data
    base_ref = data.get("extends")
    if base_ref is None:
        if "remove" in data:
            _fail(
                source,
                ("remove",),
                "remove needs extends: there is no base scenario to remove from",
                at_key=True,
            )
        return source, [path]
    if not isinstance(base_ref, str) or not base_ref.strip():
        _fail(source, ("extends",), "extends takes the path of a base scenario file, e.g. base.yaml")
    base_path = (path.parent / base_ref).resolve()
    chain_so_far = [*stack, resolved]
    if base_path in chain_so_far:
        cycle = " -> ".join(p.name for p in [*chain_so_far[chain_so_far.index(base_path) :], base_path])
        _fail(source, ("extends",), f"extends cycle: {cycle}")
    if not base_path.exists():
        _fail(
            source,
            ("extends",),
            f"base scenario {base_ref!r} not found (the path is relative to this file's folder)",
        )
    base, chain = _read(_relative(base_path), chain_so_far)
    return _overlay(base, source), [path, *chain]


def _fail(source: Source, key: tuple[str], message: str, at_key: bool = False) -> NoReturn:
    """Raise a ScenarioError at `key`'s value in `source` (at the key itself with `at_key`)."""
    m = source.key_marks.get(key) if at_key else source.marks.get(key)
    raise ScenarioError(Problem(message, source.path, m.line if m else None, m.column if m else None, key[0]))


def _suggest(rid: object, data: dict[str, Any]) -> str:
    import difflib

    ids = [k for section in MERGED_BY_ID if isinstance(data.get(section), dict) for k in data[section]]
    close = difflib.get_close_matches(str(rid), ids, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _overlay(base: Source, child: Source) -> Source:
    data: dict[str, Any] = {k: v for k, v in base.data.items() if k not in ("extends", "remove")}
    marks = dict(base.marks)
    key_marks = dict(base.key_marks)
    removed = child.data.get("remove") or []
    problems: list[Problem] = []
    if isinstance(removed, list):
        for i, rid in enumerate(removed):
            where = [s for s in MERGED_BY_ID if isinstance(data.get(s), dict) and rid in data[s]]
            if not where:
                m = child.marks.get(("remove", i))
                problems.append(
                    Problem(
                        f"nothing called {rid!r} in the base scenario to remove{_suggest(rid, data)}",
                        child.path,
                        m.line if m else None,
                        m.column if m else None,
                        f"remove[{i}]",
                    )
                )
            for section in where:
                data[section] = {k: v for k, v in data[section].items() if k != rid}
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
