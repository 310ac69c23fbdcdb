"""What a chart reads: the run of one scenario's report, or the runs of a comparison."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.analysis.results import RandomInput, Result

Figure = dict[str, Any]


@dataclass(frozen=True)
class ReportInputs:
    """What the charts of one scenario's report read: the run and the analyses done once for it.

    `order` lists the milestones with the headline first; `ranked` is the tornado's inputs by
    strength (`sim.analysis.sensitivity.tornado`); `shares` the headline's criticality per milestone.
    """

    result: Result
    order: list[str]
    ranked: list[tuple[RandomInput, float]]
    shares: dict[str, float]


@dataclass(frozen=True)
class ComparisonInputs:
    """What the charts of a comparison read: the runs and their names, escaped for Plotly."""

    results: list[Result]
    names: list[str]
