"""Percentiles of many samples on many bootstrap resamples (`sim.analysis.bootquantiles`): equal to
sorting every resample, with ties, "never" values, tiny samples and windows forced to miss."""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis import bootquantiles
from sim.analysis.bootquantiles import Bootstrap, resample_counts
from sim.percentiles import percentile_of


def by_sorting(samples: list[np.ndarray], counts: np.ndarray, p: float) -> np.ndarray:
    """The reference: each resample written out in full and its percentile taken."""
    values = [[percentile_of(np.repeat(x, c), p) for x in samples] for c in counts]
    return np.array([[np.inf if v is None else v for v in row] for row in values])


def make_samples(kind: str, n: int, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    if kind == "continuous":
        return [rng.gamma(2.0, 100.0, n) for _ in range(count)]
    if kind == "ties":  # a few distinct days, many iterations on each
        return [rng.integers(0, 6, n).astype(float) for _ in range(count)]
    out = [rng.normal(500, 80, n) for _ in range(count)]  # some futures never finish
    for x in out:
        x[rng.random(n) < rng.uniform(0.05, 0.4)] = np.inf
    return out


@pytest.mark.parametrize("kind", ["continuous", "ties", "never"])
@pytest.mark.parametrize("n", [1, 2, 7, 300, 4_000])
def test_equal_to_sorting_every_resample(kind, n):
    rng = np.random.default_rng(n)
    samples = make_samples(kind, n, 5, rng)
    counts = resample_counts(n, 40, np.random.default_rng(1))
    own, got = Bootstrap(counts).percentiles(samples, (50.0, 80.0))
    for p in (50.0, 80.0):
        assert np.array_equal(got[p], by_sorting(samples, counts, p)), p
        ones = np.ones((1, n), dtype=counts.dtype)  # each sample as it is
        assert np.array_equal(own[p], by_sorting(samples, ones, p)[0]), p


@pytest.mark.parametrize("kind", ["continuous", "ties", "never"])
def test_equal_to_sorting_when_the_windows_mostly_miss(monkeypatch, kind):
    """Windows far too narrow: most resamples' percentiles fall outside and are found by sorting
    that resample (`_whole`); the answer is the same."""
    calls = []
    whole = bootquantiles._whole
    monkeypatch.setattr(bootquantiles, "WINDOW_SDS", 0.05)
    monkeypatch.setattr(bootquantiles, "_whole", lambda *a: calls.append(1) or whole(*a))
    samples = make_samples(kind, 2_000, 3, np.random.default_rng(5))
    counts = resample_counts(2_000, 30, np.random.default_rng(2))
    _, got = Bootstrap(counts).percentiles(samples, (50.0, 80.0))
    assert calls  # the fallback was exercised
    for p in (50.0, 80.0):
        assert np.array_equal(got[p], by_sorting(samples, counts, p)), p


@pytest.mark.parametrize("keep", [True, False])
def test_many_samples_span_several_products(monkeypatch, keep):
    """More windows than one matrix product takes, and iterations over several slices of it, with
    the float counts kept or made slice by slice."""
    monkeypatch.setattr(bootquantiles, "COLUMNS", 4)
    monkeypatch.setattr(bootquantiles, "ROWS", 333)
    monkeypatch.setattr(bootquantiles, "KEEP_FLOAT", 10**9 if keep else 0)
    samples = make_samples("continuous", 1_000, 9, np.random.default_rng(8))
    counts = resample_counts(1_000, 20, np.random.default_rng(3))
    _, got = Bootstrap(counts).percentiles(iter(samples), (50.0, 80.0, 95.0))
    for p in (50.0, 80.0, 95.0):
        assert np.array_equal(got[p], by_sorting(samples, counts, p)), p


def test_resample_counts_are_the_resamples_of_drawn_indices():
    counts = resample_counts(50, 6, np.random.default_rng(11))
    rng = np.random.default_rng(11)
    for row in counts:
        assert np.array_equal(row, np.bincount(rng.integers(0, 50, size=50), minlength=50))
    assert counts.dtype == np.uint8 and np.all(counts.sum(axis=1) == 50)
