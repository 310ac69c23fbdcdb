"""What a report page shows besides its charts, as plain records: milestone, decision and risk rows,
the CSV download, the precision note and the provenance footer."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import platform
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import numpy as np

from sim import summary
from sim.aggregates import percentiles, quantile_band
from sim.doneby import done_by
from sim.percentiles import PERCENTILES
from sim.report.charts.conditioned import figure_id, settled_branch
from sim.report.headline import Headline, day_text
from sim.scenario import Scenario
from sim.units import DAYS_PER_MONTH

if TYPE_CHECKING:
    from sim.results import Result


def _date(scenario: Scenario, days: float | None) -> str:
    return day_text(scenario.date_of(days))


@dataclass(frozen=True)
class MilestoneRow:
    id: str
    title: str
    plan: str
    target: str | None
    p_target: float | None
    done: float
    percentiles: list[str]
    actual: str | None
    source: str | None


def milestone_rows(result: Result) -> list[MilestoneRow]:
    scenario = result.scenario
    rows = []
    for mid in result.milestone_ids:
        spec = scenario.milestones[mid]
        rows.append(
            MilestoneRow(
                id=mid,
                title=spec.title,
                plan=_date(scenario, result.plan_of(mid)),
                target=None if spec.target is None else _date(scenario, spec.target),
                p_target=None if spec.target is None else result.p_by(mid, spec.target),
                done=result.done_fraction(mid),
                percentiles=[_date(scenario, result.percentile_days(mid, p)) for p in PERCENTILES],
                actual=None if spec.actual is None else _date(scenario, spec.actual),
                source=spec.source,
            )
        )
    return rows


def _csv_cell(text: str) -> str:
    # A leading = + - @ makes spreadsheets evaluate the cell as a formula; quote it as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def milestone_csv(rows: list[MilestoneRow], scenario_name: str | None = None) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    head = ["milestone", "title", "plan", "target", "p_target", "done_fraction"]
    head += [f"p{p}" for p in PERCENTILES]
    if scenario_name is not None:
        head.insert(0, "scenario")
    writer.writerow(head)
    for row in rows:
        cells = [
            row.id,
            _csv_cell(row.title),
            "" if row.plan == "never" else row.plan,
            row.target or "",
            "" if row.p_target is None else f"{row.p_target:.4f}",
            f"{row.done:.4f}",
        ]
        cells += ["" if p == "never" else p for p in row.percentiles]
        if scenario_name is not None:
            cells.insert(0, _csv_cell(scenario_name))
        writer.writerow(cells)
    return buffer.getvalue()


def csv_data_uri(text: str) -> str:
    return "data:text/csv;charset=utf-8," + quote(text, safe="")


@dataclass(frozen=True)
class OutcomeRow:
    label: str
    planned: float | None
    observed: float
    p50: str
    p80: str
    p_target: float | None


@dataclass(frozen=True)
class DecisionView:
    """A decision's outcomes; `settled` names the outcome every run took (then there is no chart)."""

    id: str
    title: str
    figure: str | None
    rows: list[OutcomeRow]
    settled: str | None = None


def _group_row(result: Result, label: str, planned: float | None, mask: np.ndarray) -> OutcomeRow:
    scenario = result.scenario
    head = scenario.headline
    x = result.finish_of(head)[mask]
    target = scenario.milestones[head].target
    pcts = percentiles(x, (50, 80))
    return OutcomeRow(
        label=label,
        planned=planned,
        observed=float(mask.mean()) if mask.size else 0.0,
        p50=_date(scenario, pcts[50]) if x.size else "—",
        p80=_date(scenario, pcts[80]) if x.size else "—",
        p_target=None if target is None or not x.size else float(done_by(x, target).mean()),
    )


def decisions(result: Result) -> list[DecisionView]:
    """Each decision's outcomes: how often each was taken and the headline's dates within it."""
    scenario = result.scenario
    views = []
    for k, (mid, chosen) in enumerate(result.outcome.items()):
        spec = scenario.milestones[mid]
        chosen = np.asarray(chosen)
        rows = [
            _group_row(result, branch.name, branch.probability, chosen == b)
            for b, branch in enumerate(spec.branches)
        ]
        settled = settled_branch(chosen)
        if settled is not None:
            views.append(DecisionView(mid, spec.title, None, rows, spec.branches[settled].name))
        else:
            views.append(DecisionView(mid, spec.title, figure_id(k), rows))
    return views


@dataclass(frozen=True)
class RiskRow:
    id: str
    title: str
    probability: float | None
    fired: float
    with_p50: str
    without_p50: str
    with_p80: str
    without_p80: str
    shift_p80: str
    source: str | None


def _shift(a: float | None, b: float | None) -> str:
    """Difference between two percentile days, in months, for the risk table."""
    if a is None and b is None:
        return "—"
    if a is None:
        return "to never"
    if b is None:
        return "from never"
    months = (a - b) / DAYS_PER_MONTH
    return "none" if abs(months) < 0.05 else f"{months:+.1f} months"


def risks(result: Result) -> list[RiskRow]:
    scenario = result.scenario
    x = result.finish_of(scenario.headline)
    rows = []
    for rid, occurred in result.risk_occurred.items():
        occurred = np.asarray(occurred, dtype=bool)
        spec = scenario.risks.get(rid)
        with_ = percentiles(x[occurred], (50, 80)) if occurred.any() else None
        without = percentiles(x[~occurred], (50, 80)) if (~occurred).any() else None
        rows.append(
            RiskRow(
                id=rid,
                title=spec.title if spec is not None else rid,
                probability=spec.probability if spec is not None else None,
                fired=float(occurred.mean()) if occurred.size else 0.0,
                with_p50="—" if with_ is None else _date(scenario, with_[50]),
                without_p50="—" if without is None else _date(scenario, without[50]),
                with_p80="—" if with_ is None else _date(scenario, with_[80]),
                without_p80="—" if without is None else _date(scenario, without[80]),
                shift_p80="—" if with_ is None or without is None else _shift(with_[80], without[80]),
                source=spec.source if spec is not None else None,
            )
        )
    return rows


def convergence_note(result: Result) -> list[str]:
    """How precisely the headline's P50 and P80 are known after all iterations (95 % bands)."""
    x = np.sort(result.finish_of(result.scenario.headline))
    notes = []
    for p in (50, 80):
        low, high = quantile_band(x, p / 100)
        if low is None or high is None:
            notes.append(f"P{p}: the band reaches “never”, so it is not pinned down")
        else:
            notes.append(f"P{p}: within ± {math.ceil((high - low) / 2)} days")
    return notes


def provenance(results: list[Result], when: dt.datetime) -> dict[str, Any]:
    return {
        "tool": summary.tool_version(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "when": when.strftime("%Y-%m-%d %H:%M UTC"),
        "runs": [
            {
                "name": r.scenario.name,
                "path": str(r.scenario.path) if r.scenario.path is not None else None,
                "sha256": r.scenario.sha256,
                "files": [str(f) for f in r.scenario.files],
                "seed": r.seed,
                "iterations": r.iterations,
                "engine": r.engine,
                "workers": r.workers,
                "seconds": r.seconds,
                "start": r.scenario.start.isoformat(),
                "horizon": r.scenario.horizon.isoformat(),
                "as_of": None if r.scenario.as_of is None else r.scenario.as_of.isoformat(),
            }
            for r in results
        ],
    }


def sources(scenario: Scenario) -> list[dict[str, str]]:
    out = []
    for mid, spec in scenario.milestones.items():
        if spec.source:
            out.append({"kind": "milestone", "id": mid, "title": spec.title, "source": spec.source})
    for rid, risk in scenario.risks.items():
        if risk.source:
            out.append({"kind": "risk", "id": rid, "title": risk.title, "source": risk.source})
    return out


@dataclass(frozen=True)
class ComparedScenario:
    name: str
    result: Result
    headline: Headline
    others: list[Headline]
    rows: list[MilestoneRow]
    color: str


def distinct_names(names: list[str]) -> list[str]:
    """Scenario names, numbered where two are the same, so legends can tell them apart."""
    return [n if names.count(n) == 1 else f"{n} ({k + 1})" for k, n in enumerate(names)]
