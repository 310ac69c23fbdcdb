"""Gaussian-copula parameters that give the written Spearman rank correlation whatever the marginals.

A Gaussian copula with parameter r gives continuous marginals the rank correlation
(6/pi) asin(r/2). Marginals with atoms (discrete and empirical durations, risk occurrences) tie,
and ties shrink the rank correlation of the samples: two 50/50 two-point durations at r = 0.618
measure only 0.42 (2/pi asin 0.618). So each pair's r is found numerically so that the population Spearman
correlation of the samples, with ties taking their mid-ranks (what scipy.stats.spearmanr and
`sim.analysis.sensitivity.spearman` measure), is the rho written.

With U = Phi(Z), the mid-rank of a draw tends to G(U) = (F(x-) + F(x)) / 2 for the value x the
draw lands on: G(U) = U for a continuous marginal and a step function for one with atoms. The
population Spearman is Corr(G1(U1), G2(U2)); with G written as a sum of steps at the cumulative
probabilities, it is a sum of one-dimensional normal integrals, done here on a fine grid.
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from sim.scenario.distributions import Distribution

if TYPE_CHECKING:
    from sim.scenario.model import Correlation, Scenario

# A marginal is None (continuous) or the cumulative probabilities of its atoms, the last 1.
Steps = tuple[float, ...] | None

_GRID = np.linspace(-8.5, 8.5, 8501)  # spacing 0.002: resolves the conditional steps up to |r| = 0.9999
_EDGE = 0.9999


def spearman_of(r: float, a: Steps, b: Steps) -> float:
    """Population Spearman correlation (ties at mid-ranks) of marginals `a`, `b` under parameter r."""
    if a is None and b is None:
        return 6.0 / math.pi * math.asin(max(-1.0, min(1.0, r)) / 2.0)
    if abs(r) >= 1.0:
        return _spearman_extreme(math.copysign(1.0, r), a, b)
    return _cov(r, a, b) / math.sqrt(_var(a) * _var(b))


def solve(rho: float, a: Steps, b: Steps) -> float:
    """The copula parameter r whose samples have Spearman correlation `rho`.

    Raises ValueError (with the reachable range) when no r gives `rho` for these marginals: two
    marginals with different atoms cannot reach rank correlation 1.
    """
    return _solve(round(rho, 12), a, b)


@lru_cache(maxsize=4096)
def _solve(rho: float, a: Steps, b: Steps) -> float:
    if a is None and b is None:
        return 2.0 * math.sin(math.pi * rho / 6.0)
    if rho == 0.0 or _var(a) <= 0.0 or _var(b) <= 0.0:  # a constant has no ranks to correlate
        return 0.0
    top, bottom = spearman_of(1.0, a, b), spearman_of(-1.0, a, b)
    if not bottom - 1e-9 <= rho <= top + 1e-9:
        raise ValueError(
            f"rank correlation {rho:g} cannot be reached (these members allow {bottom:.3f} to {top:.3f})"
        )
    hi_edge, lo_edge = spearman_of(_EDGE, a, b), spearman_of(-_EDGE, a, b)
    # Between |r| = 0.9999 and 1 the rank correlation is close to linear in r.
    if rho >= hi_edge:
        return _EDGE + (1.0 - _EDGE) * (rho - hi_edge) / (top - hi_edge) if top > hi_edge else 1.0
    if rho <= lo_edge:
        return -_EDGE - (1.0 - _EDGE) * (lo_edge - rho) / (lo_edge - bottom) if lo_edge > bottom else -1.0
    lo, hi = -_EDGE, _EDGE
    # Bisection: the rank correlation increases with r; 40 halvings reach 2e-12 in r.
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if spearman_of(mid, a, b) < rho:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def matrix(rho: float, members: list[Steps]) -> np.ndarray:
    """The copula's correlation matrix for a group whose members all pairwise have `rho`.

    Raises ValueError for a pair that cannot reach `rho`.
    """
    from sim.scenario import fitcache

    k = len(members)
    # Marginals with atoms take a numerical solve per pair: kept on disk (sim.scenario.fitcache).
    slow = any(m is not None for m in members)
    entry = fitcache.key("copula", repr(round(rho, 12)), repr(members)) if slow else ""
    stored = fitcache.load(entry, ("r",)) if slow else None
    if stored is not None:
        r: np.ndarray = stored["r"]
        if r.shape == (k, k) and np.array_equal(r, r.T) and np.all(np.diag(r) == 1.0):
            return r
    out = np.eye(k)
    for i in range(k):
        for j in range(i + 1, k):
            out[i, j] = out[j, i] = solve(rho, members[i], members[j])
    if slow:
        fitcache.store(entry, {"r": out})
    return out


def members(durations: list[Distribution | None], probabilities: list[float]) -> list[Steps]:
    """The marginals of a correlation group: its durations', then its risk occurrences'.

    A risk occurs when its uniform is in the top `probability`: a two-point marginal.
    """
    out: list[Steps] = [d.steps if d is not None else (1.0,) for d in durations]
    out += [(1.0 - p, 1.0) if 0.0 < p < 1.0 else (1.0,) for p in probabilities]
    return out


def of_group(scenario: Scenario, group: Correlation) -> list[Steps]:
    """The marginals a group's copula is solved for: its base's where it keeps them, else its own."""
    if group.basis is not None:
        return list(group.basis)
    return members(
        [scenario.milestones[m].duration for m in group.milestones],
        [scenario.risks[r].probability for r in group.risks],
    )


def keep_base(scenario: Scenario, base: Scenario) -> Scenario:
    """`scenario` with each correlation group that `base` also has (the same members and rho)
    solved for the base's marginals, so that its latent normals are the base's: changing a
    member's distribution or probability re-draws that member alone (common random numbers)."""
    same = {(g.milestones, g.risks, g.rho): g for g in base.correlations}
    groups = []
    for g in scenario.correlations:
        was = same.get((g.milestones, g.risks, g.rho))
        groups.append(g if was is None else replace(g, basis=tuple(of_group(base, was))))
    return replace(scenario, correlations=tuple(groups))


def is_psd(m: np.ndarray) -> bool:
    return bool(np.linalg.eigvalsh(m).min() >= -1e-10)


def _mid_ranks(steps: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    cum = np.asarray(steps, dtype=float)
    prev = np.r_[0.0, cum[:-1]]
    return cum - prev, (prev + cum) / 2.0  # probabilities and mid-ranks of the atoms


def _var(s: Steps) -> float:
    if s is None:
        return 1.0 / 12.0
    p, g = _mid_ranks(s)
    return float(np.dot(p, g * g) - 0.25)


def _jumps(s: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Levels c_j (interior cumulative probabilities) and jumps of G there."""
    _, g = _mid_ranks(s)
    return np.asarray(s[:-1], dtype=float), np.diff(g)


def _cov(r: float, a: Steps, b: Steps) -> float:
    from scipy.special import ndtr, ndtri

    if a is None:  # put the marginal with atoms first
        a, b = b, a
    assert a is not None
    z = _GRID
    # m(z) = E[G_b(U_b) | Z_a = z] - 1/2.
    if b is None:
        m = ndtr(r * z / math.sqrt(2.0 - r * r)) - 0.5
    else:
        levels, jumps = _jumps(b)
        s = math.sqrt(1.0 - r * r)
        above = ndtr((r * z[None, :] - ndtri(levels)[:, None]) / s)  # P(U_b > c_j | Z_a = z)
        m = (jumps[:, None] * (above - (1.0 - levels[:, None]))).sum(0)
    f = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi) * m
    # tail(t) = integral of f from t to the grid's end (trapezoid), read at each level of a.
    pieces = 0.5 * (f[1:] + f[:-1]) * np.diff(z)
    tail = np.r_[np.cumsum(pieces[::-1])[::-1], 0.0]
    levels, jumps = _jumps(a)
    at = np.interp(ndtri(levels), z, tail)
    return float(np.dot(jumps, at))


def _spearman_extreme(sign: float, a: Steps, b: Steps) -> float:
    """Spearman at r = +1 (U_b = U_a) or -1 (U_b = 1 - U_a), exactly: G's are piecewise constant."""
    if a is None or b is None:
        # One continuous marginal: integrate G_a(u) G_b(u) exactly on each piece (u is linear there).
        steps = a if a is not None else b
        assert steps is not None
        _, g = _mid_ranks(steps)
        cum = np.asarray(steps)
        prev = np.r_[0.0, cum[:-1]]
        if sign > 0:
            e = float(np.dot(g, (cum**2 - prev**2) / 2.0))
        else:
            e = float(np.dot(g, ((1 - prev) ** 2 - (1 - cum) ** 2) / 2.0))
        return (e - 0.25) / math.sqrt(_var(a) * _var(b))
    ca, cb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    cuts = np.unique(np.r_[0.0, ca, cb, 1.0 - cb, 1.0].clip(0.0, 1.0))
    mids = 0.5 * (cuts[1:] + cuts[:-1])
    ga = _level(a, mids)
    gb = _level(b, mids if sign > 0 else 1.0 - mids)
    e = float(np.dot(np.diff(cuts), ga * gb))
    return (e - 0.25) / math.sqrt(_var(a) * _var(b))


def _level(s: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    """G(u): the mid-rank of the atom that level u falls on (u in (c_{k-1}, c_k])."""
    _, g = _mid_ranks(s)
    idx = np.searchsorted(np.asarray(s), u, side="left")
    return g[np.minimum(idx, len(s) - 1)]
