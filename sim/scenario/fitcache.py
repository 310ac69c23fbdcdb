"""A disk cache for numbers that are slow to derive from a scenario's inputs: the fitted slip
model's classes and inverse-CDF tables (sim.scenario.slipfit) and the copula parameters of
correlation groups whose members have atoms (sim.scenario.copula). Loading a scenario then does
not refit the record or re-solve the copula every time.

An entry is a set of float arrays stored under a key made of everything the numbers depend on
(for a fit: the record's rows, every field, the class and the plan value), the source of the
modules that compute them, the NumPy and SciPy versions and this format's number. A changed
record or a changed fit is therefore a new key, never a stale hit. Reading a cached entry gives
back the very arrays that were computed (float64, bit for bit), so results do not depend on the
cache.

Safety: entries are written whole or not at all (a temporary file renamed over the target,
sim.atomic); an entry that cannot be read, whose stored key or checksum differs, or whose arrays
are not what the caller expects is ignored and recomputed; a cache that cannot be written
(read-only folder, full disk) is skipped silently. The folder is `$LUNARSIM_CACHE/derived` if set
(`off` turns the cache off), else `$XDG_CACHE_HOME/lunarsim/derived`, else
`~/.cache/lunarsim/derived`; deleting it is always safe.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
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
SUFFIX = ".f64"
_MAGIC = b"lunarsim derived numbers\n"


def folder() -> Path | None:
    """The cache folder, or None when the cache is off."""
    env = os.environ.get(ENV)
    if env is not None:
        return None if env.strip().lower() in ("", "off") else Path(env) / "derived"
    base = os.environ.get("XDG_CACHE_HOME", "")
    try:
        root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    except (RuntimeError, KeyError):  # no home folder to be found: no cache
        return None
    return root / "lunarsim" / "derived"


@functools.cache
def _code_digest() -> str:
    """What the cached numbers depend on besides their inputs: this code and its libraries."""
    import importlib.util

    h = hashlib.sha256(f"format {FORMAT}; numpy {np.__version__}".encode())
    # SciPy's version file (version and git revision), read without importing SciPy.
    spec = importlib.util.find_spec("scipy")
    if spec is not None and spec.origin is not None:
        with contextlib.suppress(OSError):
            h.update((Path(spec.origin).parent / "version.py").read_bytes())
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


def encode(entry: str, arrays: Mapping[str, np.ndarray]) -> bytes:
    """An entry's file: a magic line, a JSON line (its key, each array's name and shape, and the
    SHA-256 of the payload), then the arrays' float64 values (little-endian), in that order."""
    values = {k: np.ascontiguousarray(v, dtype="<f8") for k, v in arrays.items()}
    payload = b"".join(v.tobytes() for v in values.values())
    header = {
        "key": entry,
        "arrays": [[k, list(v.shape)] for k, v in values.items()],
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    return _MAGIC + json.dumps(header).encode() + b"\n" + payload


def decode(data: bytes, entry: str, names: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """The arrays of an entry's file, or None unless it is whole, is `entry`'s and holds `names`."""
    if not data.startswith(_MAGIC):
        return None
    line, sep, payload = data[len(_MAGIC) :].partition(b"\n")
    try:
        header = json.loads(line)
        layout = [(str(k), tuple(int(d) for d in shape)) for k, shape in header["arrays"]]
        whole = header["key"] == entry and header["sha256"] == hashlib.sha256(payload).hexdigest()
    except (ValueError, KeyError, TypeError):
        return None
    if not sep or not whole or sorted(k for k, _ in layout) != sorted(names):
        return None
    out, at = {}, 0
    for name, shape in layout:
        size = 8 * math.prod(shape)
        if at + size > len(payload):
            return None
        out[name] = np.frombuffer(payload, dtype="<f8", count=size // 8, offset=at).astype(np.float64)
        out[name] = out[name].reshape(shape)
        at += size
    return out if at == len(payload) else None


def load(entry: str, names: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """The arrays stored under `entry` (a `key`), or None if absent, damaged or of another shape."""
    where = folder()
    if where is None:
        return None
    try:
        data = (where / f"{entry}{SUFFIX}").read_bytes()
    except OSError:  # absent or unreadable: recompute
        return None
    return decode(data, entry, names)


def store(entry: str, arrays: Mapping[str, np.ndarray]) -> None:
    """Store `arrays` (float64) under `entry`; any failure to write is ignored."""
    from sim.atomic import atomic_open
    from sim.errors import OutputError

    where = folder()
    if where is None:
        return
    data = encode(entry, arrays)
    try:
        where.mkdir(parents=True, exist_ok=True)
        with atomic_open(where / f"{entry}{SUFFIX}", "wb", encoding=None) as handle:
            handle.write(data)
        _prune(where)
    except (OSError, OutputError):
        return


def _prune(where: Path) -> None:
    entries = list(where.glob(f"*{SUFFIX}"))
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda p: p.stat().st_mtime)
    for old in entries[: len(entries) - MAX_ENTRIES]:
        with contextlib.suppress(OSError):
            old.unlink()
