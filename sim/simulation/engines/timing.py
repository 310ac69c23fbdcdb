"""The timing rules both engines share, written once so that they agree to the last bit.

Each function works elementwise on NumPy arrays, the vector engine's whole chunks; the SimPy
engine calls `work` with Python floats and the others with one-element arrays, except that it
applies `complete`'s not_before rule to a float itself (simpy_engine._complete, the same
comparison) when the milestone has no window.
"""

from __future__ import annotations

import numpy as np

from sim.scenario.distributions import Distribution
from sim.scenario.model import Window

# A chunk's values for one milestone, or one number shared by every iteration.
Values = np.ndarray | float


def work(base: Values, scale: Values, add: Values) -> Values:
    """Effective duration: the drawn duration times every active scale, plus every active add."""
    if not isinstance(scale, np.ndarray) and not isinstance(add, np.ndarray) and scale == 1.0 and add == 0.0:
        return base  # x * 1 + 0 == x exactly, so skipping it changes no bit
    return base * scale + add


def late_after(status_end: float, not_before: float | None, window: Window | None) -> float:
    """The moment after which an attempt's work must end for it to complete after the status day.

    An attempt whose work ends at e completes at complete(e), which never decreases with e, so
    "completes on or after `status_end`" (the end of the as_of day) holds exactly when
    e > the returned value: the last window moment before `status_end` when `status_end` falls
    in a gap between windows, else just below `status_end` itself; -inf when every completion
    comes after the status day anyway (a not_before or a first window after it).
    """
    if not_before is not None and not_before >= status_end:
        return -np.inf
    if window is None:
        return float(np.nextafter(status_end, -np.inf))
    every, open_, first = window.every, window.open, window.first
    if status_end <= first:
        return -np.inf
    k = np.floor((status_end - first) / every)
    opening = first + k * every
    if opening < status_end <= opening + open_:
        return float(np.nextafter(status_end, -np.inf))
    # status_end lies in the gap after window k (or exactly on opening k + 1's edge, which the
    # floor puts in window k + 1: the gap is then the one before it).
    last = opening + open_ if status_end > opening else opening - every + open_
    if not_before is not None and not_before > last:
        return -np.inf
    return float(last)


def threshold_of_base(late: float, start: np.ndarray, scale: Values, add: Values) -> np.ndarray:
    """The base duration the first attempt's work must exceed to end after `late`.

    The work ends at start + base*scale + add. -inf (no condition) where the start is never or
    the scale is not positive.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        threshold = np.where(np.asarray(scale) > 0, (late - start - add) / scale, -np.inf)
    return np.where(np.isfinite(start), threshold, -np.inf)


def ppf_below(dist: Distribution, u: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Draws conditional on X <= t from uniforms u: ppf(u * F(t)), never above t."""
    with np.errstate(invalid="ignore"):
        x = dist.ppf(u * dist.cdf(t))
    return np.minimum(x, t)


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
