"""The report's charts, one module each, and the registries each page walks to build its figures.

A chart module holds one Plotly figure built from aggregates (never from every sample) as a plain
JSON dict, and a `figures(inputs)` that returns it (or none, or several) keyed by the element
id the page's template places it in. A page's figures are those of its registry, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sim.report.charts.inputs import ComparisonInputs, Figure, ReportInputs

__all__ = ["ComparisonInputs", "Figure", "ReportInputs", "comparison_charts", "figures_of", "report_charts"]


def report_charts() -> Sequence[Callable[[ReportInputs], dict[str, Figure]]]:
    """The charts of a scenario's report, in page order."""
    from sim.report.charts import (
        conditioned,
        convergence,
        criticality,
        histogram,
        scurves,
        timeline,
        tornado,
    )

    return (
        scurves.figures,
        histogram.figures,
        timeline.figures,
        tornado.figures,
        criticality.figures,
        conditioned.figures,
        convergence.figures,
    )


def comparison_charts() -> Sequence[Callable[[ComparisonInputs], dict[str, Figure]]]:
    """The charts of a comparison page, in page order."""
    from sim.report.charts import compare_scurves, compare_timeline

    return (compare_scurves.figures, compare_timeline.figures)


def figures_of(charts: Sequence[Callable[[Any], dict[str, Figure]]], inputs: object) -> dict[str, Figure]:
    """Every figure of a page: each registered chart's, keyed by element id, in registry order."""
    out: dict[str, Figure] = {}
    for chart in charts:
        out.update(chart(inputs))
    return out
