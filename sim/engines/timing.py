"""The timing rules both engines share, written once so that they agree to the last bit.

Each function works elementwise on NumPy arrays; the SimPy engine calls them with one-element
arrays, the vector engine with whole chunks.
"""

from __future__ import annotations

import numpy as np

from sim.distributions import Distribution
from sim.scenario import Window

# A chunk's values for one milestone, or one number shared by every iteration.
Values = np.ndarray | float


def work(base: Values, scale: Values, add: Values) -> Values:
    """Effective duration: the drawn duration times every active scale, plus every active add."""
    if not isinstance(scale, np.ndarray) and not isinstance(add, np.ndarray) and scale == 1.0 and add == 0.0:
        return base  # x * 1 + 0 == x exactly, so skipping it changes no bit
    return base * scale + add


def conditioned_base(
    dist: Distribution,
    u: np.ndarray,
    start: np.ndarray,
    as_of: float,
    scale: Values,
    add: Values,
) -> np.ndarray:
    """The drawn duration conditioned on the work ending after `as_of`.

    The work ends at start + base*scale + add, so it ends after as_of iff base > (as_of - start -
    add) / scale. Returns NaN where no duration satisfies that (the caller finishes at as_of).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        threshold = np.where(scale > 0, (as_of - start - add) / scale, -np.inf)
    threshold = np.where(np.isfinite(start), threshold, -np.inf)
    return dist.ppf_above(u, threshold)


def next_window(t: np.ndarray, window: Window) -> np.ndarray:
    """The first moment >= t inside a window [first + k*every, first + k*every + open], k >= 0."""
    every, open_, first = window.every, window.open, window.first
    finite = np.isfinite(t)
    safe = np.where(finite, t, first)
    k = np.maximum(np.floor((safe - first) / every), 0.0)
    opening = first + k * every
    inside = (safe >= opening) & (safe <= opening + open_)
    out = np.where(safe < first, first, np.where(inside, safe, opening + every))
    return np.where(finite, out, t)


def complete(end: np.ndarray, not_before: float | None, window: Window | None) -> np.ndarray:
    """When an attempt whose work ends at `end` completes: not before the date, inside a window."""
    if not_before is not None:
        end = np.maximum(end, not_before)
    if window is not None:
        end = next_window(end, window)
    return end
