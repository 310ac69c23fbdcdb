"""The history store: every `lunarsim run` remembered in one SQLite file (standard library only).

One row per run: when (UTC), the scenario's name, path and SHA-256, the resolved scenario (the
document after `extends`, as JSON), as_of, iterations, seed, lunarsim's version, the headline and
every milestone's headline statistics (the summary JSON's `milestones` section, without the
dates, which follow from `start`). The file is in WAL mode and every write is one `BEGIN
IMMEDIATE` transaction, so concurrent runs queue for a moment rather than corrupt it. Its format
is `PRAGMA user_version`: a store written by a newer lunarsim, or a file that is not a lunarsim
history, is refused with a `HistoryError` (exit 2) and left as it is, never overwritten.

This module imports only the standard library, so `lunarsim history` starts fast.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.errors import Problem, ScenarioError

FORMAT = 1
ENV = "LUNARSIM_HISTORY"
_BUSY_SECONDS = 30.0
_SCHEMA = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    scenario_name TEXT NOT NULL,
    scenario_path TEXT,
    scenario_sha256 TEXT,
    resolved TEXT NOT NULL,
    start TEXT NOT NULL,
    as_of TEXT,
    iterations INTEGER NOT NULL,
    seed TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    headline TEXT NOT NULL,
    headline_stats TEXT NOT NULL,
    milestones TEXT NOT NULL
);
CREATE INDEX runs_by_name ON runs (scenario_name, id);
CREATE INDEX runs_by_path ON runs (scenario_path, id);
"""


class HistoryError(ScenarioError):
    """The history store cannot be used: damaged, of a newer format, or not writable. Exit 2."""


def default_path() -> Path:
    """`$XDG_DATA_HOME/lunarsim/history.sqlite`, else `~/.local/share/lunarsim/history.sqlite`."""
    base = os.environ.get("XDG_DATA_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "share"
    return root / "lunarsim" / "history.sqlite"


def store_path(option: Path | None = None) -> Path:
    """The store to use: `--history PATH`, else `LUNARSIM_HISTORY`, else `default_path()`."""
    if option is not None:
        return option
    env = os.environ.get(ENV, "")
    return Path(env) if env.strip() else default_path()


def _refuse(path: Path, why: str) -> HistoryError:
    return HistoryError(
        Problem(
            f"{why}; it was left as it is (move it away, choose another with --history, "
            "or pass --no-history)",
            path,
        )
    )


@contextmanager
def _connected(path: Path, *, create: bool) -> Iterator[sqlite3.Connection]:
    """An open, checked connection to the store at `path` (created when `create`), closed after."""
    if path.is_dir():
        raise _refuse(path, "the history store is a folder, not a file")
    if create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _refuse(path, f"cannot create the history store's folder ({exc.strerror or exc})") from None
    try:
        conn = sqlite3.connect(path, timeout=_BUSY_SECONDS, isolation_level=None)
    except sqlite3.Error as exc:
        raise _refuse(path, f"cannot open the history store ({exc})") from None
    try:
        try:
            _check(conn, path, create=create)
        except sqlite3.DatabaseError as exc:
            raise _refuse(path, f"the history store is damaged or not a lunarsim history ({exc})") from None
        yield conn
    finally:
        conn.close()


def _check(conn: sqlite3.Connection, path: Path, *, create: bool) -> None:
    """Refuse a newer or foreign store; give a new (empty) file the schema, once, under a lock."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > FORMAT:
        raise _refuse(
            path,
            f"the history store was written by a newer lunarsim (format {version}; this one reads {FORMAT})",
        )
    if version == FORMAT:
        return
    tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if tables:
        raise _refuse(path, "the file is an SQLite database but not a lunarsim history")
    if not create:
        return
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("BEGIN IMMEDIATE")
    try:  # another run may have created it between our check and the lock
        if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {FORMAT}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def check(path: Path) -> None:
    """Open (creating if needed) and check the store, so a bad one is refused before a run."""
    with _connected(path, create=True):
        pass


def _headline_stats(milestones: dict[str, Any]) -> dict[str, Any]:
    keep = ("title", "done_fraction", "mean_days", "sd_days", "percentiles_days", "target", "p_target")
    return {mid: {k: m.get(k) for k in keep} for mid, m in milestones.items()}


def record(path: Path, summary: dict[str, Any], resolved: Any, as_of: dt.date | None) -> None:
    """Add one run (its summary JSON document and resolved scenario document) to the store."""
    stats = _headline_stats(summary["milestones"])
    row = (
        dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        summary["scenario"]["name"],
        os.path.abspath(summary["scenario"]["path"]) if summary["scenario"]["path"] else None,
        summary["scenario"]["sha256"],
        json.dumps(resolved, default=str, ensure_ascii=False),
        summary["scenario"]["start"],
        as_of.isoformat() if as_of is not None else None,
        summary["run"]["iterations"],
        str(summary["run"]["seed"]),
        summary["tool"]["version"],
        summary["headline"],
        json.dumps(stats.get(summary["headline"], {}), ensure_ascii=False),
        json.dumps(stats, ensure_ascii=False),
    )
    with _connected(path, create=True) as conn:
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO runs (recorded_at, scenario_name, scenario_path, scenario_sha256, resolved, "
                "start, as_of, iterations, seed, tool_version, headline, headline_stats, milestones) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise _refuse(path, f"cannot record the run ({exc})") from None


def _date(start: str, days: Any) -> str | None:
    if days is None:
        return None
    return dt.date.fromordinal(_ordinal(start) + int(days // 1)).isoformat()


@functools.lru_cache(maxsize=64)
def _ordinal(start: str) -> int:
    return dt.date.fromisoformat(start).toordinal()


_LISTED_BASE = (
    "id, recorded_at, scenario_name, scenario_path, scenario_sha256, start, as_of, iterations, seed, "
    "tool_version, headline"
)
_LISTED = f"{_LISTED_BASE}, headline_stats"


# The headline's statistics the listing shows, read by SQLite's JSON functions (no JSON parsed
# in Python); `_entry` parses the column itself where SQLite was built without them.
_EXTRACTED = ", ".join(
    [f"json_extract(headline_stats, '$.percentiles_days.\"{p}\"') AS p{p}" for p in (10, 50, 80, 90)]
    + [
        "json_extract(headline_stats, '$.target') AS target",
        "json_extract(headline_stats, '$.p_target') AS p_target",
    ]
)


def _entry(row: sqlite3.Row) -> dict[str, Any]:
    if "headline_stats" in row.keys():  # noqa: SIM118 (a Row's `in` looks at its values)
        head = json.loads(row["headline_stats"])
        pct = head.get("percentiles_days") or {}
    else:
        head = {"target": row["target"], "p_target": row["p_target"]}
        pct = {str(p): row[f"p{p}"] for p in (10, 50, 80, 90)}
    return {
        "id": row["id"],
        "recorded_at": row["recorded_at"],
        "scenario": {
            "name": row["scenario_name"],
            "path": row["scenario_path"],
            "sha256": row["scenario_sha256"],
        },
        "as_of": row["as_of"],
        "iterations": row["iterations"],
        "seed": int(row["seed"]),
        "tool_version": row["tool_version"],
        "headline": {
            "milestone": row["headline"],
            "p10": _date(row["start"], pct.get("10")),
            "p50": _date(row["start"], pct.get("50")),
            "p80": _date(row["start"], pct.get("80")),
            "p90": _date(row["start"], pct.get("90")),
            "target": head.get("target"),
            "p_target": head.get("p_target"),
        },
    }


def runs(path: Path, scenario: str | None = None, scenario_path: str | None = None) -> list[dict[str, Any]]:
    """Every recorded run, newest first; only those of the scenario named `scenario` or read from
    `scenario_path` when given. A store that does not exist yet holds no runs (and is not created)."""
    if not path.exists():
        return []
    with _connected(path, create=False) as conn:
        conn.row_factory = sqlite3.Row
        if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
            return []
        where = ""
        args: tuple[str, ...] = ()
        if scenario is not None or scenario_path is not None:
            where = " WHERE scenario_name = ? OR scenario_path = ?"
            args = (scenario or "", scenario_path or "")
        try:
            try:
                query = f"SELECT {_LISTED_BASE}, {_EXTRACTED} FROM runs{where} ORDER BY id DESC"
                rows = conn.execute(query, args).fetchall()
            except sqlite3.OperationalError as exc:
                if "no such function" not in str(exc):
                    raise
                rows = conn.execute(f"SELECT {_LISTED} FROM runs{where} ORDER BY id DESC", args).fetchall()
            return [_entry(r) for r in rows]
        except (sqlite3.DatabaseError, ValueError, KeyError, TypeError) as exc:
            raise _refuse(path, f"the history store is damaged ({exc})") from None


def run_by_id(path: Path, run_id: int) -> dict[str, Any] | None:
    """One recorded run with its resolved scenario document (`resolved`) and every milestone's
    statistics (`milestones`), or None."""
    if not path.exists():
        return None
    with _connected(path, create=False) as conn:
        conn.row_factory = sqlite3.Row
        try:
            row = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                return None
            out = _entry(row)
            out["resolved"] = json.loads(row["resolved"])
            out["milestones"] = json.loads(row["milestones"])
            return out
        except (sqlite3.DatabaseError, ValueError, KeyError, TypeError) as exc:
            raise _refuse(path, f"the history store is damaged ({exc})") from None
