"""Writing every iteration's finish days: one row per iteration, one column per milestone."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import TYPE_CHECKING

from sim.atomic import atomic_open

if TYPE_CHECKING:
    from sim.results import Result

FORMATS = (".csv", ".parquet")


def write_samples(result: Result, path: Path) -> Path:
    """Write `path` (.csv or .parquet) atomically: columns in file order, days since start,
    empty (CSV) or null (Parquet) for never. A Parquet file also records the scenario name,
    start, seed and iterations in its schema metadata. Raises ValueError for another suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    ids = list(result.scenario.milestones)
    rows = [result.index(m) for m in ids]
    if suffix == ".csv":
        with atomic_open(path, "w") as handle:
            out = csv.writer(handle, lineterminator="\n")
            out.writerow(["iteration", *ids])
            data = result.finish[rows].T
            for i, values in enumerate(data):
                out.writerow([i, *(repr(float(v)) if math.isfinite(v) else "" for v in values)])
        return path
    if suffix == ".parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ValueError("writing .parquet needs pyarrow: pip install 'lunarsim[parquet]'") from None
        import numpy as np

        columns = {"iteration": pa.array(np.arange(result.iterations))}
        for mid, row in zip(ids, rows):
            x = result.finish[row]
            columns[mid] = pa.array(x, mask=~np.isfinite(x))
        table = pa.table(columns).replace_schema_metadata(
            {
                "lunarsim.scenario": result.scenario.name,
                "lunarsim.start": result.scenario.start.isoformat(),
                "lunarsim.seed": str(result.seed),
                "lunarsim.iterations": str(result.iterations),
            }
        )
        with atomic_open(path, "wb") as handle:
            pq.write_table(table, handle)
        return path
    raise ValueError(f"--samples must end in .csv or .parquet, got {path.name!r}")
