"""The derived-numbers cache (sim.scenario.fitcache): same numbers bit for bit, safe when damaged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from sim.scenario import copula, fitcache, slipfit
from sim.scenario.reference import bundled_forecasts

CLASS = "russian-lunar"
PLANNED = 1044.0


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder; the in-process memos are cleared before and after."""
    monkeypatch.setenv(fitcache.ENV, str(tmp_path))
    slipfit._class.cache_clear()
    slipfit._table.cache_clear()
    copula._solve.cache_clear()
    yield tmp_path / "derived"
    slipfit._class.cache_clear()
    slipfit._table.cache_clear()


def _fresh(monkeypatch: pytest.MonkeyPatch) -> tuple[slipfit.ClassFit, tuple[np.ndarray, np.ndarray]]:
    monkeypatch.setenv(fitcache.ENV, "off")
    slipfit._class.cache_clear()
    slipfit._table.cache_clear()
    fit, table = slipfit.class_fit(CLASS), slipfit.class_table(CLASS, PLANNED)
    slipfit._class.cache_clear()
    slipfit._table.cache_clear()
    return fit, table


def _no_refit(monkeypatch: pytest.MonkeyPatch) -> None:
    def refit(*_: object) -> None:
        raise AssertionError("recomputed although the cache holds the result")

    monkeypatch.setattr(slipfit, "_population", refit)
    monkeypatch.setattr(slipfit.ClassFit, "cdf", refit)  # what a table is computed from


def _same_fit(a: slipfit.ClassFit, b: slipfit.ClassFit) -> None:
    for name in ("mu", "sigma", "beta", "weight"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert (a.n, a.flown, a.pooling) == (b.n, b.flown, b.pooling)
    longest = [a.longest_flown_days, b.longest_flown_days]
    assert longest[0] == longest[1] or np.isnan(longest).all()


def test_a_cached_fit_and_table_are_the_computed_ones_bit_for_bit(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fit, (x, cum) = _fresh(monkeypatch)
    monkeypatch.setenv(fitcache.ENV, str(cache.parent))
    slipfit.class_fit(CLASS), slipfit.class_table(CLASS, PLANNED)  # computes and stores
    assert len(list(cache.glob(f"*{fitcache.SUFFIX}"))) == 2
    assert not [p for p in cache.iterdir() if p.suffix != fitcache.SUFFIX]  # no temporary file left
    slipfit._class.cache_clear()
    slipfit._table.cache_clear()
    _no_refit(monkeypatch)
    _same_fit(slipfit.class_fit(CLASS), fit)
    x2, cum2 = slipfit.class_table(CLASS, PLANNED)
    assert np.array_equal(x2, x) and np.array_equal(cum2, cum)


@pytest.mark.parametrize("damage", ["truncate", "flipped", "garbage", "other-key", "nan-weights"])
def test_a_damaged_entry_is_ignored_and_rewritten(
    cache: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    fit, _ = _fresh(monkeypatch)
    monkeypatch.setenv(fitcache.ENV, str(cache.parent))
    slipfit.class_fit(CLASS)
    (entry,) = cache.glob(f"*{fitcache.SUFFIX}")
    good = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(good[: len(good) // 2])
    elif damage == "flipped":  # one byte of the payload changed: the checksum says so
        entry.write_bytes(good[:-3] + bytes([good[-3] ^ 1]) + good[-2:])
    elif damage == "garbage":
        entry.write_bytes(b"not a cache entry")
    else:
        arrays = fitcache.decode(good, entry.stem, slipfit._FIT_ARRAYS)
        assert arrays is not None
        if damage == "other-key":  # a whole entry stored under another entry's name
            entry.write_bytes(fitcache.encode("0" * 64, arrays))
        else:  # whole and ours, but not a posterior
            arrays["weight"] = np.full_like(arrays["weight"], np.nan)
            entry.write_bytes(fitcache.encode(entry.stem, arrays))
    read = fitcache.load(entry.stem, slipfit._FIT_ARRAYS)
    assert (read is None) == (damage != "nan-weights")
    slipfit._class.cache_clear()
    _same_fit(slipfit.class_fit(CLASS), fit)  # recomputed, not read
    assert entry.read_bytes() == good  # and stored again whole


def test_the_key_changes_with_the_format_and_the_record(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = bundled_forecasts()
    one = fitcache.key("class", slipfit._digest(rows), CLASS)
    assert one != fitcache.key("class", slipfit._digest(rows[:-1]), CLASS)
    assert one != fitcache.key("class", slipfit._digest(rows), "chinese-lunar")
    monkeypatch.setattr(fitcache, "FORMAT", fitcache.FORMAT + 1)
    fitcache._code_digest.cache_clear()
    try:
        assert one != fitcache.key("class", slipfit._digest(rows), CLASS)
    finally:
        monkeypatch.undo()
        fitcache._code_digest.cache_clear()
    assert one == fitcache.key("class", slipfit._digest(rows), CLASS)


def test_an_unwritable_cache_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    monkeypatch.setenv(fitcache.ENV, str(blocker))  # the folder would be a-file/derived
    fitcache.store("k", {"x": np.arange(3.0)})
    assert fitcache.load("k", ("x",)) is None
    assert blocker.read_text() == "in the way"


def test_off_stores_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(fitcache.ENV, "off")
    assert fitcache.folder() is None
    fitcache.store("k", {"x": np.arange(3.0)})
    assert fitcache.load("k", ("x",)) is None


def test_a_cached_copula_is_the_solved_one(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    members: list[copula.Steps] = [(0.3, 1.0), None, (0.5, 0.9, 1.0)]
    monkeypatch.setenv(fitcache.ENV, "off")
    solved = copula.matrix(0.6, members)
    monkeypatch.setenv(fitcache.ENV, str(cache.parent))
    assert np.array_equal(copula.matrix(0.6, members), solved)  # stores
    copula._solve.cache_clear()
    monkeypatch.setattr(copula, "solve", lambda *_: pytest.fail("solved again"))
    assert np.array_equal(copula.matrix(0.6, members), solved)
    (entry,) = cache.glob(f"*{fitcache.SUFFIX}")
    entry.write_bytes(b"damaged")
    monkeypatch.undo()
    monkeypatch.setenv(fitcache.ENV, str(cache.parent))
    assert np.array_equal(copula.matrix(0.6, members), solved)


def test_the_default_folder_follows_xdg_and_no_home_means_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(fitcache.ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert fitcache.folder() == tmp_path / "lunarsim" / "derived"
    monkeypatch.delenv("XDG_CACHE_HOME")

    def homeless() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(homeless))
    assert fitcache.folder() is None
    fitcache.store("k", {"x": np.arange(3.0)})  # nothing to do, and no error
    assert fitcache.load("k", ("x",)) is None
