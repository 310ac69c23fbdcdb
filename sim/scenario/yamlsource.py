"""Reading one YAML file into plain data, keeping the line and column of every key and value."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError
from sim.errors import format_path as _format_path

MAX_BYTES = 10 * 1024 * 1024
# Bounds the work of expanding aliases: a "billion laughs" file reaches it in microseconds,
# while a real scenario has a few hundred nodes.
MAX_NODES = 200_000
# Whole numbers at or past 2^128 (a seed may use all 128 bits) fit no float, date or count.
MAX_INT = 2**128

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Key = tuple[object, ...]


@dataclass(frozen=True)
class Mark:
    file: Path
    line: int
    column: int


@dataclass
class Source:
    """A parsed YAML document: `data` plus the mark of each path's value and of each mapping key."""

    path: Path
    data: Any
    marks: dict[Key, Mark] = field(default_factory=dict)
    key_marks: dict[Key, Mark] = field(default_factory=dict)
    text: bytes = b""


def read(path: Path) -> Source:
    """Parse `path`, refusing oversized files, alias bombs, odd tags and non-mapping documents."""
    path = Path(path)
    raw = read_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(Problem(f"not UTF-8 text (byte {exc.start})", path)) from None
    return parse(text, path, raw)


def read_bytes(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them, or a ScenarioError.

    Only a regular file is read: a FIFO, a device (/dev/zero) or a socket is refused from its
    `fstat` before any byte is read (it is opened non-blocking, so a FIFO with no writer cannot
    hang us). The limit counts the bytes actually read, not the size the file system reports.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise ScenarioError(Problem("no such file", path)) from None
    except IsADirectoryError:
        raise ScenarioError(Problem("is a directory, not a scenario file", path)) from None
    except (OSError, ValueError) as exc:
        raise ScenarioError(Problem(f"cannot read: {_reason(exc)}", path)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ScenarioError(Problem("is a directory, not a scenario file", path))
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(
                Problem(f"is a {_file_kind(info.st_mode)}, not a regular file; scenarios are files", path)
            )
        chunks: list[bytes] = []
        got = 0
        while got <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        if got > limit:
            raise ScenarioError(
                Problem(f"file is over {limit // 2**20} MB; scenarios are limited to that size", path)
            )
        return b"".join(chunks)
    except OSError as exc:
        raise ScenarioError(Problem(f"cannot read: {_reason(exc)}", path)) from None
    finally:
        os.close(fd)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    if isinstance(exc, ValueError):
        return "the path contains a NUL character"
    return type(exc).__name__


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def parse(text: str, path: Path, raw: bytes | None = None) -> Source:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except RecursionError:
        raise ScenarioError(Problem("invalid YAML: lists or mappings are nested too deep", path)) from None
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError(_syntax_problem(exc, text, path)) from None
    except yaml.YAMLError as exc:
        what = " ".join(str(exc).replace('in "<unicode string>",', "at").split())
        raise ScenarioError(Problem(f"invalid YAML: {what}", path)) from None
    finally:
        loader.dispose()
    if node is None:
        raise ScenarioError(
            Problem("the file is empty; a scenario is a mapping with name, start and milestones", path)
        )
    if not isinstance(node, yaml.MappingNode):
        raise ScenarioError(
            Problem(
                "a scenario must be a mapping (key: value), not a " + _kind(node),
                path,
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        )
    source = Source(path, None, text=raw if raw is not None else text.encode())
    builder = _Builder(source, loader)
    try:
        source.data = builder.build(node, ())
    except RecursionError:
        raise ScenarioError(
            Problem("lists or mappings are nested too deep; refusing to read it", path)
        ) from None
    if builder.problems:
        raise ScenarioError(builder.problems)
    return source


_OPENERS = {"flow sequence": ("[", "]", "list"), "flow mapping": ("{", "}", "mapping")}


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, path: Path) -> Problem:
    """PyYAML's complaint in the words of what to change, placed where the fix goes."""
    problem = exc.problem or ""
    context = exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    tab = _tab_near(text, mark.line) if mark is not None else None
    if tab is not None:
        line, col = tab
        return Problem(
            "invalid YAML: a tab character; YAML indents with spaces only, so replace the tab with spaces",
            path,
            line,
            col,
        )
    if context.startswith("while parsing a flow ") and exc.context_mark is not None:
        opener, closer, noun = _OPENERS.get(context.removeprefix("while parsing a "), ("[", "]", "list"))
        # The fix belongs where the bracket opened; where PyYAML gave up may be lines further on.
        end = exc.problem_mark
        found = _char_at(text, end.line, end.column) if end is not None else ""
        if end is not None and found in "]}" and found and found != closer:
            what = (
                f"this {opener!r} is closed with {found!r} (line {end.line + 1}, column "
                f"{end.column + 1}); a {noun} ends with {closer!r}"
            )
        else:
            still = f" (by line {end.line + 1} it was still open)" if end is not None else ""
            what = f"this {opener!r} is never closed; end the {noun} with {closer!r}{still}"
        mark = exc.context_mark
    else:
        what = problem or context or "invalid YAML"
    if mark is None:
        return Problem(f"invalid YAML: {what}", path)
    return Problem(f"invalid YAML: {what}", path, mark.line + 1, mark.column + 1)


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    return lines[line][column : column + 1] if 0 <= line < len(lines) else ""


def _tab_near(text: str, index: int) -> tuple[int, int] | None:
    """(line, column) of a tab in the indentation of line `index` (0-based) or the line before,
    where PyYAML stops when a tab indents a line; None if neither has one."""
    lines = text.splitlines()
    for i in (index, index - 1):
        if 0 <= i < len(lines):
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip(" \t"))]
            if "\t" in indent:
                return i + 1, indent.index("\t") + 1
    return None


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "list"
    if isinstance(node, yaml.ScalarNode):
        return "single value"  # its text is not echoed: the file may not be a scenario at all
    return "mapping"


_SCALAR_TAGS = {
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_TEXT_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"}


class _Builder:
    def __init__(self, source: Source, loader: Any) -> None:
        self.source = source
        self.loader = loader
        self.nodes = 0
        self.open: set[int] = set()
        self.problems: list[Problem] = []

    def _mark(self, node: yaml.Node) -> Mark:
        return Mark(self.source.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def _fail(self, node: yaml.Node, message: str) -> None:
        m = self._mark(node)
        raise ScenarioError(Problem(message, m.file, m.line, m.column, _format_path(self._at)))

    def build(self, node: yaml.Node, at: Key) -> Any:
        self._at = at
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self._at = at[:1]
            self._fail(
                node,
                f"the document expands to more than {MAX_NODES} values "
                "(aliases nested too deep?); refusing to read it",
            )
        self.source.marks.setdefault(at, self._mark(node))
        if isinstance(node, yaml.ScalarNode):
            if node.tag in _TEXT_TAGS:
                return node.value
            if node.tag in _SCALAR_TAGS:
                try:
                    value = self.loader.construct_object(node, deep=True)
                except (yaml.YAMLError, ValueError, OverflowError, LookupError, TypeError):
                    # An explicit tag (`!!bool maybe`, `!!int ''`) reaches PyYAML's constructor
                    # with text its resolver would never have given that tag.
                    kind = node.tag.rsplit(":", 1)[-1]
                    shown = node.value if len(node.value) <= 40 else node.value[:40] + "..."
                    self._fail(node, f"{shown!r} is not a valid {kind} (tagged !!{kind})")
                if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= MAX_INT:
                    self._fail(
                        node,
                        f"number too large ({len(node.value.strip())} characters); whole numbers "
                        "here are below 2^128 (39 digits)",
                    )
                return value
            self._fail(node, f"unsupported YAML tag {node.tag}")
        if id(node) in self.open:
            self._fail(
                node, "this alias refers to a list or mapping that contains it (a self-referencing alias)"
            )
        self.open.add(id(node))
        try:
            return self._build_collection(node, at)
        finally:
            self.open.discard(id(node))

    def _build_collection(self, node: yaml.Node, at: Key) -> Any:
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*at, i)) for i, child in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            merged = 0
            if any(k.tag == "tag:yaml.org,2002:merge" for k, _ in node.value):
                explicit = sum(k.tag != "tag:yaml.org,2002:merge" for k, _ in node.value)
                try:
                    self.loader.flatten_mapping(node)
                except yaml.MarkedYAMLError as exc:
                    where = exc.problem_mark or node.start_mark
                    self.source.marks.setdefault(at, Mark(self.source.path, where.line + 1, where.column + 1))
                    self._at = at
                    raise ScenarioError(
                        Problem(
                            "a merge key (<<) takes an alias of a mapping, or a list of them, "
                            "e.g. <<: *defaults",
                            self.source.path,
                            where.line + 1,
                            where.column + 1,
                            _format_path(at),
                        )
                    ) from None
                except RecursionError:
                    self._fail(node, "this merge key (<<) refers to the mapping that contains it")
                merged = len(node.value) - explicit  # flatten puts merged pairs first
            out: dict[str, Any] = {}
            first: dict[str, yaml.Node] = {}
            first_index: dict[str, int] = {}
            for index, (key_node, value_node) in enumerate(node.value):
                self._at = at
                if not isinstance(key_node, yaml.ScalarNode):
                    self._fail(key_node, "a key must be a single word or value, not a list or mapping")
                key = key_node.value
                if key in first and merged and (index < merged or first_index[key] < merged):
                    del first[key]  # an explicit key overrides a merged one (YAML merge-key rule)
                if key in first:
                    m = self._mark(key_node)
                    self.problems.append(
                        Problem(
                            f"duplicate key {key!r} (first at line {first[key].start_mark.line + 1}); "
                            "each key may appear once",
                            m.file,
                            m.line,
                            m.column,
                            _format_path(at),
                        )
                    )
                    continue
                first[key] = key_node
                first_index[key] = index
                here = (*at, key)
                self.source.key_marks[here] = self._mark(key_node)
                out[key] = self.build(value_node, here)
            return out
        self._fail(node, "unsupported YAML node")
        return None
