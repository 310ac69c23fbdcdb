"""Assembles a report page: figures, tables and text into one self-contained HTML file.

plotly.js is embedded once per file (not fetched), so a report opens from disk with no network
and can be mailed or archived alone. Figure data travels as one JSON block, escaped so that no
`<`, `>` or `&` appears raw inside the <script> element; the page's Content-Security-Policy
allows only its own two scripts (by hash), so even an injected tag could not run.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import functools
import hashlib
import io
import json
import math
import platform
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import numpy as np
from markupsafe import Markup
from plotly.utils import PlotlyJSONEncoder

from sim import atomic, summary
from sim.display import BIDI, without_bidi
from sim.doneby import done_by
from sim.report import figures, summaries
from sim.report.headline import Headline, day_text, headlines, percent
from sim.report.markdown import linkify, render
from sim.results import PERCENTILES, Result
from sim.scenario import Scenario
from sim.sensitivity import criticality, tornado

TEMPLATES = Path(__file__).parent / "templates"

RENDER_JS = """(function () {
  "use strict";
  var figures = JSON.parse(document.getElementById("lunarsim-figures").textContent);
  var config = {
    displaylogo: false,
    responsive: true,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
    toImageButtonOptions: {format: "png", scale: 2}
  };
  Object.keys(figures).forEach(function (id) {
    var element = document.getElementById(id);
    if (element) {
      Plotly.newPlot(element, figures[id].data, figures[id].layout, config);
    }
  });
})();"""


@functools.lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle shipped with the plotly package, safe to inline in <script>."""
    from plotly.offline import get_plotlyjs

    # "<\/script" means the same to JavaScript but cannot close the element early.
    return get_plotlyjs().replace("</script", "<\\/script")


def script_json(data: Any) -> Markup:
    """JSON for a <script type="application/json"> block: no raw <, > or & (so no `</`, `<!--`)."""
    text = json.dumps(data, cls=PlotlyJSONEncoder, separators=(",", ":"), ensure_ascii=False)
    for char, code in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, code)
    # A bidi control in a label shows as the text "\u202e": in JSON, an escaped backslash then u202e.
    return Markup(BIDI.sub(lambda m: f"\\\\u{ord(m.group(0)):04x}", text))


# Live reload for `sim.watch`: does nothing unless the watch server marked the page with a
# <meta name="lunarsim-watch"> holding the report's version; then it reloads on a newer one.
WATCH_JS = """(function () {
  "use strict";
  var mark = document.querySelector('meta[name="lunarsim-watch"]');
  if (!mark || !window.EventSource) { return; }
  var shown = Number(mark.getAttribute("content"));
  new EventSource("/events").onmessage = function (event) {
    if (JSON.parse(event.data).version > shown) { window.location.reload(); }
  };
})();"""


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy() -> str:
    scripts = " ".join(_csp_hash(s) for s in (plotly_js(), RENDER_JS, WATCH_JS))
    return (
        f"default-src 'none'; script-src {scripts}; connect-src 'self'; style-src 'unsafe-inline'; "
        "img-src data: blob:; font-src data:; base-uri 'none'; form-action 'none'"
    )


_DATE = re.compile(r"\b\d{4}-\d{2}(?:-\d{2})?\b")


def keep_together(text: str) -> Markup:
    """Escape `text`, keeping "80 %" and dates such as 2026-04 from breaking across lines."""
    escaped = str(Markup.escape(text)).replace(" %", "&nbsp;%")
    return Markup(_DATE.sub(lambda m: f'<span class="nw">{m.group(0)}</span>', escaped))


def _shown(value: Any) -> Any:
    """A template value with bidi controls shown as code points (Markup stays Markup)."""
    if isinstance(value, Markup):
        return Markup(without_bidi(str(value)))
    return without_bidi(value) if isinstance(value, str) else value


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Every value the templates print, escaped or not, shows bidi controls as code points.
        finalize=_shown,
    )
    env.filters["percent"] = percent
    env.filters["markdown"] = render
    env.filters["linkify"] = linkify
    env.filters["thousands"] = lambda n: f"{n:,}"
    env.filters["nbsp"] = keep_together
    return env


def slug(text: str) -> str:
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return out[:80].strip("-") or "scenario"


def report_name(scenario: Scenario) -> str:
    """File stem of a scenario's report: its file's stem, or its name made filename-safe."""
    return slug(scenario.path.stem if scenario.path is not None else scenario.name)


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
    id: str
    title: str
    figure: str
    rows: list[OutcomeRow]


def _group_row(result: Result, label: str, planned: float | None, mask: np.ndarray) -> OutcomeRow:
    scenario = result.scenario
    head = scenario.headline
    x = result.finish_of(head)[mask]
    target = scenario.milestones[head].target
    pcts = summaries.percentiles(x, (50, 80))
    return OutcomeRow(
        label=label,
        planned=planned,
        observed=float(mask.mean()) if mask.size else 0.0,
        p50=_date(scenario, pcts[50]) if x.size else "—",
        p80=_date(scenario, pcts[80]) if x.size else "—",
        p_target=None if target is None or not x.size else float(done_by(x, target).mean()),
    )


def decisions(result: Result, figs: dict[str, Any]) -> list[DecisionView]:
    scenario = result.scenario
    head = scenario.headline
    views = []
    for k, (mid, chosen) in enumerate(result.outcome.items()):
        spec = scenario.milestones[mid]
        chosen = np.asarray(chosen)
        groups = []
        rows = []
        for b, branch in enumerate(spec.branches):
            mask = chosen == b
            share = float(mask.mean()) if mask.size else 0.0
            groups.append((f"{figures.esc(branch.id)} ({percent(share)} of runs)", mask))
            rows.append(_group_row(result, branch.id, branch.probability, mask))
        fig_id = f"fig-decision-{k}"
        title = (
            f"<b>{figures.esc(figures.short(scenario.milestones[head].title, 50))}</b> "
            f"by outcome of <b>{figures.esc(figures.short(spec.title, 50))}</b>"
        )
        figs[fig_id] = figures.conditioned(result, head, groups, title)
        views.append(DecisionView(mid, spec.title, fig_id, rows))
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
    months = (a - b) / 30.436875  # mean Gregorian month in days
    return "none" if abs(months) < 0.05 else f"{months:+.1f} months"


def risks(result: Result) -> list[RiskRow]:
    scenario = result.scenario
    x = result.finish_of(scenario.headline)
    rows = []
    for rid, occurred in result.risk_occurred.items():
        occurred = np.asarray(occurred, dtype=bool)
        spec = scenario.risks.get(rid)
        with_ = summaries.percentiles(x[occurred], (50, 80)) if occurred.any() else None
        without = summaries.percentiles(x[~occurred], (50, 80)) if (~occurred).any() else None
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
        low, high = summaries.quantile_band(x, p / 100)
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


def _sources(scenario: Scenario) -> list[dict[str, str]]:
    out = []
    for mid, spec in scenario.milestones.items():
        if spec.source:
            out.append({"kind": "milestone", "id": mid, "title": spec.title, "source": spec.source})
    for rid, risk in scenario.risks.items():
        if risk.source:
            out.append({"kind": "risk", "id": rid, "title": risk.title, "source": risk.source})
    return out


def _page(template: str, context: dict[str, Any], figs: dict[str, Any]) -> str:
    return (
        environment()
        .get_template(template)
        .render(
            **context,
            figures_json=script_json(figs),
            figure_ids=list(figs),
            plotly_js=Markup(plotly_js()),
            render_js=Markup(RENDER_JS),
            watch_js=Markup(WATCH_JS),
            csp=content_security_policy(),
        )
    )


def report_html(result: Result, when: dt.datetime | None = None) -> str:
    """The full HTML of one scenario's report; `when` defaults to when the run finished."""
    when = when or result.finished_at or dt.datetime.now(dt.timezone.utc)
    scenario = result.scenario
    head = scenario.headline
    order = [head, *[m for m in result.milestone_ids if m != head]]
    figs: dict[str, Any] = {
        "fig-scurve": figures.scurves(result, order),
        "fig-histogram": figures.histogram(result, head),
        "fig-timeline": figures.timeline(result),
    }
    ranked = tornado(result, head)
    head_title = figures.esc(figures.short(scenario.milestones[head].title, 60))
    if ranked:
        figs["fig-tornado"] = figures.tornado(
            ranked,
            f"What moves the date of <b>{head_title}</b> (top {min(len(ranked), 15)} random inputs)",
        )
    shares = criticality(result, head)
    figs["fig-criticality"] = figures.criticality(result, shares, head)
    decision_views = decisions(result, figs)
    figs["fig-convergence"] = figures.convergence(result, head)
    rows = milestone_rows(result)
    name = report_name(scenario)
    context = {
        "title": scenario.name,
        "scenario": scenario,
        "result": result,
        "headlines": headlines(result),
        "rows": rows,
        "percentile_names": [f"P{p}" for p in PERCENTILES],
        "csv_uri": csv_data_uri(milestone_csv(rows)),
        "csv_name": f"{name}-milestones.csv",
        "ranked": [(item, rho) for item, rho in ranked[:30]],
        "input_count": len(ranked),
        "criticality": [
            (scenario.milestones[m].title, m, shares[m]) for m in result.milestone_ids if shares[m] > 0
        ],
        "decisions": decision_views,
        "risks": risks(result),
        "convergence": convergence_note(result),
        "provenance": provenance([result], when),
        "sources": _sources(scenario),
        "kind_names": figures.KIND_NAMES,
        "has_tornado": bool(ranked),
    }
    return _page("report.j2", context, figs)


@dataclass(frozen=True)
class ComparedScenario:
    name: str
    result: Result
    headline: Headline
    others: list[Headline]
    rows: list[MilestoneRow]
    color: str


def comparison_html(results: list[Result], title: str | None = None, when: dt.datetime | None = None) -> str:
    """The full HTML of a report overlaying several scenarios."""
    if not results:
        raise ValueError("write_comparison needs at least one result")
    when = (
        when
        or max((r.finished_at for r in results if r.finished_at), default=None)
        or dt.datetime.now(dt.timezone.utc)
    )
    names = _distinct_names([r.scenario.name for r in results])
    escaped = [figures.esc(figures.short(n, 40)) for n in names]
    figs = {
        "fig-compare-scurve": figures.compare_scurves(results, escaped),
        "fig-compare-timeline": figures.compare_timeline(results, escaped),
    }
    compared = []
    csv_parts: list[str] = []
    for j, (name, result) in enumerate(zip(names, results, strict=True)):
        lines = headlines(result)
        rows = milestone_rows(result)
        color = figures.SERIES[j % len(figures.SERIES)]
        compared.append(ComparedScenario(name, result, lines[0], lines[1:], rows, color))
        text = milestone_csv(rows, scenario_name=name)
        csv_parts.append(text if not csv_parts else text.split("\n", 1)[1])
    heading = title or "Comparison: " + " vs ".join(names)
    context = {
        "title": heading,
        "scenarios": compared,
        "percentile_names": [f"P{p}" for p in PERCENTILES],
        "csv_uri": csv_data_uri("".join(csv_parts)),
        "csv_name": f"{comparison_name(results)}-milestones.csv",
        "provenance": provenance(results, when),
    }
    return _page("compare.j2", context, figs)


def _distinct_names(names: list[str]) -> list[str]:
    """Scenario names, numbered where two are the same, so legends can tell them apart."""
    return [n if names.count(n) == 1 else f"{n} ({k + 1})" for k, n in enumerate(names)]


def comparison_name(results: list[Result]) -> str:
    return slug("compare-" + "-vs-".join(report_name(r.scenario) for r in results))


def write(path: Path, text: str) -> Path:
    return atomic.write_text(path, text)
