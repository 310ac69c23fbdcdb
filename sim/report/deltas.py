"""How compared scenarios differ, milestone by milestone: delta sentences and side-by-side rows
that call a difference within the runs' precision "no clear difference"."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.analysis.aggregates import ordered, quantile_band
from sim.formats import day_text, month_text, percent
from sim.scenario.units import DAYS_PER_MONTH
from sim.simulation.daycounts import DayCounts

if TYPE_CHECKING:
    from sim.analysis.results import Result

# Two-sided 95 %: the same level as the report's convergence bands.
Z = 1.959964


def shared_milestones(results: list[Result]) -> list[str]:
    """Milestone ids every scenario has, in the first scenario's order, its headline first."""
    first = results[0]
    common = [m for m in first.milestone_ids if all(m in r.milestone_ids for r in results[1:])]
    head = first.scenario.headline
    if head in common:
        common.remove(head)
        common.insert(0, head)
    return common


def median_shift(
    a: np.ndarray | DayCounts, b: np.ndarray | DayCounts, months: tuple[str, str] | None = None
) -> str:
    """How the median finish moves from `a` to `b` (finish days of two runs, or a streamed run's
    day counts), in words, with the two medians' months when `months` gives them.

    The difference is "clear" only when the two medians' 95 % distribution-free bands do not
    overlap; overlapping bands mean the runs cannot tell the medians apart, whatever the point
    values say. (Runs sharing a seed use common random numbers, which makes their difference
    more precise than the bands credit: the test errs towards "no clear difference".)
    """
    xa, xb = ordered(a), ordered(b)
    ma, mb = _median(xa), _median(xb)
    shown = f" ({months[0]} → {months[1]})" if months is not None else ""
    if ma is None and mb is None:
        return "median never reached in either"
    if ma is None or mb is None:
        return f"median{shown}"
    la, ha = quantile_band(xa, 0.5, Z)
    lb, hb = quantile_band(xb, 0.5, Z)
    # A band reaching "never" is open above.
    apart = (ha is not None and lb is not None and ha < lb) or (hb is not None and la is not None and hb < la)
    if not apart:
        return f"median{shown}: no clear difference"
    return f"median {_span(mb - ma)}{shown}"


def _median(sorted_x: np.ndarray | DayCounts) -> float | None:
    if isinstance(sorted_x, DayCounts):
        return sorted_x.percentile(50)
    if not sorted_x.size:
        return None
    v = float(sorted_x[math.ceil(0.5 * sorted_x.size) - 1])
    return v if math.isfinite(v) else None


def _span(days: float) -> str:
    """A shift in days as the reader counts it: days under two months, months under three
    years, then years to a tenth."""
    later = "later" if days > 0 else "earlier"
    size = abs(days)
    if size < 2 * DAYS_PER_MONTH:
        n = round(size)
        return f"{n} day{'s' if n != 1 else ''} {later}"
    months = size / DAYS_PER_MONTH
    if months < 36:
        return f"{round(months)} months {later}"
    return f"{months / 12:.1f} years {later}"


def p_target_change(pa: float, na: int, pb: float, nb: int, dates: tuple[str, str] | None = None) -> str:
    """P(target) from one run to the other, or "no clear difference" within 95 % binomial noise;
    `dates` names the two targets when they differ.

    A share p estimated from n iterations has standard error sqrt(p (1 - p) / n); a change is
    clear when it exceeds Z times the standard error of the difference of two independent runs.
    """
    by = (f" by {dates[0]}", f" by {dates[1]}") if dates is not None and dates[0] != dates[1] else ("", "")
    text = f"P(target) {percent(pa)}{by[0]} → {percent(pb)}{by[1]}"
    se = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    return f"{text}: no clear difference" if abs(pb - pa) <= Z * se else text


def _median_month(result: Result, milestone: str) -> str:
    return month_text(result.scenario.date_of(result.percentile_days(milestone, 50)))


@dataclass(frozen=True)
class Delta:
    """One shared milestone: how each later scenario differs from the first."""

    id: str
    title: str
    changes: list[tuple[str, str]]  # (scenario name, "median 14 months later; P(target) 18 % → 52 %")


def deltas(results: list[Result], names: list[str]) -> list[Delta]:
    """For each shared milestone, each scenario after the first against the first."""
    base = results[0]
    out = []
    for mid in shared_milestones(results):
        changes = []
        for result, name in zip(results[1:], names[1:]):
            months = (_median_month(base, mid), _median_month(result, mid))
            parts = [median_shift(base.distribution(mid), result.distribution(mid), months)]
            ta = base.scenario.milestones[mid].target
            tb = result.scenario.milestones[mid].target
            if ta is not None and tb is not None:
                pa, pb = base.p_by(mid, ta), result.p_by(mid, tb)
                dates = (day_text(base.scenario.date_of(ta)), day_text(result.scenario.date_of(tb)))
                parts.append(p_target_change(pa, base.iterations, pb, result.iterations, dates))
            changes.append((name, "; ".join(parts)))
        out.append(Delta(mid, base.scenario.milestones[mid].title, changes))
    return out


@dataclass(frozen=True)
class SideBySideCell:
    p50: str
    p10: str
    p90: str
    target: str | None
    p_target: str | None
    done: str


@dataclass(frozen=True)
class SideBySideRow:
    id: str
    title: str
    cells: list[SideBySideCell]


def side_by_side(results: list[Result]) -> list[SideBySideRow]:
    """Every shared milestone, one cell per scenario: P50 (months), P10–P90, P(target), done share."""
    rows = []
    for mid in shared_milestones(results):
        cells = []
        for r in results:
            sc = r.scenario
            target = sc.milestones[mid].target

            def month(p: int, r: Result = r, mid: str = mid) -> str:
                return month_text(r.scenario.date_of(r.percentile_days(mid, p)))

            cells.append(
                SideBySideCell(
                    p50=month(50),
                    p10=month(10),
                    p90=month(90),
                    target=None if target is None else day_text(sc.date_of(target)),
                    p_target=None if target is None else percent(r.p_by(mid, target)),
                    done=percent(r.done_fraction(mid)),
                )
            )
        rows.append(SideBySideRow(mid, results[0].scenario.milestones[mid].title, cells))
    return rows
