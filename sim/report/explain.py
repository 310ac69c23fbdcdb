"""The explain page: why a milestone moved between two scenarios, as a waterfall and a table."""

from __future__ import annotations

import datetime as dt
import platform
from typing import TYPE_CHECKING

import numpy as np

from sim.analysis import summary
from sim.analysis.explaintext import paragraph
from sim.report.charts.waterfall import figures
from sim.report.page import _page, report_name, slug

if TYPE_CHECKING:
    from sim.analysis.explain import Explanation


def explain_name(e: Explanation) -> str:
    """File stem: `explain-<old>-to-<new>`."""
    return slug(f"explain-{report_name(e.old)}-to-{report_name(e.new)}")


def explain_html(e: Explanation, when: dt.datetime | None = None) -> str:
    """The full HTML of an explanation's page."""
    when = when or dt.datetime.now(dt.timezone.utc)
    figs = figures(e)
    doc = e.to_json()
    labels = {p.change.name: p.change.label for p in e.parts}
    rows = [{**part, "label": labels[part["change"]]} for part in doc["parts"]]
    context = {
        "title": f"Why {e.new.milestones[e.headline].title} moved",
        "e": e,
        "head_title": e.new.milestones[e.headline].title,
        "words": paragraph(e),
        "total": doc["total"],
        "rows": rows,
        "charts": list(figs),
        "provenance": {
            "tool": summary.tool_version(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "when": when.strftime("%Y-%m-%d %H:%M UTC"),
        },
    }
    return _page("explain.j2", context, figs)
