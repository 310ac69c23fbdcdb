"""Tolerances for statistical tests, stated from the sample size: k standard errors at a fixed seed.

Every helper returns a standard error; `within` asserts the observed value lies within K of them
of the expected one and says both in the failure message.
"""

from __future__ import annotations

import math

K = 4.0  # standard errors: a correct model fails about once in 16,000 checks at a fixed seed


def within(observed: float, expected: float, se: float, k: float = K) -> None:
    """|observed - expected| <= k * se."""
    assert abs(observed - expected) <= k * se, f"{observed} vs {expected} (SE {se:.4g}, k {k})"


def proportion_se(p: float, n: int) -> float:
    """Standard error of a share estimated from n independent draws: sqrt(p (1 - p) / n)."""
    return math.sqrt(max(p * (1.0 - p), 0.0) / n)


def mean_se(variance: float, n: int) -> float:
    """Standard error of a sample mean: sqrt(variance / n)."""
    return math.sqrt(variance / n)
