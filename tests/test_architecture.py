"""The package's shape, read from its source: which modules may import what, and no import cycle.

Imports inside functions count as much as those at the top: a cycle hidden in a function is
still a cycle, and a heavy library imported late is still imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sim"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports() -> dict[str, set[str]]:
    """Every sim module's imported module names (absolute; `from sim import x` names `sim.x`)."""
    names = {module_name(p) for p in PACKAGE.rglob("*.py")}
    out: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        found: set[str] = set()
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                subs = {f"{node.module}.{a.name}" for a in node.names} & names
                # `from pkg import submodule` depends on the submodule; any other name, on pkg.
                if len(subs) < len(node.names):
                    found.add(node.module)
                found.update(subs)
        out[module_name(path)] = found
    return out


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node but those under `if TYPE_CHECKING:` (annotations only; never imported at run time)."""
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    return [node for node in ast.walk(tree) if id(node) not in skipped]


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def importers_outside(package: str, libraries: tuple[str, ...]) -> set[tuple[str, str]]:
    """(module, import) for every module outside `package` that imports one of `libraries`."""
    return {
        (mod, imp)
        for mod, found in imports().items()
        if not within(mod, package)
        for imp in found
        if any(within(imp, lib) for lib in libraries)
    }


def test_only_the_cli_imports_typer_or_rich() -> None:
    assert importers_outside("sim.cli", ("typer", "rich", "click")) == set()


def test_only_the_report_imports_plotly() -> None:
    assert importers_outside("sim.report", ("plotly",)) == set()


def test_no_import_cycle_among_sim_modules() -> None:
    graph = imports()
    # A package's __init__ is imported with any of its modules; an edge to `sim` itself (the
    # public facade, imported by nothing inside the package) would hide real cycles, so edges
    # go to modules only.
    edges = {
        mod: {imp for imp in found if imp in graph and imp != mod and imp != "sim"}
        for mod, found in graph.items()
    }
    cycles = []
    state: dict[str, int] = {}

    def visit(mod: str, path: list[str]) -> None:
        state[mod] = 1
        for nxt in sorted(edges[mod]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[mod] = 2

    for mod in sorted(edges):
        if mod not in state:
            visit(mod, [mod])
    assert cycles == []


# The stages in data-flow order: a stage imports from earlier stages only, never from a later one.
# Modules directly under sim/ (api, errors, atomic, ...) are shared and may be imported by any stage.
STAGES = ("sim.scenario", "sim.simulation", "sim.analysis", "sim.report", "sim.cli")


def later_stage_imports() -> set[tuple[str, str]]:
    """(module, import) for every import of a later stage's module by an earlier stage's module."""
    found = set()
    for mod, imps in imports().items():
        for rank, stage in enumerate(STAGES):
            if within(mod, stage):
                found |= {
                    (mod, imp) for imp in imps for later in STAGES[rank + 1 :] if within(imp, later)
                }
    return found


# The known exceptions, each for a reason: a streamed run reduces each chunk where it runs, with the
# analysis's own statistics (so that kept and streamed runs agree by construction); and
# `Result.write_report` is the notebook's one-call report, imported only when called.
LATER_STAGE_EXCEPTIONS = {
    ("sim.simulation.executor", "sim.analysis.sensitivity"),
    ("sim.simulation.executor", "sim.analysis.signposts"),
    ("sim.simulation.reduction", "sim.analysis.aggregates"),
    ("sim.analysis.results", "sim.report"),
}


def test_each_stage_imports_only_earlier_stages() -> None:
    assert later_stage_imports() == LATER_STAGE_EXCEPTIONS


def test_every_module_is_in_the_architecture_doc() -> None:
    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = {
        cell.strip("`")
        for line in doc.splitlines()
        if line.startswith("| `")
        for cell in line.split("|")[1].replace(",", " ").split()
    }
    missing = sorted(
        str(path.relative_to(PACKAGE.parent))
        for path in PACKAGE.rglob("*.py")
        if str(path.relative_to(PACKAGE.parent)) not in table
    )
    assert missing == []
    root = PACKAGE.parent
    assert sorted(name for name in table if name.startswith("sim/") and not (root / name).exists()) == []
