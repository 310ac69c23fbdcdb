"""Percentiles of many samples on many bootstrap resamples, exactly, without sorting a resample.

A paired bootstrap of attribution needs the P50 and P80 of every coalition's finishes (2^k
samples of n iterations) on every resample (`counts[b, i]`: how often iteration i was drawn);
impacts need them of the run and of each variant.
Recomputing each by a partial sort costs resamples × 2^k × n reads: at 12 factors and 100,000
iterations, 200 × 4,096 × 100,000, a quarter of an hour. This gives the same numbers in a small
part of that.

The p-th percentile of a resample is its k-th smallest value (k = ceil(p n / 100), as everywhere
in lunarsim, `sim.percentiles`). In a resample the number of draws at or below the sample's own
j-th smallest value is Binomial(n, j / n), so the resample's k-th smallest is the sample's value
of rank k give or take a few sqrt(n p (1 - p)). For each sample and percentile take the window of
values between the ranks k ∓ `WINDOW_SDS` of those standard deviations, sorted, and the set of
values below it. For resample b:

- draws below the window: counts[b] summed over that set, for a batch of windows and every
  resample at once, as one matrix product (`_Product`);
- if that leaves the k-th draw inside the window, it is the window value where the running sum
  of counts[b] over the sorted window reaches k (`_inside`: block sums first, then one block);
- otherwise (rarely: about 6 in 100,000 on average at 4 standard deviations, in clusters, since
  one extreme resample is extreme for many similar samples) the resample is written out and
  partially sorted (`_whole`).

Every value is a value of the sample at the resample's k-th draw, so the results equal sorting
each resample (tested against that), ties and "never" (`inf`) included.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from itertools import islice

import numpy as np

from sim.percentiles import rank_of, values_at_ranks

WINDOW_SDS = 4.0  # half-width of a window, in standard deviations of the resample's rank
COLUMNS = 128  # windows (samples × percentiles) whose below-sets are multiplied at once
ROWS = 1 << 17  # iterations per slice of that product
KEEP_FLOAT = 50_000_000  # resamples × iterations up to which counts are kept as float32 for it
BLOCK = 32  # window places summed together before the running sum is taken within one block


def resample_counts(n: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """(resamples, n): how often each iteration is drawn in each resample of n draws with
    replacement, drawn as `rng.integers(0, n, size=n)` per resample (so the resamples are those
    of indexing with such draws), in the smallest unsigned type that holds them (filled one
    resample at a time: no iteration is drawn 65,536 times in a resample of any size run here)."""
    out = np.empty((resamples, n), dtype=np.uint16)
    for b in range(resamples):
        taken = np.bincount(rng.integers(0, n, size=n), minlength=n)
        if taken.max(initial=0) >= 2**16:
            out = out.astype(np.uint32)
        out[b] = taken
    return out.astype(np.uint8) if out.max(initial=0) < 2**8 else out


class Bootstrap:
    """Resamples of n iterations (`counts`, `resample_counts`), and the percentiles of samples of
    n values on each of them (`percentiles`); what every call shares is made once."""

    def __init__(self, counts: np.ndarray) -> None:
        resamples, n = counts.shape
        self.counts = counts
        self._by_iteration = np.zeros((n + 1, resamples), dtype=counts.dtype)  # a window's: one gather
        self._by_iteration[:n] = counts.T
        self._product = _Product(counts)

    @classmethod
    def drawn(cls, n: int, resamples: int, rng: np.random.Generator) -> Bootstrap:
        return cls(resample_counts(n, resamples, rng))

    def percentiles(
        self, samples: Iterable[np.ndarray], ps: Sequence[float]
    ) -> tuple[dict[float, np.ndarray], dict[float, np.ndarray]]:
        """For each p in `ps`: the p-th percentile (`sim.percentiles`: the k-th smallest, inf
        meaning never) of each sample (n values each), as a (samples,) array, and of each sample
        on each resample, as a (resamples, samples) array."""
        resamples, n = self.counts.shape
        ranks = [rank_of(p, n) - 1 for p in ps]
        own: dict[float, list[float]] = {p: [] for p in ps}
        out: dict[float, list[np.ndarray]] = {p: [] for p in ps}
        samples = iter(samples)
        while batch := list(islice(samples, max(1, COLUMNS // len(ps)))):
            windows = [w for x in batch for w in _windows(x, ranks)]
            below = self._product.below([w.below for w in windows])
            for c, w in enumerate(windows):
                value, found = _inside(w, self._by_iteration, below[:, c])
                for b in np.flatnonzero(~found):
                    value[b] = _whole(batch[c // len(ps)], self.counts[b], w.rank)
                own[ps[c % len(ps)]].append(w.own)
                out[ps[c % len(ps)]].append(value)
        empty = np.empty((resamples, 0))
        return (
            {p: np.array(own[p], dtype=float) for p in ps},
            {p: np.stack(out[p], axis=1) if out[p] else empty for p in ps},
        )


class _Window:
    """Sample x's values of ranks about `rank` (0-based), sorted (`index`, `value`), those below
    them (`below`), and x's own value of that rank (`own`)."""

    def __init__(self, x: np.ndarray, rank: int, ends: tuple[float, float, float]) -> None:
        lo, self.own, hi = ends
        self.rank = rank
        self.below = x < lo
        inside = np.flatnonzero((x >= lo) & (x <= hi))
        self.index = inside[np.argsort(x[inside], kind="stable")]
        self.value = x[self.index]


def _windows(x: np.ndarray, ranks: list[int]) -> list[_Window]:
    """One window per rank, of ranks rank ∓ `WINDOW_SDS` standard deviations of the resample's
    rank, their ends found by one set of partial sorts of x."""
    n = x.size
    ends = []
    for rank in ranks:
        q = (rank + 1) / n
        half = math.ceil(WINDOW_SDS * math.sqrt(n * q * (1 - q))) + 1
        ends.append((max(rank - half, 0), rank, min(rank + half, n - 1)))
    value = values_at_ranks(x, [r for three in ends for r in three])
    return [_Window(x, rank, (value[lo], value[rank], value[hi])) for rank, (lo, _, hi) in zip(ranks, ends)]


class _Product:
    """counts (resamples × iterations) times sets of iterations: counts[b] summed over each set,
    as float32 matrix products over slices of iterations (exact: every partial sum is an integer
    below 2^24; float64 for more iterations). The float counts are made once where they fit in
    `KEEP_FLOAT` values, else slice by slice for every product."""

    def __init__(self, counts: np.ndarray) -> None:
        self.counts = counts
        self.dtype = np.float32 if counts.shape[1] < 2**24 else np.float64
        self.slices = [slice(a, min(a + ROWS, counts.shape[1])) for a in range(0, counts.shape[1], ROWS)]
        small = counts.size <= KEEP_FLOAT
        self.kept = [counts[:, s].astype(self.dtype) for s in self.slices] if small else None

    def below(self, sets: list[np.ndarray]) -> np.ndarray:
        right = np.empty((len(sets), self.counts.shape[1]), dtype=self.dtype)
        for c, members in enumerate(sets):
            right[c] = members
        total = np.zeros((self.counts.shape[0], len(sets)))
        for i, part in enumerate(self.slices):
            left = self.kept[i] if self.kept is not None else self.counts[:, part].astype(self.dtype)
            total += left @ right[:, part].T
        return total.astype(np.int64)


def _inside(w: _Window, by_iteration: np.ndarray, below: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each resample's k-th smallest (rank `w.rank`, 0-based), given its draws below the window,
    and whether it falls in the window (where not, the value is a placeholder). The running sum
    of draws over the sorted window is taken over blocks of `BLOCK` places, then within the one
    block where it reaches k. `by_iteration`'s last row is all zeros: it pads the last block."""
    m = w.index.size
    blocks = -(-m // BLOCK)
    places = np.full(blocks * BLOCK, by_iteration.shape[0] - 1)
    places[:m] = w.index
    drawn = by_iteration[places].reshape(blocks, BLOCK, -1)  # (block, place in it, resample)
    need = w.rank + 1 - below  # draws wanted from the window, per resample
    running = np.cumsum(drawn.sum(axis=1, dtype=np.int64), axis=0)
    block = np.minimum((running < need).sum(axis=0), blocks - 1)
    columns = np.arange(drawn.shape[2])
    before = np.where(block > 0, running[np.maximum(block - 1, 0), columns], 0)
    within = np.cumsum(drawn[block, :, columns], axis=1, dtype=np.int64)  # (resample, place)
    at = block * BLOCK + (within + before[:, None] < need[:, None]).sum(axis=1)
    found = (need >= 1) & (at < m)
    return w.value[np.minimum(at, m - 1)], found


def _whole(x: np.ndarray, counts: np.ndarray, rank: int) -> float:
    """The k-th smallest (rank `rank`, 0-based) of x with each value repeated counts times."""
    return float(np.partition(np.repeat(x, counts), rank)[rank])
