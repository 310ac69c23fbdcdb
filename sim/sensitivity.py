"""Sensitivity of a milestone's finish to the random inputs: rank correlations, criticality."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.results import RandomInput, Result



def ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of `x`, ties sharing the average of their ranks; `inf` ranks last (tied if many).

    NaN is not a valid input value and raises ValueError.
    """
    x = np.asarray(x, dtype=float)
    if np.isnan(x).any():
        raise ValueError("cannot rank values containing NaN")
    n = x.size
    order = np.argsort(x, kind="stable")
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
    """
    finish = result.finish_of(milestone)
    all_ranks = _centred(ranks(finish))
    pairs: list[tuple[RandomInput, float]] = []
    for item in result.inputs:
        values = np.asarray(item.values, dtype=float)
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
    from sim.plan import compile_plan

    row = result.index(milestone)
    links = compile_plan(result.scenario).links
    done = np.flatnonzero(np.isfinite(result.finish[row]))
    m_count = len(result.milestone_ids)
    finish = result.finish[:, done]
    driver = np.asarray(result.driver[:, done], dtype=np.int64)
    lag = result.lag[:, done] if result.lag is not None and result.lag.size else None
    on = np.zeros((m_count, done.size), dtype=bool)
    on[row] = True
    # Drivers precede in plan order except a resource's releaser, which may come later: repeat
    # the backward pass until nothing changes (at most once per milestone).
    for _ in range(m_count):
        before = int(on.sum())
        for r in range(m_count - 1, -1, -1):
            reached = on[r]
            if not reached.any():
                continue
            d = driver[r]
            by_links = np.zeros(done.size, dtype=bool)
            if len(links[r]) > 1:
                arrival = np.stack(
                    [
                        finish[link.pred] + (lag[link.lag] if link.lag >= 0 and lag is not None else 0.0)
                        for link in links[r]
                    ]
                )
                tied = arrival == arrival.max(axis=0)
                preds = np.array([link.pred for link in links[r]])
                # The recorded driver is a tied predecessor: the start was set by the links, so
                # every tied one drove it; otherwise a resource (or nothing) did.
                by_links = ((preds[:, None] == d[None, :]) & tied).any(axis=0)
                for k, link in enumerate(links[r]):
                    on[link.pred] |= reached & by_links & tied[k]
            single = reached & ~by_links & (d >= 0)
            on[d[single], np.flatnonzero(single)] = True
        if int(on.sum()) == before:
            break
    n = max(done.size, 1)
    count = on.sum(axis=1)
    shares = {mid: float(c) / n for mid, c in zip(result.milestone_ids, count, strict=True)}
    shares[milestone] = 1.0
    return shares
