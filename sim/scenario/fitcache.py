"""A disk cache for numbers that are slow to derive from a scenario's inputs: the fitted slip
model's classes and inverse-CDF tables (sim.scenario.slipfit) and the copula parameters of
correlation groups whose members have atoms (sim.scenario.copula). Loading a scenario then does
not refit the record or re-solve the copula every time.

An entry is a set of float arrays stored under a key made of everything the numbers depend on
(for a fit: the record's rows, every field, the class and the plan value), the source of the modules that
compute them, the NumPy and SciPy versions and this format's number. A changed record or a
changed fit is therefore a new key, never a stale hit. Reading a cached entry gives back the very
arrays that were computed (float64, bit for bit), so results do not depend on the cache.

Safety: entries are written whole or not at all (a temporary file renamed over the target,
sim.atomic); an entry that cannot be read, whose stored key differs, or whose arrays are not
what the caller expects is ignored and recomputed; a cache that cannot be written (read-only
folder, full disk) is skipped silently. The folder is `$LUNARSIM_CACHE` if set (`off` turns the
cache off), else `$XDG_CACHE_HOME/lunarsim`, else `~/.cache/lunarsim`; deleting it is always safe.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

ENV = "LUNARSIM_CACHE"
# Bump when the layout of an entry changes.
FORMAT = 1
# Entries kept at most; the oldest are removed when a store goes past it.
MAX_ENTRIES = 2000
_SOURCES = ("slipfit.py", "reference.py", "copula.py", "fitcache.py")


def folder() -> Path | None:
    """The cache folder, or None when the cache is off."""
    env = os.environ.get(ENV)
    if env is not None:
        return None if env.strip().lower() in ("", "off") else Path(env) / "derived"
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "lunarsim" / "derived"


@functools.cache
def _code_digest() -> str:
    """What the cached numbers depend on besides their inputs: this code and its libraries."""
    from importlib import metadata

    h = hashlib.sha256(f"format {FORMAT}; numpy {np.__version__}".encode())
    with contextlib.suppress(metadata.PackageNotFoundError):
        h.update(f"; scipy {metadata.version('scipy')}".encode())
    here = Path(__file__).parent
    for name in _SOURCES:
        h.update((here / name).read_bytes())
    return h.hexdigest()


def key(*parts: str) -> str:
    """A cache key from the parts of an entry's inputs (text, joined unambiguously)."""
    h = hashlib.sha256(_code_digest().encode())
    for part in parts:
        h.update(f"{len(part)}:{part};".encode())
    return h.hexdigest()


def load(entry: str, names: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """The arrays stored under `entry` (a `key`), or None if absent, damaged or of another shape."""
    where = folder()
    if where is None:
        return None
    try:
        data = (where / f"{entry}.npz").read_bytes()
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            if str(stored["key"]) != entry or set(stored.files) != {"key", *names}:
                return None
            out = {name: np.asarray(stored[name]) for name in names}
    except Exception:  # absent, truncated, not a zip, not our layout: recompute
        return None
    if any(a.dtype != np.float64 for a in out.values()):
        return None
    return out


def store(entry: str, arrays: Mapping[str, np.ndarray]) -> None:
    """Store `arrays` (float64) under `entry`; any failure to write is ignored."""
    from sim.atomic import atomic_open
    from sim.errors import OutputError

    where = folder()
    if where is None:
        return
    buffer = io.BytesIO()
    payload: dict[str, np.ndarray] = {k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()}
    np.savez(buffer, key=np.array(entry), **payload)  # type: ignore[arg-type]
    try:
        where.mkdir(parents=True, exist_ok=True)
        with atomic_open(where / f"{entry}.npz", "wb", encoding=None) as handle:
            handle.write(buffer.getvalue())
        _prune(where)
    except (OSError, OutputError):
        return


def _prune(where: Path) -> None:
    entries = list(where.glob("*.npz"))
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda p: p.stat().st_mtime)
    for old in entries[: len(entries) - MAX_ENTRIES]:
        with contextlib.suppress(OSError):
            old.unlink()
