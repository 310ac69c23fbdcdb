"""Finding the bundled scenarios, in a source checkout or an installed copy."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from sim.errors import Problem, ScenarioError
from sim.messages import did_you_mean


def folders() -> list[Path]:
    here = Path(__file__).resolve().parent
    return [
        p
        for p in (here.parent / "scenarios", Path(sys.prefix) / "share" / "lunarsim" / "scenarios")
        if p.is_dir()
    ]


def bundled() -> list[tuple[Path, str]]:
    """(path, name) of every bundled scenario, by file name; the first folder found wins."""
    seen: dict[str, tuple[Path, str]] = {}
    for folder in folders():
        for path in sorted(folder.glob("*.yaml")):
            if path.stem in seen:
                continue
            try:
                doc = yaml.safe_load(path.read_text(encoding="utf-8"))
                name = str(doc.get("name", "")) if isinstance(doc, dict) else ""
            except (OSError, yaml.YAMLError):
                name = "(unreadable)"
            seen[path.stem] = (path, name)
    return sorted(seen.values())


def find(arg: str) -> Path:
    """A path as given if it exists, else the bundled scenario of that name."""
    path = Path(arg)
    if path.exists():
        return path
    stem = path.stem if path.suffix in (".yaml", ".yml") else arg
    for candidate, _ in bundled():
        if candidate.stem == stem:
            return candidate
    stems = [p.stem for p, _ in bundled()]
    hint = did_you_mean(stem, stems)
    message = "no such file, nor a bundled scenario of that name"
    raise ScenarioError(
        Problem(f"{message}{'; ' + hint if hint else ''} (bundled: {', '.join(stems)})", path)
    )
