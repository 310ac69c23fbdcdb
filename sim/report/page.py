"""Renders report pages: the Jinja environment, the assembly of figures and views into one
self-contained HTML file, and the names the files get."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from sim import atomic
from sim.analysis.sensitivity import criticality, tornado
from sim.display import without_bidi
from sim.formats import percent
from sim.percentiles import PERCENTILES
from sim.report import style
from sim.report.charts import (
    ComparisonInputs,
    ReportInputs,
    comparison_charts,
    figures_of,
    report_charts,
)
from sim.report.deltas import deltas, side_by_side
from sim.report.drivertext import held_lines, merge_lines, waterfall_lines
from sim.report.embedding import Script, content_security_policy, script_json, scripts
from sim.report.headline import headlines
from sim.report.markdown import linkify, render
from sim.report.signposts import signpost_lines
from sim.report.views import (
    ComparedScenario,
    convergence_note,
    csv_data_uri,
    decisions,
    distinct_names,
    impact_rows,
    milestone_csv,
    milestone_rows,
    provenance,
    sources,
    unsourced,
)
from sim.scenario.model import Scenario

if TYPE_CHECKING:
    from sim.analysis.results import Result

TEMPLATES = Path(__file__).parent / "templates"

_DATE = re.compile(r"\b\d{4}-\d{2}(?:-\d{2})?\b")


def keep_together(text: str) -> Markup:
    """Escape `text`, keeping "80 %" and dates such as 2026-04 from breaking across lines."""
    escaped = str(Markup.escape(text)).replace(" %", "&nbsp;%")
    return Markup(_DATE.sub(lambda m: f'<span class="nw">{m.group(0)}</span>', escaped))


def _shown(value: Any) -> Any:
    """A template value with bidi controls shown as code points (Markup stays Markup; a page's
    own scripts and its escaped figure JSON are printed as they are)."""
    if isinstance(value, Script):
        return value
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
    env.filters["signed"] = style.signed
    env.filters["seconds"] = seconds_text
    return env


def seconds_text(seconds: float) -> str:
    """A run time to a tenth of a second, or "under 0.1 s" (never a run "0.0 s" long)."""
    return "under 0.1 s" if seconds < 0.05 else f"{seconds:.1f} s"


# A file name's stem at most this long: whole for any likely comparison or sweep ("compare-" and
# three 40-character scenario names), well inside the 255 bytes a file name may have.
MAX_STEM = 200


def slug(text: str) -> str:
    """`text` as a file name's stem: lower-case letters, digits and hyphens; one longer than
    MAX_STEM is cut and ends in a short hash of the whole, so that two cut names stay apart."""
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(out) > MAX_STEM:
        digest = hashlib.sha256(out.encode("utf-8")).hexdigest()[:8]
        out = out[: MAX_STEM - 9].strip("-") + "-" + digest
    return out or "scenario"


def report_name(scenario: Scenario) -> str:
    """File stem of a scenario's report: its file's stem, or its name made filename-safe."""
    return slug(scenario.path.stem if scenario.path is not None else scenario.name)


def comparison_name(results: list[Result]) -> str:
    return slug("compare-" + "-vs-".join(report_name(r.scenario) for r in results))


def _page(template: str, context: dict[str, Any], figs: dict[str, Any]) -> str:
    plotly, render_js, watch_js = scripts()
    return (
        environment()
        .get_template(template)
        .render(
            **context,
            figures_json=script_json(figs),
            figure_ids=list(figs),
            plotly_js=plotly,
            render_js=render_js,
            watch_js=watch_js,
            csp=content_security_policy(),
        )
    )


def report_html(result: Result, when: dt.datetime | None = None, *, impacts: bool | None = None) -> str:
    """The full HTML of one scenario's report; `when` defaults to when the run finished.
    `impacts`: show the exact risk and decision impacts (True), not (False), or when
    `sim.analysis.impacts.by_default` says they are cheap or they are already computed (None)."""
    from sim.analysis import attribution
    from sim.analysis.heldmedian import cheap
    from sim.analysis.impacts import METHOD, SIMPY_BOUND, VECTOR_BOUND, by_default

    when = when or result.finished_at or dt.datetime.now(dt.timezone.utc)
    wanted = by_default(result) if impacts is None else impacts
    section = result.impacts() if wanted else None
    held = section is not None and not result.streamed and (bool(impacts) or cheap(result))
    shown = attribution.feasible(result) if impacts else attribution.by_default(result)
    scenario = result.scenario
    head = scenario.headline
    order = [head, *[m for m in result.milestone_ids if m != head]]
    ranked = tornado(result, head)
    shares = criticality(result, head)
    figs = figures_of(report_charts(), ReportInputs(result, order, ranked, shares))
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
        "decisions": decisions(result),
        "signposts": signpost_lines(result),
        "impacts": None if section is None else impact_rows(result, section),
        "impact_method": METHOD,
        "impact_bounds": (VECTOR_BOUND, SIMPY_BOUND),
        "has_risks": bool(scenario.risks),
        "convergence": convergence_note(result),
        "provenance": provenance([result], when),
        "sources": sources(scenario),
        "unsourced": unsourced(scenario),
        "kind_names": style.KIND_NAMES,
        "has_tornado": bool(ranked),
        "merge_lines": merge_lines(result),
        "held_lines": held_lines(result) if held else [],
        "waterfall": waterfall_lines(result, result.attribution()) if section and shown else [],
    }
    return _page("report.j2", context, figs)


def comparison_html(results: list[Result], title: str | None = None, when: dt.datetime | None = None) -> str:
    """The full HTML of a report overlaying several scenarios."""
    if not results:
        raise ValueError("write_comparison needs at least one result")
    when = (
        when
        or max((r.finished_at for r in results if r.finished_at), default=None)
        or dt.datetime.now(dt.timezone.utc)
    )
    names = distinct_names([r.scenario.name for r in results])
    escaped = [style.esc(style.short(n, 40)) for n in names]
    figs = figures_of(comparison_charts(), ComparisonInputs(results, escaped))
    compared = []
    csv_parts: list[str] = []
    for j, (name, result) in enumerate(zip(names, results, strict=True)):
        lines = headlines(result)
        rows = milestone_rows(result)
        color = style.SERIES[j % len(style.SERIES)]
        compared.append(ComparedScenario(name, result, lines[0], lines[1:], rows, color))
        text = milestone_csv(rows, scenario_name=name)
        csv_parts.append(text if not csv_parts else text.split("\n", 1)[1])
    heading = title or "Comparison: " + " vs ".join(names)
    context = {
        "title": heading,
        "scenarios": compared,
        "deltas": deltas(results, names),
        "side_by_side": side_by_side(results),
        "percentile_names": [f"P{p}" for p in PERCENTILES],
        "csv_uri": csv_data_uri("".join(csv_parts)),
        "csv_name": f"{comparison_name(results)}-milestones.csv",
        "provenance": provenance(results, when),
    }
    return _page("compare.j2", context, figs)


def write(path: Path, text: str) -> Path:
    return atomic.write_text(path, text)
