"""Reading one YAML file into plain data, keeping the line and column of every key and value."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError

MAX_BYTES = 10 * 1024 * 1024
# Bounds the work of expanding aliases: a "billion laughs" file reaches it in microseconds,
# while a real scenario has a few hundred nodes.
MAX_NODES = 200_000

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
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ScenarioError(Problem(f"file is {size / 1e6:.1f} MB; scenarios are limited to 10 MB", path))
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(Problem("no such file", path)) from None
    except IsADirectoryError:
        raise ScenarioError(Problem("is a directory, not a scenario file", path)) from None
    except OSError as exc:
        raise ScenarioError(Problem(f"cannot read: {exc.strerror or exc}", path)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(Problem(f"not UTF-8 text (byte {exc.start})", path)) from None
    return parse(text, path, raw)


def parse(text: str, path: Path, raw: bytes | None = None) -> Source:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise ScenarioError(Problem(f"invalid YAML: {what}", path, line, col)) from None
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
    source.data = builder.build(node, ())
    if builder.problems:
        raise ScenarioError(builder.problems)
    return source


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "list"
    if isinstance(node, yaml.ScalarNode):
        return f"single value ({node.value[:40]!r})"
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
        self.problems: list[Problem] = []

    def _mark(self, node: yaml.Node) -> Mark:
        return Mark(self.source.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def _fail(self, node: yaml.Node, message: str) -> None:
        m = self._mark(node)
        from sim.errors import format_path

        raise ScenarioError(Problem(message, m.file, m.line, m.column, format_path(self._at)))

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
                return self.loader.construct_object(node, deep=True)
            self._fail(node, f"unsupported YAML tag {node.tag}")
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*at, i)) for i, child in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            merged = 0
            if any(k.tag == "tag:yaml.org,2002:merge" for k, _ in node.value):
                explicit = sum(k.tag != "tag:yaml.org,2002:merge" for k, _ in node.value)
                self.loader.flatten_mapping(node)
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
                    from sim.errors import format_path

                    self.problems.append(
                        Problem(
                            f"duplicate key {key!r} (first at line {first[key].start_mark.line + 1}); "
                            "each key may appear once",
                            m.file,
                            m.line,
                            m.column,
                            format_path(at),
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
