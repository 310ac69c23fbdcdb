"""What a report page shows besides its charts, as plain records: milestone, decision and risk rows,
the CSV download, the precision note and the provenance footer."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import math
import platform
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import numpy as np

from sim.analysis import summary
from sim.analysis.aggregates import ordered, percentiles, quantile_band
from sim.doneby import done_by
from sim.formats import day_text, month_text
from sim.percentiles import PERCENTILES
from sim.report.charts.conditioned import figure_id, settled_branch
from sim.report.conditions import in_words
from sim.report.headline import Headline
from sim.scenario.model import Branch, Scenario
from sim.scenario.referenceview import reference_uses, use_sentence
from sim.scenario.units import DAYS_PER_MONTH

if TYPE_CHECKING:
    from sim.analysis.results import Result


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
    # The percentiles as the page shows them: to the month (the CSV keeps `percentiles`' days).
    months: list[str]


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
                months=[month_text(scenario.date_of(result.percentile_days(mid, p))) for p in PERCENTILES],
            )
        )
    return rows


def _csv_cell(text: str) -> str:
    from sim.display import spreadsheet_cell

    return spreadsheet_cell(text)


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
    when: str | None = None  # a conditional outcome's condition in words


@dataclass(frozen=True)
class DecisionView:
    """A decision's outcomes; `settled` names the outcome every run took (then there is no chart)."""

    id: str
    title: str
    figure: str | None
    rows: list[OutcomeRow]
    settled: str | None = None
    # A conditional decision (`when`): the outcome the deterministic plan takes ("" where the
    # plan never makes it), and the share of futures in which it is never made.
    plan_outcome: str | None = None
    never: float = 0.0


def _group_row(
    result: Result, label: str, planned: float | None, observed: float, mask: np.ndarray
) -> OutcomeRow:
    """One outcome's row: its share of all iterations (`observed`) and the headline's dates in
    the iterations of `mask` (for a streamed run, those of its subsample)."""
    scenario = result.scenario
    head = scenario.headline
    x = result.finish_of(head)[mask]
    target = scenario.milestones[head].target
    pcts = percentiles(x, (50, 80))
    return OutcomeRow(
        label=label,
        planned=planned,
        observed=observed,
        p50=_date(scenario, pcts[50]) if x.size else "—",
        p80=_date(scenario, pcts[80]) if x.size else "—",
        p_target=None if target is None or not x.size else float(done_by(x, target).mean()),
    )


def decisions(result: Result) -> list[DecisionView]:
    """Each decision's outcomes: how often each was taken and the headline's dates within it;
    for a conditional decision, each outcome's condition and the outcome the plan takes."""
    scenario = result.scenario
    plan_outcomes = _plan_outcomes(result)
    views = []
    for k, (mid, chosen) in enumerate(result.outcome.items()):
        spec = scenario.milestones[mid]
        chosen = np.asarray(chosen)
        shares = result.branch_frequencies()[mid]
        rows = [
            _group_row(
                result,
                branch.name,
                _given(spec.conditional, branch),
                shares[branch.id],
                chosen == b,
            )
            for b, branch in enumerate(spec.branches)
        ]
        extra: dict[str, Any] = {}
        if spec.conditional:
            rows = [
                dataclasses.replace(row, when=in_words(b.when, scenario) if b.when else None)
                for row, b in zip(rows, spec.branches)
            ]
            taken = plan_outcomes.get(mid, -1)
            extra = {
                "plan_outcome": spec.branches[taken].name if taken >= 0 else "",
                "never": max(0.0, 1.0 - sum(shares.values())),
            }
        settled = settled_branch(chosen)
        if settled is not None and settled >= 0:
            views.append(DecisionView(mid, spec.title, None, rows, spec.branches[settled].name, **extra))
        elif settled is not None:  # never made in any future: nothing to draw
            views.append(DecisionView(mid, spec.title, None, rows, **extra))
        else:
            views.append(DecisionView(mid, spec.title, figure_id(k), rows, **extra))
    return views


def _given(conditional: bool, branch: Branch) -> float | None:
    """The probability the file gives an outcome. A conditional decision's outcomes are taken
    by their conditions: only one with a probability below 1 shows it (the chance of taking it
    when its condition holds)."""
    if conditional and (branch.when is None or branch.probability == 1.0):
        return None
    return branch.probability


def _plan_outcomes(result: Result) -> dict[str, int]:
    """The outcome of each conditional decision in the deterministic plan (one more plan run)."""
    if not any(m.conditional for m in result.scenario.milestones.values()):
        return {}
    from sim.simulation.deterministic import deterministic_plan

    return deterministic_plan(result.scenario, result.compiled()).outcomes


@dataclass(frozen=True)
class ImpactRow:
    """One risk switched off, or one decision outcome forced, and what that does to the headline."""

    input: str
    kind: str
    title: str
    probability: float | None
    fired: float | None
    p50: str
    p80: str
    p_target: str
    source: str | None


NO_CLEAR_EFFECT = "no clear effect"


def _contains_zero(low: float | None, high: float | None) -> bool:
    # A None bound is unbounded (the percentile reaches "never" in some resamples).
    return (low is None or low <= 0.0) and (high is None or high >= 0.0)


def _bound(x: float | None, unit: float, digits: int) -> str:
    return "never" if x is None else f"{x / unit:+.{digits}f}"


def day_change(change: float | None, interval: list[float | None] | None) -> str:
    """A paired change of a percentile, in days (or months from 60 days on), with its 95 %
    interval; exactly 0 when the input never moved it, "no clear effect" when the interval
    holds 0, "to or from never" when the percentile is "never" on one side."""
    low, high = interval if interval is not None else (None, None)
    if change == 0.0 and low == 0.0 and high == 0.0:
        return "0"
    if _contains_zero(low, high):
        return NO_CLEAR_EFFECT
    if change is None:
        return "to or from never"
    unit, name, digits = (DAYS_PER_MONTH, "months", 1) if abs(change) >= 60 else (1.0, "days", 0)
    return f"{change / unit:+.{digits}f} {name} ({_bound(low, unit, digits)} to {_bound(high, unit, digits)})"


def share_change(change: float | None, interval: list[float | None] | None) -> str:
    """A paired change of P(target) in percentage points with its 95 % interval."""
    if change is None:
        return "—"
    low, high = interval if interval is not None else (None, None)
    if change == 0.0 and low == 0.0 and high == 0.0:
        return "0"
    if _contains_zero(low, high):
        return NO_CLEAR_EFFECT
    digits = 0 if low is None or high is None or high - low >= 0.01 else 1
    return (
        f"{100 * change:+.{digits}f} pp ({_bound(low, 0.01, digits)} to {_bound(high, 0.01, digits)})"
    )


def impact_rows(result: Result, section: dict[str, Any]) -> list[ImpactRow]:
    """The impacts section of the summary (`Result.impacts()`) as table rows, the inputs that move
    the headline's P80 most first (one whose change is uncertain or zero ranks by its change)."""
    scenario = result.scenario
    rows = []
    for item in section["items"]:
        risk = scenario.risks.get(item["input"]) if item["kind"] == "risk" else None
        fired = result.risk_frequencies().get(item["input"]) if risk is not None else None
        rows.append(
            (
                -abs(item["p80_change_days"]) if item["p80_change_days"] is not None else -math.inf,
                ImpactRow(
                    input=item["input"],
                    kind=item["kind"],
                    title=item["label"],
                    probability=risk.probability if risk is not None else None,
                    fired=None if fired is None or not result.iterations else fired,
                    p50=day_change(item["p50_change_days"], item["p50_interval"]),
                    p80=day_change(item["p80_change_days"], item["p80_interval"]),
                    p_target=share_change(item["p_target_change"], item["p_target_interval"]),
                    source=risk.source if risk is not None else None,
                ),
            )
        )
    rows.sort(key=lambda pair: pair[0])
    return [row for _, row in rows]


def convergence_note(result: Result) -> list[str]:
    """How precisely the headline's P50 and P80 are known after all iterations (95 % bands)."""
    x = ordered(result.distribution(result.scenario.headline))
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
                "reference": [use_sentence(u) for u in reference_uses(r.scenario.milestones)],
            }
            for r in results
        ],
    }


def unsourced(scenario: Scenario) -> list[str]:
    """Titles of the milestones whose file gives no `source`: their numbers are judgement."""
    return [spec.title for spec in scenario.milestones.values() if not spec.source]


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
