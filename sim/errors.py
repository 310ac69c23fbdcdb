"""The one error type for bad scenarios: every problem found, each with its file, line and key path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file, located as precisely as the file allows."""

    message: str
    file: Path | None = None
    line: int | None = None
    column: int | None = None
    path: str = ""

    def __str__(self) -> str:
        where = str(self.file) if self.file is not None else "<scenario>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario (or a command-line argument about it) is invalid. Exit status 2.

    `problems` lists every problem found, in file order.
    """

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def format_path(loc: tuple[object, ...]) -> str:
    """`("milestones", "a", "after", 0)` -> `milestones.a.after[0]`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class OutputError(ScenarioError):
    """An output path cannot be written (read-only, missing folder, a folder in the way, a full
    disk). Exit status 2, like bad input: the path is the user's to fix."""
