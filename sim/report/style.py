"""The look every report chart shares: palette, fonts, escaping of user text, traces, lines, axes and dates.

Figures are built as the plain JSON plotly.js reads (no plotly Python objects, whose validation
cost more than the rest of a report; tests/test_figures.py checks every figure against plotly's
schema instead). Plotly renders titles, legend names, tick labels and hover text as a small HTML
dialect, so every user-supplied string goes through `esc` before it enters a figure. The palette
is Okabe & Ito's (2008), which stays distinguishable under the common colour-vision deficiencies.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sim.analysis.aggregates import Cdf, completed_percentiles
from sim.scenario.model import Scenario

if TYPE_CHECKING:
    from sim.analysis.results import Result

BLUE = "#0072B2"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
INK = "#222222"
GREY = "#767676"
GRID = "#e6e6e6"
SERIES = (BLUE, ORANGE, GREEN, PURPLE, SKY, VERMILLION, INK, YELLOW)

FONT = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, '
    '"Noto Sans", "Liberation Sans", sans-serif'
)
DAY_MS = 86_400_000

Figure = dict[str, Any]
Trace = dict[str, Any]

_TEMPLATE_LAYOUT: dict[str, Any] = {
    "font": {"family": FONT, "size": 13, "color": INK},
    "paper_bgcolor": "#ffffff",
    "plot_bgcolor": "#ffffff",
    "colorway": list(SERIES),
    "hoverlabel": {"font": {"family": FONT, "size": 13}, "align": "left"},
    "xaxis": {
        "gridcolor": GRID,
        "linecolor": "#999999",
        "ticks": "outside",
        "tickcolor": "#999999",
        "zeroline": False,
        "automargin": True,
    },
    "yaxis": {
        "gridcolor": GRID,
        "linecolor": "#999999",
        "zeroline": False,
        "automargin": True,
    },
    "legend": {"bgcolor": "rgba(255,255,255,0.85)"},
    "margin": {"l": 60, "r": 24, "t": 56, "b": 48},
}

# What the sensitivity analysis calls each kind of random input, in words for readers.
KIND_NAMES = {
    "duration": "duration",
    "lag": "wait after a predecessor",
    "attempts": "failed attempts",
    "retry": "time to try again",
    "effect": "size of an effect",
    "hold": "resource hold",
    "risk": "risk occurs",
    "decision": "decision outcome",
}


def esc(text: object) -> str:
    """Escape a user string for Plotly's HTML-like text (which decodes &amp; &lt; &gt; itself)."""
    return html.escape(str(text), quote=False)


def in_template(text: str) -> str:
    """Already-escaped text made safe inside a hovertemplate, where `%{...}` is substituted."""
    return text.replace("%{", "&#37;{")


def short(text: str, width: int = 60) -> str:
    """Truncate (before escaping) so long titles do not swamp a legend or a menu."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def short_words(text: str, width: int = 44) -> str:
    """Shorten at a word boundary (before escaping), so a label never ends mid-word."""
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    space = cut.rfind(" ")
    if space >= width // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–(.…") + "…"


# The least room a shortened input label gives its subject (a milestone, risk or decision title).
SUBJECT_ROOM = 8


def fit_label(subject: str, detail: str, width: int = 44) -> str:
    """The label "<subject>: <detail>" in at most `width` characters, shortening the subject first (the
    detail is what tells one subject's inputs apart), then the detail, both at word boundaries."""
    if not subject or not detail:
        return whole_words(subject or detail, width)
    whole = f"{subject}: {detail}"
    if len(whole) <= width:
        return whole
    room = width - len(detail) - 2
    if room >= SUBJECT_ROOM:
        return f"{whole_words(subject, room)}: {detail}"
    return f"{whole_words(subject, SUBJECT_ROOM)}: {whole_words(detail, width - SUBJECT_ROOM - 2)}"


def whole_words(text: str, width: int) -> str:
    """The words of `text` that fit in `width` characters with a closing "…" (a word cut only
    when the first alone is too long)."""
    if len(text) <= width:
        return text
    words, kept = text.split(" "), ""
    for word in words:
        longer = f"{kept} {word}" if kept else word
        if len(longer) + 1 > width:
            break
        kept = longer
    return (kept or text[: width - 1]).rstrip(" ,;:-–(.…") + "…"


def _middle_words(text: str, width: int) -> str:
    """Whole words from both ends of `text` around a "…", in at most `width` characters."""
    if len(text) <= width:
        return text
    words = text.split(" ")
    tail: list[str] = []
    while words and len(" ".join([*tail, words[-1]])) <= width // 2:
        tail.insert(0, words.pop())
    head = whole_words(" ".join(words), width - len(" ".join(tail)) - 1).removesuffix("…")
    return f"{head}… {' '.join(tail)}" if tail else whole_words(text, width)


def distinct_labels(parts: list[tuple[str, str]], width: int = 44) -> list[str]:
    """`fit_label` of each (subject, detail), every label distinct from the others: where a cut
    made labels equal, their details are cut in the middle instead (keeping the end, where they
    differ), and any still equal are numbered."""
    shown = [fit_label(subject, detail, width) for subject, detail in parts]
    equal = [shown.count(label) > 1 for label in shown]
    for k, (subject, detail) in enumerate(parts):
        if equal[k] and subject and detail:
            room = width - SUBJECT_ROOM - 2
            shown[k] = f"{whole_words(subject, SUBJECT_ROOM)}: {_middle_words(detail, room)}"
    seen: dict[str, int] = {}
    for k, label in enumerate(shown):
        if shown.count(label) > 1:
            seen[label] = seen.get(label, 0) + 1
            shown[k] = f"{whole_words(label, width - 4)} ({seen[label]})"
    return shown


def signed(value: float, digits: int = 2) -> str:
    """A signed number that never reads "-0.00": a value that rounds to zero has no sign."""
    rounded = round(value, digits)
    if rounded == 0:
        return f"{0:.{digits}f}"
    return f"{rounded:+.{digits}f}"


def short_middle(text: str, width: int = 60) -> str:
    """Truncate in the middle, keeping the end (where "= outcome" or "(risk)" sits)."""
    if len(text) <= width:
        return text
    tail = width // 3
    return text[: width - tail - 1].rstrip() + "…" + text[-tail:].lstrip()


def wrap(text: str, width: int = 70) -> str:
    """Escape and break long text for a hover box (Plotly wraps only at <br>)."""
    return "<br>".join(esc(line) for line in textwrap.wrap(text, width) or [""])


# Layout lists that plotly leaves out when empty (plotly.js reads a missing one as empty).
_OMITTED_WHEN_EMPTY = ("annotations", "shapes", "images", "updatemenus", "sliders")


def figure(data: list[Trace], layout: dict[str, Any]) -> Figure:
    """A figure as the plain JSON dict the page embeds, in the shared template."""
    kept = {k: v for k, v in layout.items() if not (k in _OMITTED_WHEN_EMPTY and v == [])}
    return {"data": data, "layout": {"template": {"layout": copy.deepcopy(_TEMPLATE_LAYOUT)}, **kept}}


def trace(kind: str, **props: Any) -> Trace:
    """A trace of plotly.js type `kind`; a property given as None is left unset, as plotly's own
    constructors leave it."""
    return {"type": kind, **{key: value for key, value in props.items() if value is not None}}


def scatter(**props: Any) -> Trace:
    """A line, marker or text trace (plotly.js `scatter`)."""
    return trace("scatter", **props)


def bar(**props: Any) -> Trace:
    """A bar trace (plotly.js `bar`)."""
    return trace("bar", **props)


def heatmap(**props: Any) -> Trace:
    """A heatmap trace (plotly.js `heatmap`)."""
    return trace("heatmap", **props)


class Dates:
    """Day numbers of one scenario to the ISO date strings Plotly puts on date axes."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario

    def __call__(self, days: float | None) -> str | None:
        day = self.scenario.date_of(days)
        return None if day is None else day.isoformat()

    def many(self, days: Sequence[float | None]) -> list[str | None]:
        return [self(d) for d in days]


def vline_trace(x: str, name: str, color: str, dash: str, visible: bool) -> Trace:
    """A vertical line from 0 to 1 on a probability axis, as a trace (so it has a legend entry)."""
    return scatter(
        x=[x, x],
        y=[0, 1],
        mode="lines",
        name=name,
        line={"color": color, "width": 2, "dash": dash},
        hovertemplate=f"{in_template(name)}<extra></extra>",
        visible=visible,
    )


def vertical_line(x: str | None, color: str, dash: str, width: float = 2) -> dict[str, Any]:
    """A vertical line at date `x` across the whole plot height, as a layout shape."""
    return {
        "type": "line",
        "xref": "x",
        "x0": x,
        "x1": x,
        "yref": "paper",
        "y0": 0,
        "y1": 1,
        "line": {"color": color, "width": width, "dash": dash},
    }


def reference_lines() -> list[dict[str, Any]]:
    """Faint horizontal lines at 50 % and 80 %, where readers look for the median and P80."""
    return [
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": level,
            "y1": level,
            "line": {"color": "#bbbbbb", "width": 1, "dash": "dot"},
            "layer": "below",
        }
        for level in (0.5, 0.8)
    ]


def minor_ticks(**props: Any) -> dict[str, Any]:
    """Short unlabelled ticks between an axis's labelled ones (Plotly never labels minor ticks)."""
    return {"ticks": "outside", "ticklen": 3, "tickcolor": "#bbbbbb", "showgrid": False, **props}


def date_axis() -> dict[str, Any]:
    """What every date x axis shares: minor ticks between the labelled ones (a year between
    five-year labels, a quarter between years), so a reader can place a date between labels."""
    return {"type": "date", "minor": minor_ticks()}


def probability_axis() -> dict[str, Any]:
    """The y axis of a P(done by date) curve: 0 to 100 % in steps of 20 %."""
    return {
        "title": {"text": "Likelihood done by then"},
        "tickformat": ".0%",
        "range": [0, 1.03],
        "dtick": 0.2,
    }


def as_of_marks(scenario: Scenario) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The status date (`as_of`) as a labelled vertical line: (shapes, annotations)."""
    if scenario.as_of is None:
        return [], []
    x = scenario.as_of.isoformat()
    note = {
        "x": x,
        "xref": "x",
        "y": 0,
        "yref": "paper",
        "text": f" as of {x}",
        "showarrow": False,
        "xanchor": "left",
        "yanchor": "bottom",
        "font": {"color": GREEN, "size": 12},
    }
    return [vertical_line(x, GREEN, "longdash", 1.5)], [note]


def cdf_xy(curve: Cdf, dates: Dates, extend_to: float | None) -> tuple[list[str | None], list[float]]:
    """The CDF as step-plot points: from 0 at the first finish to the plateau at `extend_to`."""
    if not curve.days:
        return [], []
    days = [curve.days[0], *curve.days]
    p = [0.0, *curve.p]
    if extend_to is not None and extend_to > days[-1]:
        days.append(extend_to)
        p.append(curve.done)
    return dates.many(days), p


def view(result: Result, mid: str) -> list[dt.date]:
    """Dates a chart of `mid` should show: the bulk of its finishes, its target, plan and actual.

    The bulk is the 0.5th to 99.5th percentile of the completed iterations, so one freak
    iteration decades out does not squash the curve; zooming out still shows it.
    """
    scenario = result.scenario
    days = [v for v in completed_percentiles(result.distribution(mid), (0.5, 99.5)) if v is not None]
    spec = scenario.milestones[mid]
    for extra in (spec.target, result.plan_of(mid), spec.actual, scenario.as_of_days):
        if extra is not None and math.isfinite(extra):
            days.append(float(extra))
    if not days:
        days = [0.0, scenario.horizon_days]
    out = [scenario.date_of(d) for d in days]
    return [d for d in out if d is not None]


def date_range(points: Sequence[dt.date]) -> list[str]:
    """An axis range around `points`, padded by 3 % of the span (at least two months) each side."""
    low, high = min(points), max(points)
    pad = int(max(60.0, 0.03 * (high - low).days))
    # Clamped to the calendar Python knows (year 1 to 9999): a target may sit at either end.
    first = dt.date.fromordinal(max(low.toordinal() - pad, 1))
    last = dt.date.fromordinal(min(high.toordinal() + pad, dt.date.max.toordinal()))
    return [first.isoformat(), last.isoformat()]


def menu(buttons: list[dict[str, Any]], active: int) -> list[dict[str, Any]]:
    """A dropdown at the top left that switches between views of one chart."""
    return [
        {
            "type": "dropdown",
            "buttons": buttons,
            "active": active,
            "direction": "down",
            "showactive": True,
            "x": 0,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "bottom",
            "pad": {"t": 4, "b": 8},
            "bgcolor": "#ffffff",
            "bordercolor": "#999999",
            "font": {"size": 13},
        }
    ]


def menu_height(entries: int, height: int) -> int:
    """A chart tall enough that its dropdown's every entry shows without scrolling (Plotly draws
    them 35 px apart, below a header about 80 px down), and never shorter than `height`."""
    return max(height, 110 + 35 * entries) if entries > 1 else height


def scurve_title(title: str) -> str:
    """The title of an S-curve view of the milestone called `title`."""
    return f"How likely is <b>{esc(short(title, 70))}</b> to be done by each date?"


def scurve_buttons(titles: list[str], owner: list[int], ranges: list[list[str]]) -> list[dict[str, Any]]:
    """Dropdown buttons that show the `k`-th S-curve view: the traces whose `owner` is k, its
    title (the milestone called `titles[k]`) and its date range `ranges[k]`."""
    return [
        {
            "label": esc(short(title)),
            "method": "update",
            "args": [
                {"visible": [o == k for o in owner]},
                {
                    "title.text": scurve_title(title),
                    "xaxis.range": ranges[k],
                    "xaxis.autorange": False,
                },
            ],
        }
        for k, title in enumerate(titles)
    ]


def milestone_labels(scenario: Scenario, mids: Sequence[str]) -> dict[str, str]:
    """Axis labels for milestones: their titles, with the id added where titles repeat."""
    titles = [scenario.milestones[m].title for m in mids]
    return {
        m: esc(short(t, 48) if titles.count(t) == 1 else f"{short(t, 40)} ({m})")
        for m, t in zip(mids, titles, strict=True)
    }
