"""Checks the commands make before any work: outputs that would overwrite each other, option values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from sim.errors import Problem, ScenarioError


def distinct_outputs(loaded: list[tuple[Path, Any]], samples: Path | None, out: Path | None) -> None:
    """Refuse a run whose scenarios would write the same report or samples file (two files named
    `x.yaml` in different folders, `My Plan.yaml` and `my-plan.yaml`, or one file given twice):
    the later would silently replace the earlier. Names are compared without case, as a
    case-insensitive file system (macOS, Windows) would."""
    if len(loaded) < 2:
        return
    from sim.report.page import report_name

    problems = []
    for kind, name_of in (
        ("report", None if out is None else lambda path, sc: out / f"{report_name(sc)}.html"),
        (
            "samples",
            None
            if samples is None
            else lambda path, sc: samples.with_name(f"{samples.stem}-{path.stem}{samples.suffix}"),
        ),
    ):
        if name_of is None:
            continue
        seen: dict[str, Path] = {}
        for path, scenario in loaded:
            target = name_of(path, scenario)
            key = str(target).casefold()
            if key in seen:
                problems.append(
                    Problem(
                        f"would write the same {kind} file {target} as {seen[key]}; rename one "
                        "of them, or run them one at a time",
                        path,
                    )
                )
            else:
                seen[key] = path
    if problems:
        raise ScenarioError(problems)


def nonempty_path(value: str | Path) -> Path:
    """Parser of `--out`: an empty value is an error, not the current folder."""
    if isinstance(value, Path):  # the default
        return value
    if not value.strip():
        raise typer.BadParameter("the path is empty; give a folder (or . for this one)")
    return Path(value)
