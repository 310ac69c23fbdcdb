"""Merge bias: the delay at a milestone with several predecessors that no single path shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.simulation.reduction import merge_points

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
    None for a milestone with fewer than two predecessors. The run's storage gives the joint
    percentiles (`Storage.latest_percentiles`): a streamed run's come from the day counts of the
    latest predecessor finish it kept chunk by chunk, so, like its other percentiles, they are the
    days on which the kept run's fall, and its merge bias is the difference of those days. A
    level is None where a percentile involved is "never"."""
    preds = merge_points(result.scenario).get(milestone)
    if preds is None:
        return None
    joint = result.storage.latest_percentiles(milestone, [result.index(q) for q in preds], levels)
    own = [{p: result.percentile_days(q, p) for p in levels} for q in preds]
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
