"""Merge bias: the delay at a milestone with several predecessors that no single path shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.percentiles import percentiles_of

if TYPE_CHECKING:
    from sim.analysis.results import Result

LEVELS: tuple[int, ...] = (50, 80)


def merge_bias(
    result: Result, milestone: str, levels: tuple[int, ...] = LEVELS
) -> dict[str, float | None] | None:
    """For a milestone with two or more distinct predecessors, `{"50": d, "80": d}`: the
    percentile of the moment all its predecessors are done (the latest of their finishes, lags
    not counted) minus the largest of the predecessors' own percentiles at that level, in days.
    A deterministic plan that follows the single longest path at each level misses exactly this.
    None for a milestone with fewer than two predecessors, or for a streamed run (its
    per-iteration finishes are a subsample, and the percentiles it states are exact ones).
    A level is None where a percentile involved is "never"."""
    preds = sorted({p.id for p in result.scenario.milestones[milestone].after})
    if len(preds) < 2 or result.streamed:
        return None
    rows = np.stack([result.finish_of(p) for p in preds])
    joint = percentiles_of(rows.max(axis=0), levels)
    own = [percentiles_of(row, levels) for row in rows]
    out: dict[str, float | None] = {}
    for p in levels:
        each = [o[p] for o in own]
        j = joint[p]
        known = [v for v in each if v is not None]
        out[str(p)] = None if j is None or len(known) < len(each) else j - max(known)
    return out


def merge_biases(result: Result) -> dict[str, dict[str, float | None]]:
    """`merge_bias` of every milestone that has one, in plan order."""
    found = {m: merge_bias(result, m) for m in result.milestone_ids}
    return {m: b for m, b in found.items() if b is not None}
