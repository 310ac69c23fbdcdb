"""Writing every iteration's outcome: one row per iteration; finish days and dates, risks, decisions."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.atomic import atomic_open

if TYPE_CHECKING:
    from sim.analysis.results import Result

FORMATS = (".csv", ".parquet")

# Finish times are kept to a hundredth of a day (about a quarter of an hour): every input is in
# days or coarser, so further digits are arithmetic, not information. The date column is the
# calendar day itself, by the same rule as targets ("done by a day" = by its end).
DAY_DECIMALS = 2


def sample_columns(result: Result) -> dict[str, np.ndarray]:
    """The samples table as named columns, in this order:

    - `iteration`: 0 to iterations - 1;
    - `<milestone>`: finish in days since start, rounded to 0.01 day, NaN for never (one per
      milestone, in file order);
    - `date:<milestone>`: the calendar day of that finish (numpy datetime64[D], NaT for never);
    - `risk:<risk>`: whether the risk occurred in that iteration (bool);
    - `decision:<milestone>`: the id of the outcome the decision took (text).

    A streamed run (`Result.streamed`) keeps no per-iteration rows: use `write_samples`, which
    replays its chunks, or `sample_blocks`.
    """
    if result.streamed:
        raise ValueError("a streamed run keeps no per-iteration rows: write_samples replays its chunks")
    return _columns(result, result.finish, result.risk_occurred, result.outcome, 0)


def sample_blocks(result: Result) -> Iterator[dict[str, np.ndarray]]:
    """The samples table in consecutive blocks of rows (the columns of `sample_columns`): the
    whole table for a run kept whole; for a streamed run, one block per chunk, each chunk re-run
    from the run's seed (`sim.simulation.executor`), so that memory holds one chunk at a time and the rows
    are those the run simulated."""
    if not result.streamed:
        yield sample_columns(result)
        return
    from sim.simulation.executor import replay_chunks

    first = 0
    for chunk in replay_chunks(result.compiled(), result.engine, result.seed, result.iterations):
        yield _columns(result, chunk.finish, chunk.risk_occurred, chunk.outcome, first)
        first += chunk.finish.shape[1]


def _columns(
    result: Result,
    finish: np.ndarray,
    risk_occurred: dict[str, np.ndarray],
    outcome: dict[str, np.ndarray],
    first: int,
) -> dict[str, np.ndarray]:
    """`sample_columns` of the iterations numbered from `first` whose (M, n) finish days and
    risk and decision draws are given."""
    scenario = result.scenario
    ids = list(scenario.milestones)
    rows = {mid: finish[result.index(mid)] for mid in ids}
    start = np.datetime64(scenario.start.isoformat(), "D")
    columns: dict[str, np.ndarray] = {"iteration": np.arange(first, first + finish.shape[1])}
    columns.update({mid: np.round(rows[mid], DAY_DECIMALS) for mid in ids})
    for mid in ids:
        x = rows[mid]
        finite = np.isfinite(x)
        # The finish's day is the floor of its time (finish 10.5 is during day 10 after start).
        whole = np.where(finite, np.floor(np.where(finite, x, 0.0)), 0).astype("int64")
        dates = start + whole.astype("timedelta64[D]")
        columns[f"date:{mid}"] = np.where(finite, dates, np.datetime64("NaT"))
    for rid, occurred in risk_occurred.items():
        columns[f"risk:{rid}"] = np.asarray(occurred, dtype=bool)
    for mid, chosen in outcome.items():
        names = np.array([b.id for b in scenario.milestones[mid].branches], dtype=object)
        taken = np.asarray(chosen)
        # A conditional decision never made (-1) has no outcome: an empty cell.
        columns[f"decision:{mid}"] = np.asarray(np.where(taken >= 0, names[np.maximum(taken, 0)], None))
    return columns


def write_samples(result: Result, path: Path) -> Path:
    """Write `path` (.csv or .parquet) atomically with the columns of `sample_columns`, a block
    of rows at a time (`sample_blocks`; a Parquet row group per block). In CSV, never is an empty
    cell and a risk is `true`/`false`; in Parquet, never is null and dates are date32. A Parquet
    file also records the scenario name, start, seed and iterations in its schema metadata.
    Raises ValueError for another suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"--samples must end in .csv or .parquet, got {path.name!r}")
    if suffix == ".parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ValueError("writing .parquet needs pyarrow: pip install 'lunarsim[parquet]'") from None
    if suffix == ".csv":
        with atomic_open(path, "w") as handle:
            out = csv.writer(handle, lineterminator="\n")
            for k, columns in enumerate(sample_blocks(result)):
                if k == 0:
                    out.writerow(list(columns))
                out.writerows(zip(*[_csv_texts(values) for values in columns.values()]))
        return path
    metadata = {
        "lunarsim.scenario": result.scenario.name,
        "lunarsim.start": result.scenario.start.isoformat(),
        "lunarsim.seed": str(result.seed),
        "lunarsim.iterations": str(result.iterations),
    }
    with atomic_open(path, "wb") as handle:
        writer = None
        for columns in sample_blocks(result):
            table = pa.table(_arrow_arrays(pa, columns)).replace_schema_metadata(metadata)
            if writer is None:
                writer = pq.ParquetWriter(handle, table.schema)
            writer.write_table(table)
        assert writer is not None
        writer.close()
    return path


def _arrow_arrays(pa: Any, columns: dict[str, np.ndarray]) -> dict[str, Any]:
    arrays = {}
    for name, values in columns.items():
        if values.dtype.kind == "f":
            arrays[name] = pa.array(values, mask=~np.isfinite(values))
        elif values.dtype.kind == "M":
            arrays[name] = pa.array(values, mask=np.isnat(values)).cast(pa.date32())
        elif values.dtype == object:
            arrays[name] = pa.array(values.tolist(), type=pa.string()).dictionary_encode()
        else:
            arrays[name] = pa.array(values)
    return arrays


def _csv_texts(values: np.ndarray) -> list[Any]:
    """One column's cells as CSV text."""
    if values.dtype.kind == "f":
        return ["" if not np.isfinite(v) else f"{v:.{DAY_DECIMALS}f}".rstrip("0").rstrip(".") for v in values]
    if values.dtype.kind == "M":
        return ["" if np.isnat(v) else str(v) for v in values]
    if values.dtype.kind == "b":
        return ["true" if v else "false" for v in values]
    # None: no value (a conditional decision not made in that iteration), an empty cell.
    return ["" if v is None else str(v) for v in values.tolist()]
