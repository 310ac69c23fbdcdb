"""Sensitivity of a milestone's finish to the random inputs: rank correlations, criticality."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sim.analysis.results import RandomInput, Result

# Rank correlations are computed on at most this many iterations. The standard error of a
# Spearman coefficient from n pairs is at most about sqrt(1.06 / (n - 3)) on Fisher's z scale
# (Fieller, Hartley and Pearson 1957), 0.0033 at 100,000: below the 0.005 of the two decimals
# shown, while ranking 30 inputs over 10^7 iterations would take minutes.
SENSITIVITY_SAMPLE = 100_000
# Mixed into the run's seed so that the subsample's stream is not any chunk's stream.
_SAMPLE_TAG = 0x53454E53


def sample_rows(iterations: int, seed: int) -> np.ndarray | None:
    """The iterations sensitivity is computed on: None (all of them) up to `SENSITIVITY_SAMPLE`,
    else that many drawn without replacement, in iteration order, from a generator seeded by the
    run's seed alone, so the same run gives the same subsample whatever its workers or chunks."""
    if iterations <= SENSITIVITY_SAMPLE:
        return None
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, _SAMPLE_TAG])))
    return np.sort(rng.choice(iterations, size=SENSITIVITY_SAMPLE, replace=False))


def spearman_se(rho: float, n: int) -> float:
    """Approximate standard error of a Spearman coefficient `rho` from `n` pairs:
    (1 - rho^2) sqrt(1.06 / (n - 3)) (Fisher's z with Fieller, Hartley and Pearson's variance)."""
    return float("inf") if n <= 3 else (1.0 - rho * rho) * float(np.sqrt(1.06 / (n - 3)))


def ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of `x`, ties sharing the average of their ranks; `inf` ranks last (tied if many).

    NaN is not a valid input value and raises ValueError.
    """
    x = np.asarray(x, dtype=float)
    if np.isnan(x).any():
        raise ValueError("cannot rank values containing NaN")
    n = x.size
    # Ties get their group's average rank whatever their order, so the fastest sort will do.
    order = np.argsort(x)
    s = x[order]
    # Tie groups: runs of equal sorted values (inf == inf, so all nevers form one group).
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    ends = np.r_[starts[1:], n]
    average = (starts + ends + 1) / 2.0  # mean of the 1-based ranks starts+1 .. ends
    out = np.empty(n, dtype=float)
    out[order] = np.repeat(average, ends - starts)
    return out


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation (Pearson's r of the average ranks); 0.0 if either is constant."""
    return _pearson(_centred(ranks(x)), _centred(ranks(y)))


def tornado(result: Result, milestone: str) -> list[tuple[RandomInput, float]]:
    """The inputs ranked by |Spearman rank correlation| with `milestone`'s finish, largest first.

    "Never" (`inf`) ranks after every date; ties take average ranks; a constant input (or a
    constant finish) correlates 0.0. Iterations in which an input was not drawn (NaN, e.g. a
    duration the engine draws conditionally) are left out of that input's correlation only.
    Equal magnitudes keep the order of `result.inputs`. Raises KeyError for an unknown milestone.

    Runs of more than `SENSITIVITY_SAMPLE` iterations are ranked on a seeded subsample of that
    many (`sample_rows`); the coefficients then carry a standard error of at most 0.0033
    (`spearman_se`). Runs up to that size use every iteration. A streamed run kept those same
    rows, so its coefficients are those of the same run kept whole. Computed once per result.
    """
    return list(result.remembered(("tornado", milestone), lambda: _tornado(result, milestone)))


def _tornado(result: Result, milestone: str) -> list[tuple[RandomInput, float]]:
    finish = result.finish_of(milestone)
    rows = result.storage.ranked_rows(result.seed)
    if rows is not None:
        finish = finish[rows]
    all_ranks = _centred(ranks(finish))
    pairs: list[tuple[RandomInput, float]] = []
    for item in result.inputs:
        values = np.asarray(item.values if rows is None else item.values[rows], dtype=float)
        drawn = ~np.isnan(values)
        if drawn.all():
            pairs.append((item, _pearson(_centred(ranks(values)), all_ranks)))
        elif drawn.sum() < 2:
            pairs.append((item, 0.0))
        else:
            rx = _centred(ranks(values[drawn]))
            pairs.append((item, _pearson(rx, _centred(ranks(finish[drawn])))))
    # sorted() is stable, so equal |rho| keep the inputs' own order.
    return sorted(pairs, key=lambda pair: -abs(pair[1]))


def _centred(r: np.ndarray) -> np.ndarray:
    return r - r.mean() if r.size else r


def _pearson(cx: np.ndarray, cy: np.ndarray) -> float:
    """Pearson's r of two centred vectors; 0.0 when either is constant."""
    denominator = float(np.sqrt((cx * cx).sum() * (cy * cy).sum()))
    if denominator == 0.0:
        return 0.0
    return float(np.clip((cx * cy).sum() / denominator, -1.0, 1.0))


def criticality(result: Result, milestone: str) -> dict[str, float]:
    """Criticality index: how often each milestone lies on the path that drove `milestone`'s date.

    Among the iterations in which `milestone` completed, the share in which each milestone is
    reached by following the driving links back from `milestone` (which itself counts as 1.0).
    A milestone's start is driven by the predecessors whose finish plus lag came last: when
    several arrive at that same moment, every one of them is on the path (zero float is
    critical), whatever their order in `after`; when the start waited for a shared resource,
    by the milestone that gave it back (`result.driver`). Every milestone of the result appears,
    in plan order. If `milestone` never completed, the others are 0.0. Raises KeyError for an
    unknown milestone.
    """
    row = result.index(milestone)
    return dict(result.remembered(("criticality", milestone), lambda: _criticality(result, milestone, row)))


def _criticality(result: Result, milestone: str, row: int) -> dict[str, float]:
    links = result.compiled().links
    count, done = critical_counts(links, result.finish, result.driver, result.lag, row)
    n = max(done, 1)
    shares = {mid: float(c) / n for mid, c in zip(result.milestone_ids, count, strict=True)}
    shares[milestone] = 1.0
    return shares


def _backward_pass(
    on: np.ndarray, links: Any, finish: np.ndarray, driver: np.ndarray, lag: np.ndarray | None
) -> None:
    """Mark, last milestone first, the drivers of every milestone marked in `on` (in place)."""
    for r in range(finish.shape[0] - 1, -1, -1):
        reached = on[r]
        if not reached.any():
            continue
        d = driver[r]
        preds = [link.pred for link in links[r]]
        by_links = _tied_drivers(on, links[r], finish, lag, d, reached) if len(preds) > 1 else None
        single = reached & (d >= 0) if by_links is None else reached & ~by_links & (d >= 0)
        # Most single drivers are a predecessor: boolean masks per predecessor, and a scatter
        # only for the rest (a resource's releaser).
        for p in dict.fromkeys(preds):
            hit = single & (d == p)
            on[p] |= hit
            single &= ~hit
        if single.any():
            on[d[single], np.flatnonzero(single)] = True


def _tied_drivers(
    on: np.ndarray,
    row_links: Any,
    finish: np.ndarray,
    lag: np.ndarray | None,
    d: np.ndarray,
    reached: np.ndarray,
) -> np.ndarray:
    """The reached iterations whose recorded driver is one of the predecessors tied for the
    latest arrival; each tied predecessor of those is marked in `on` (in place)."""
    preds = [link.pred for link in row_links]
    arrival = [
        finish[link.pred] + lag[link.lag] if link.lag >= 0 and lag is not None else finish[link.pred]
        for link in row_links
    ]
    latest = arrival[0]
    for a in arrival[1:]:
        latest = np.maximum(latest, a)
    tied = [a == latest for a in arrival]
    # The recorded driver is a tied predecessor: the start was set by the links, so
    # every tied one drove it; otherwise a resource (or nothing) did.
    by_links = np.zeros(d.shape[0], dtype=bool)
    for p, t in zip(preds, tied, strict=True):
        by_links |= (d == p) & t
    by_links &= reached
    for p, t in zip(preds, tied, strict=True):
        on[p] |= by_links & t
    return by_links


def critical_counts(
    links: Any, finish: np.ndarray, driver: np.ndarray, lag: np.ndarray | None, row: int
) -> tuple[np.ndarray, int]:
    """For the iterations in which milestone `row` completed: how many had each milestone on the
    path that drove its date (see `criticality`), and how many there were. Integer counts, so
    those of consecutive chunks add up to the whole run's."""
    done = np.flatnonzero(np.isfinite(finish[row]))
    m_count = finish.shape[0]
    every = done.size == finish.shape[1]  # then views, not copies of the whole arrays
    finish = finish if every else finish[:, done]
    driver = np.asarray(driver if every else driver[:, done])
    lag = (lag if every else lag[:, done]) if lag is not None and lag.size else None
    on = np.zeros((m_count, done.size), dtype=bool)
    on[row] = True
    # Drivers precede in plan order except a resource's releaser, which may come later: then repeat
    # the backward pass until nothing changes (at most once per milestone); otherwise one pass
    # reaches every driver.
    later = bool((driver > np.arange(m_count)[:, None]).any()) if done.size else False
    for _ in range(m_count if later else 1):
        before = int(on.sum()) if later else 0
        _backward_pass(on, links, finish, driver, lag)
        if not later or int(on.sum()) == before:
            break
    return on.sum(axis=1).astype(np.int64), int(done.size)
