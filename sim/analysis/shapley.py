"""Shapley values: the one implementation behind attribution (`drivers.attribution`) and
`lunarsim explain`, and the headline statistics attribution splits.

A game of k players is given by `value(mask)`, the value of a coalition (bit j set: player j in
it) as a tuple of measures (several statistics split at once); a measure may be None in a
coalition (a percentile that is "never"), and is then None for every player.

- `exact`: every coalition, phi_j = sum over S without j of |S|! (k - |S| - 1)! / k! (v(S + j) - v(S)).
  These add up to v(all) - v(none): exactly when the values are `Fraction`s (explain), to float
  rounding when they are floats (attribution). Used up to about `EXACT_UP_TO` players (2^k values).
- `sampled`: above that, random orders of the players; each player's part is the mean of its
  marginal contributions, with a standard error from the spread over the orders (or over pairs of
  an order and its reverse, `antithetic`). In every order the contributions telescope to
  v(all) - v(none), so the estimates add up to the total exactly with `Fraction` values, and to
  float rounding with floats, whatever the number of orders.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from sim.doneby import done_by
from sim.percentiles import percentiles_of

STATS = ("mean_days", "p50_days", "p80_days", "p_target")
EXACT_UP_TO = 12  # players; above, sampled orders (2^12 coalitions already take seconds to read)

Values = Sequence[Any]  # one number (float or Fraction) or None per measure
Game = Callable[[int], Values]


def statistics(finish: np.ndarray, target: float | None) -> dict[str, float | None]:
    # Partial sorts: the same order statistics as percentile_of, in a fraction of a full sort.
    ps = percentiles_of(finish, (50, 80))
    return {**means(finish, target), "p50_days": ps[50], "p80_days": ps[80]}


def means(finish: np.ndarray, target: float | None) -> dict[str, float | None]:
    """The statistics that are means over iterations: of the finish over those that completed,
    and of being done by the target."""
    done = finish[np.isfinite(finish)]
    return {
        "mean_days": float(done.mean()) if done.size else None,
        "p_target": None if target is None else float(done_by(finish, target).mean()),
    }


def exact(value: Game, k: int) -> list[tuple[Any, ...]]:
    """Every player's Shapley value, one entry per measure (None where a coalition's value of
    that measure is None), from the values of all 2^k coalitions, asked for in a fixed order."""
    weight = [Fraction(math.factorial(s) * math.factorial(k - s - 1), math.factorial(k)) for s in range(k)]
    parts: list[list[Any]] = []
    broken: set[int] = set()
    for j in range(k):
        bit = 1 << j
        total: list[Any] = []
        for mask in range(2**k):
            if mask & bit:
                continue
            with_j, without = value(mask | bit), value(mask)
            total = total or [0] * len(with_j)
            for m, (a, b) in enumerate(zip(with_j, without)):
                if a is None or b is None:
                    broken.add(m)
                else:  # Fraction * float is float(weight) * float: the float weight's product
                    total[m] += weight[mask.bit_count()] * (a - b)
        parts.append(total)
    return [tuple(None if m in broken else x for m, x in enumerate(p)) for p in parts]


def shapley(values: list[float | None], k: int) -> list[float | None] | None:
    """Exact Shapley values of the k players of a one-measure game given by `values[mask]`; None
    if any value is None (a percentile that is "never" in some coalition)."""
    if any(v is None for v in values):
        return None
    return [p[0] for p in exact(lambda mask: (values[mask],), k)]


def sampled(
    value: Game, k: int, units: int, rng: np.random.Generator, *, antithetic: bool = False
) -> tuple[list[tuple[Any, ...]], list[tuple[float, ...]]]:
    """Shapley values estimated from `units` random orders of the players (with `antithetic`,
    `units` pairs of an order and its reverse), and their standard errors: the spread of the
    units' mean marginal contributions / sqrt(units), NaN from one unit. A measure that is None
    in a coalition walked is None (its error NaN) for every player. With `Fraction` values the
    means are exact fractions."""
    empty = value(0)
    measures = len(empty)
    per_unit = np.zeros((units, k, measures))
    sums: list[list[Any]] = [[0] * measures for _ in range(k)]
    broken: set[int] = set()
    for u in range(units):
        first = [int(x) for x in rng.permutation(k)]
        orders = (first, first[::-1]) if antithetic else (first,)
        for order in orders:
            before, prev = 0, empty
            for j in order:
                now = before | 1 << j
                cur = value(now)
                for m in range(measures):
                    a, b = cur[m], prev[m]
                    if a is None or b is None:
                        broken.add(m)
                        continue
                    step = a - b
                    sums[j][m] += step
                    per_unit[u, j, m] += float(step) / len(orders)
                before, prev = now, cur
    n = units * (2 if antithetic else 1)
    means: list[list[Any]] = [[None] * measures for _ in range(k)]
    ses: list[list[float]] = [[math.nan] * measures for _ in range(k)]
    for m in range(measures):
        if m in broken:
            continue
        column = np.ascontiguousarray(per_unit[:, :, m])  # (units, players)
        mean = column.mean(axis=0)
        for j in range(k):
            means[j][m] = sums[j][m] / n if isinstance(empty[m], Fraction) else float(mean[j])
            if units > 1:  # one player's units at a time: a constant column has an error of exactly 0
                ses[j][m] = float(np.std(per_unit[:, j, m], ddof=1) / math.sqrt(units))
    return [tuple(x) for x in means], [tuple(x) for x in ses]
