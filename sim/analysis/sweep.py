"""Sweeps: one scenario run over a grid of changed values, every variant at the same seed."""

from __future__ import annotations

import copy
import itertools
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sim.analysis.records import MilestoneRecord
from sim.analysis.sweeptable import STAT_COLUMNS, write_csv
from sim.errors import Problem, ScenarioError
from sim.messages import Suggestions
from sim.scenario import yamlsource
from sim.scenario.copula import keep_base
from sim.scenario.extends import read_chain, read_levels
from sim.scenario.loader import from_levels, from_source
from sim.scenario.model import Scenario
from sim.scenario.yamlsource import Source

if TYPE_CHECKING:
    from sim.analysis.results import Result
    from sim.simulation.executor import Submitter

FORMATS = (".csv", ".parquet")
# Keys a `--set` may not vary, and why: every variant runs on the same draws from one file.
FIXED_FOR_ALL = {
    "iterations": "give it with -n",
    "seed": "give it with --seed; the variants share it so that they differ only where the values act",
    "extends": "every variant is the file as it is, base included",
    "remove": "every variant is the file as it is, base included",
    "format": "the file's format",
}


@dataclass(frozen=True)
class Setting:
    """One `--set KEY.PATH=V1,V2,…`: where in the file, and the values to try there."""

    text: str
    key: tuple[str, ...]
    values: tuple[Any, ...]

    @property
    def column(self) -> str:
        return ".".join(self.key)


@dataclass(frozen=True)
class Variant:
    """One point of the grid: its number (from 1), the value of each setting, the scenario."""

    number: int
    values: tuple[Any, ...]
    scenario: Scenario


def parse_setting(text: str) -> Setting:
    """Parse `KEY.PATH=V1,V2,…`. Values are YAML flow values (`0.3`, `2y`, `{uniform: [1y, 2y]}`)
    separated by commas, read by the YAML parser so that commas inside brackets stay put.
    Raises ScenarioError naming the `--set` when it is malformed."""
    key_text, sep, values_text = text.partition("=")
    key = tuple(key_text.strip().split("."))
    if not sep or not key_text.strip() or any(not part for part in key):
        example = "risks.sanctions.probability=0.2,0.4"
        raise ScenarioError(f"--set {text!r}: expected KEY.PATH=V1,V2,… (for example {example})")
    if key[0] in FIXED_FOR_ALL:
        raise ScenarioError(
            f"--set {text!r}: {key[0]} is the same in every variant of a sweep "
            f"({FIXED_FOR_ALL[key[0]]}); vary another key"
        )
    # Read as a scenario file is read (dates stay text until validated, explicit tags checked,
    # aliases bounded), so that a value means here what it means in the file.
    try:
        document = yamlsource.parse(f"values: [{values_text}]\n", Path("--set")).data
    except ScenarioError as exc:
        what = exc.problems[0].message.removeprefix("invalid YAML: ")
        raise ScenarioError(f"--set {text!r}: cannot read the values: {what}") from None
    values = document.get("values") if set(document) == {"values"} else None
    if not isinstance(values, list) or not values or any(v is None for v in values):
        raise ScenarioError(f"--set {text!r}: give one or more values after '=', separated by commas")
    return Setting(text, key, tuple(values))


def variants(path: str | Path, settings: Sequence[Setting]) -> list[Variant]:
    """Every point of the grid (the product of the settings' values, the last setting varying
    fastest), each checked and resolved like the file itself. Raises ScenarioError listing every
    problem, each located in the file and naming the `--set` that caused it."""
    levels = read_levels(Path(path))
    source, chain = levels[0]
    base = _base(levels)
    out: list[Variant] = []
    problems: list[Problem] = []
    for number, values in enumerate(itertools.product(*(s.values for s in settings)), start=1):
        data = copy.deepcopy(source.data)
        for setting, value in zip(settings, values):
            problem = _assign(data, setting, value, source)
            if problem is not None:
                problems.append(problem)
        if problems:
            continue
        changed = Source(source.path, data, source.marks, source.key_marks, source.text)
        try:
            scenario = from_source(changed, chain)
            out.append(Variant(number, values, scenario if base is None else keep_base(scenario, base)))
        except ScenarioError as exc:
            shown = ", ".join(f"{s.column}={_show(v)}" for s, v in zip(settings, values))
            problems.extend(
                Problem(f"{p.message} (with --set {shown})", p.file, p.line, p.column, p.path)
                for p in exc.problems
            )
    if problems:
        unique = list(dict.fromkeys(problems))
        raise ScenarioError(unique)
    return out


def _base(levels: list[tuple[Source, list[Path]]]) -> Scenario | None:
    """The file as written, whose correlation copulas every variant keeps (common random
    numbers: a swept member is re-drawn alone); None without correlations or when the file
    alone is not a valid scenario (each variant's own problems are then reported)."""
    if not levels[0][0].data.get("correlations"):
        return None
    try:
        return from_levels(levels)
    except ScenarioError:
        return None


def _assign(data: Any, setting: Setting, value: Any, source: Source) -> Problem | None:
    """Set `value` at the setting's key path; a Problem if its parent is not in the file."""
    node = data
    for depth, part in enumerate(setting.key[:-1]):
        if not isinstance(node, dict) or part not in node:
            where = ".".join(setting.key[: depth + 1])
            close = Suggestions().closest(part, [str(k) for k in node]) if isinstance(node, dict) else None
            hint = "" if close is None else f"; did you mean {'.'.join([*setting.key[:depth], close])!r}?"
            return Problem(f"--set {setting.text}: there is no {where!r} in the scenario{hint}", source.path)
        node = node[part]
    if not isinstance(node, dict):
        return Problem(f"--set {setting.text}: {'.'.join(setting.key[:-1])!r} is not a mapping", source.path)
    node[setting.key[-1]] = value
    return None


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def sweep(
    path: str | Path,
    settings: Sequence[Setting],
    iterations: int | None = None,
    seed: int | None = None,
    *,
    workers: int | None = None,
    executor: Submitter | None = None,
) -> list[dict[str, Any]]:
    """Run every variant of the grid with the same seed and return the table's records.

    One record per variant and milestone (file order): `variant`, one column per setting named by
    its key path, then `STAT_COLUMNS`; the `p*_days` count days from the file's own `start`, also
    for a variant that moves `start`. `seed` defaults to the scenario's (0 if it has none), so
    every variant shares one set of draws (common random numbers) and differs only where the
    settings act. Variants run in a process pool of `workers` (None: all cores), or through
    `executor` (a `dask.distributed.Client`, or any `submit`) when given (`map_chunks`).
    """
    grid = variants(path, settings)
    first = grid[0].scenario
    from sim.api import iterations_for, seed_for

    n = iterations_for(first, iterations)
    s = seed_for(first, seed, repeatable=True)
    from sim.simulation.executor import map_chunks

    count = min(workers or os.cpu_count() or 1, len(grid))
    with map_chunks(_run, [(v.scenario, n, s) for v in grid], workers=count, executor=executor) as done:
        results = list(done)
    origin = from_source(*read_chain(Path(path))).start
    rows: list[dict[str, Any]] = []
    for variant, rows_of in zip(grid, results):
        keys = {setting.column: _cell(value) for setting, value in zip(settings, variant.values)}
        shift = (variant.scenario.start - origin).days
        rows.extend({"variant": variant.number, **keys, **_from_origin(row, shift)} for row in rows_of)
    return rows


def _from_origin(row: dict[str, Any], shift: int) -> dict[str, Any]:
    """A variant's statistics with its days counted from the file's `start`, not its own, so
    that a variant whose `start` is swept lands on its own dates on one calendar with the rest."""
    if shift == 0:
        return row
    return {
        k: v + shift if k.endswith("_days") and isinstance(v, (int, float)) else v for k, v in row.items()
    }


def _run(scenario: Scenario, iterations: int, seed: int) -> list[dict[str, Any]]:
    """One variant's statistics per milestone (run in a worker: only the records come back)."""
    from sim.api import simulate

    return _stats(simulate(scenario, iterations, seed, workers=1))


def _stats(result: Result) -> list[dict[str, Any]]:
    """A variant's records, in file order (`sim.analysis.records`: the statistics of `Result.table()`)."""
    return [MilestoneRecord.of(result, mid).sweep_row() for mid in result.scenario.milestones]


def _cell(value: Any) -> Any:
    return value if isinstance(value, (int, float, str, bool)) else _show(value)


def write_table(rows: list[dict[str, Any]], path: str | Path) -> Path | None:
    """Write the records as CSV or Parquet (by suffix), atomically; `-` writes CSV to standard
    output (and returns None). Empty cells (CSV) or nulls (Parquet) mean "never" or "no target".
    Raises ValueError for another suffix."""
    from sim.atomic import atomic_open

    columns = list(rows[0]) if rows else ["variant", *STAT_COLUMNS]
    if str(path) == "-":
        write_csv(rows, columns, sys.stdout)
        sys.stdout.flush()
        return None
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with atomic_open(path, "w") as handle:
            write_csv(rows, columns, handle)
        return path
    if suffix == ".parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ValueError("writing .parquet needs pyarrow: pip install 'lunarsim[parquet]'") from None
        table = pa.Table.from_pylist(rows)
        with atomic_open(path, "wb") as handle:
            pq.write_table(table, handle)
        return path
    raise ValueError(f"--table must end in .csv or .parquet (or be -), got {path.name!r}")
