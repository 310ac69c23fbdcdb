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
    """A path as given if it exists, else, for a bare name (no folder, no `.yaml`), the bundled
    scenario of that name. A missing path such as `my/ilrs-2022-announced.yaml` is "no such
    file", never a bundled scenario that happens to share its name."""
    path = Path(arg)
    if not arg.strip():
        raise ScenarioError("the scenario path is empty; give a file or a bundled scenario's name")
    try:
        if path.exists() or path.is_symlink():
            return path
    except (OSError, ValueError) as exc:
        raise ScenarioError(Problem(f"cannot read: {_reason(exc)}", path)) from None
    if is_bare_name(arg):
        for candidate, _ in bundled():
            if candidate.stem == arg:
                return candidate
        stems = [p.stem for p, _ in bundled()]
        hint = did_you_mean(arg, stems)
        message = "no such file, nor a bundled scenario of that name"
        raise ScenarioError(
            Problem(f"{message}{'; ' + hint if hint else ''} (bundled: {', '.join(stems)})", path)
        )
    raise ScenarioError(Problem("no such file", path))


def is_bare_name(arg: str) -> bool:
    """True for a name that can only mean a bundled scenario: no folder and no .yaml/.yml."""
    return "/" not in arg and "\\" not in arg and Path(arg).suffix.lower() not in (".yaml", ".yml")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return "the path contains a NUL character"
