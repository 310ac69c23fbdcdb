"""The summary JSON (format 1): the stable, documented output that scripts and tests read."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from sim.percentiles import PERCENTILES

if TYPE_CHECKING:
    from sim.analysis.results import Result

FORMAT = 1


def tool_version() -> str:
    """lunarsim's version: `sim.__version__`, the one place it is written (pyproject reads it)."""
    from sim import __version__

    return __version__


def _days(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, 2)


def _iso(d: Any) -> str | None:
    return None if d is None else d.isoformat()


def summary(result: Result, path: str | None = None, *, with_impacts: bool | None = None) -> dict[str, Any]:
    """The summary document of `outputs.md`; identical for identical (scenario, seed, iterations)
    but for run.seconds, run.engine and run.workers. `with_impacts=True` adds `impacts`, which
    re-runs the model once per risk and per decision outcome (on SimPy-only scenarios, several
    times the run's own time); None adds it when `sim.analysis.impacts.by_default` says it is cheap."""
    asked = with_impacts
    if with_impacts is None:
        from sim.analysis.impacts import by_default

        with_impacts = by_default(result)
    sc = result.scenario
    result.prepare(drivers=True)
    from sim.analysis.mergebias import merge_biases

    merges = merge_biases(result)
    milestones = {mid: _milestone(result, mid, merges.get(mid)) for mid in sc.milestones}
    driver_section = drivers(result)
    doc = {
        "format": FORMAT,
        "tool": {"name": "lunarsim", "version": tool_version()},
        "scenario": {
            "name": sc.name,
            "path": path if path is not None else (str(sc.path) if sc.path else None),
            "sha256": sc.sha256,
            "start": sc.start.isoformat(),
            "horizon": sc.horizon.isoformat(),
        },
        "run": {
            "iterations": result.iterations,
            "seed": result.seed,
            "engine": result.engine,
            "workers": result.workers,
            "seconds": round(result.seconds, 3),
        },
        "headline": sc.headline,
        "milestones": milestones,
        "branches": result.branch_frequencies(),
        "risks": result.risk_frequencies(),
        "drivers": driver_section,
    }
    from sim.analysis.signposts import signpost_section

    doc["signposts"] = signpost_section(result)
    if with_impacts:
        doc["impacts"] = result.impacts()
        from sim.analysis import attribution

        if attribution.feasible(result) if asked else attribution.by_default(result):
            driver_section["attribution"] = attribution.summary_section(result.attribution())
    return doc


def _milestone(result: Result, mid: str, merge: dict[str, Any] | None) -> dict[str, Any]:
    """One milestone's entry of `milestones` (outputs.md), with its merge bias where it has one."""
    sc = result.scenario
    m = sc.milestones[mid]
    raw = {str(p): result.percentile_days(mid, p) for p in PERCENTILES}
    pct = {k: _days(v) for k, v in raw.items()}
    dates = {k: _iso(sc.date_of(v)) for k, v in raw.items()}
    target = sc.date_of(m.target) if m.target is not None else None
    entry: dict[str, Any] = {
        "title": m.title,
        "done_fraction": result.done_fraction(mid),
        "mean_days": _days(result.mean_days(mid)),
        "sd_days": _days(result.sd_days(mid)),
        "percentiles_days": pct,
        "percentiles_date": dates,
        "target": target.isoformat() if target else None,
        "p_target": result.p_by(mid, m.target) if m.target is not None else None,
    }
    if merge is not None:
        entry["merge_bias_days"] = {k: _days(v) for k, v in merge.items()}
    return entry


def impact_section(result: Result) -> dict[str, Any]:
    """`impacts` of the summary: each risk switched off and each decision outcome forced, on the
    run's own draws (`sim.analysis.impacts`)."""
    from sim.analysis.impacts import METHOD, impacts, variant_count

    # Without risks or decisions there is nothing to switch: no re-run of the base at all.
    items = impacts(result) if variant_count(result) else []
    return {"milestone": result.scenario.headline, "method": METHOD, "items": items}


def drivers(result: Result) -> dict[str, Any]:
    """`drivers` of the summary: the headline's criticality index and every uncertain input's
    Spearman rank correlation with its finish, strongest first, rounded as the terminal prints it."""
    from sim.analysis.sensitivity import criticality, tornado

    head = result.scenario.headline
    return {
        "milestone": head,
        "criticality": criticality(result, head),
        "sensitivity": [
            {"input": item.id, "label": item.label, "kind": item.kind, "spearman": round(rho, 2) + 0.0}
            for item, rho in tornado(result, head)
        ],
    }
