"""The HTML report: contents, sentences, escaping, size and atomic writing (no browser needed).

Results are built by hand here (numpy arrays and a hand-made Scenario), so these tests pin the
report's behaviour independently of the simulator; tests at the end also run real scenarios.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html as html_module
import itertools
import json
import math
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import markupsafe
import numpy as np
import pytest

from sim.analysis.aggregates import cdf, convergence, histogram, quantile_band
from sim.analysis.results import RandomInput, Result
from sim.analysis.summary import tool_version
from sim.errors import OutputError
from sim.percentiles import PERCENTILES
from sim.report import views as report_views
from sim.report import write_comparison, write_report
from sim.report.charts.conditioned import settled_branch
from sim.report.headline import headline, headlines, percent
from sim.report.markdown import linkify, render
from sim.scenario.model import Branch, Milestone, Predecessor, Risk, Scenario

ROOT = Path(__file__).resolve().parent.parent
INF = math.inf
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"
XSS = XSS_SCRIPT + XSS_IMG


# --- building results by hand ---------------------------------------------------------------


def build_result(
    n: int = 2000,
    seed: int = 1,
    milestones: int = 6,
    text: str = "",
    name: str = "Synthetic lunar base",
) -> Result:
    """A made-up programme: a decision, a done milestone, a chain with two predecessors each.

    m0 is a three-way decision, m1 is already done (`actual`), and every later milestone waits
    for the two before it. Two risks stretch durations; the headline (last) milestone never
    completes in about 5 % of iterations. `text` is appended to every user-visible string.
    """
    rng = np.random.default_rng(seed)
    ids = tuple(["decision" + (text and "-x"), "done", *[f"m{k}" for k in range(2, milestones)]])
    last = ids[-1]
    branches = (
        Branch("leave-early" + text, 0.5),
        Branch("stay" + text, 0.4),
        Branch("stay-long", 0.1),
    )
    spec: dict[str, Milestone] = {
        ids[0]: Milestone(
            ids[0],
            "Partner decision" + text,
            None,
            branches=branches,  # type: ignore[arg-type]
            source="Press release https://example.org/a?b=1&c=2 " + text,
        ),
        ids[1]: Milestone(
            ids[1],
            "Orbiter launched" + text,
            None,
            actual=200.0,  # type: ignore[arg-type]
            target=180.0,
            source="javascript:alert(1) " + text,
        ),
    }
    for k in range(2, milestones):
        mid = ids[k]
        spec[mid] = Milestone(
            mid,
            (f"Stage {k}" if mid != last else "Base built") + text,
            None,  # type: ignore[arg-type]
            after=(Predecessor(ids[k - 1]), Predecessor(ids[k - 2])),
            target=400.0 * k if k in (3, milestones - 1) else None,
            source=f"Roadmap table {k} http://example.org/{k}" + text,
        )
    risks = {
        "sanctions": Risk("sanctions", "Sanctions tighten" + text, 0.6, source="Analyst" + text),
        "launch-failure": Risk("launch-failure", "Launch failure", 0.15),
    }
    scenario = Scenario(
        name=name + text,
        start=dt.date(2022, 4, 21),
        horizon=dt.date(2072, 4, 21),
        milestones=spec,
        headline=last,
        description="A **made-up** programme for *tests*; see [the docs](https://example.org) "
        "and `code`.\n\n- first\n- second\n" + text,
        as_of=dt.date(2022, 11, 1),
        risks=risks,
        seed=seed,
        path=Path("scenarios/synthetic.yaml"),
        sha256="0123456789abcdef" * 4,
    )
    m = len(ids)
    finish = np.zeros((m, n))
    driver = np.full((m, n), -1, dtype=np.int64)
    outcome = rng.choice(3, size=n, p=[0.5, 0.4, 0.1])
    sanctions = rng.random(n) < 0.6
    failure = rng.random(n) < 0.15
    finish[0] = np.choose(outcome, [900.0, 2200.0, 2900.0])
    finish[1] = 200.0
    durations = {}
    for k in range(2, m):
        d = rng.lognormal(math.log(300 + 40 * k), 0.35, n)
        durations[ids[k]] = d
        a, b = finish[k - 1], finish[k - 2]
        start = np.maximum(a, b)
        driver[k] = np.where(a >= b, k - 1, k - 2)
        finish[k] = start + d * np.where(sanctions, 1.3, 1.0) * np.where(failure, 1.2, 1.0)
    finish[m - 1, rng.random(n) < 0.05] = INF
    finish[finish > scenario.horizon_days] = INF
    inputs = [
        RandomInput(f"duration:{mid}", f"Duration of {spec[mid].title}", "duration", d)
        for mid, d in durations.items()
    ]
    inputs += [
        RandomInput("risk:sanctions", "Sanctions tighten" + text, "risk", sanctions * 1.0),
        RandomInput("risk:launch-failure", "Launch failure", "risk", failure * 1.0),
    ]
    inputs += [
        RandomInput(
            f"decision:{ids[0]}={b.id}",
            f"Partner decision = {b.id}",
            "decision",
            (outcome == i) * 1.0,
        )
        for i, b in enumerate(branches)
    ]
    plan = np.array([900.0, 200.0, *[900.0 + 330.0 * (k - 1) for k in range(2, m)]])
    return Result(
        scenario=scenario,
        milestone_ids=ids,
        finish=finish,
        driver=driver,
        plan_days=plan,
        inputs=inputs,
        risk_occurred={"sanctions": sanctions, "launch-failure": failure},
        outcome={ids[0]: outcome},
        seed=seed,
        engine="vector",
        workers=2,
        seconds=1.5,
    )


def xss_result(n: int = 500) -> Result:
    return build_result(n, text=XSS, name="Evil")


#: Figures in a build_result report: S-curve, histogram, timeline, tornado, criticality,
#: one per decision, convergence.
EXPECTED_FIGURES = 7


def single(
    finish: list[float],
    target: float | None = None,
    actual: float | None = None,
    title: str = "Facilities built",
) -> Result:
    """One milestone with the given finish days; start 2022-01-01, horizon 2072-01-01."""
    spec = {"fb": Milestone("fb", title, None, target=target, actual=actual)}  # type: ignore[arg-type]
    scenario = Scenario(
        name="one",
        start=dt.date(2022, 1, 1),
        horizon=dt.date(2072, 1, 1),
        milestones=spec,
        headline="fb",
    )
    x = np.array([finish], dtype=float)
    return Result(scenario, ("fb",), x, np.full(x.shape, -1), np.array([x[0][0]]))


def figures_of(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="lunarsim-figures">(.*?)</script>', html, re.S)
    assert block is not None
    return json.loads(block.group(1))


def lead_text(html: str) -> str:
    """The headline paragraph as a reader sees it: tags stripped, entities decoded."""
    lead = re.search(r'<p class="lead">(.*?)</p>', html, re.S)
    assert lead is not None
    return html_module.unescape(re.sub(r"<[^>]+>", "", lead.group(1))).replace("\xa0", " ")


def without_plotly(html: str) -> str:
    stripped, count = re.subn(r'<script id="plotly-js">.*?</script>', "", html, flags=re.S)
    assert count == 1, "plotly.js must be embedded exactly once"
    return stripped


# --- headline sentences -----------------------------------------------------------------------

TEN = [100.0 * k for k in range(1, 11)]  # 100, 200, ..., 1000 days after 2022-01-01


# Ten runs pin nothing down, so these sentences carry the run's precision. The 95 % band of the
# p-quantile is [X_(l), X_(u)], l, u = n p -/+ 1.96 sqrt(n p (1 - p)) (sim.analysis.aggregates.quantile_band):
# median l = floor(1.90) = 1, u = ceil(8.10) = 9 -> [100, 900], ± 400 d = 13.1 months -> "± 13";
# P80 l = floor(5.52) = 5, u = ceil(10.48) clipped to 10 -> [500, 1000], ± 250 d = 8.2 -> "± 8".
PRECISION_OF_TEN = "median 2023-05 (± 13 months); 80 % likely by 2024-03 (± 8 months at 10 runs)"


def test_headline_with_target_median_and_p80() -> None:
    # P(<= 450) = 4/10. Median: the 5th smallest (ceil(0.5*10)) = 500 days -> 2023-05-16.
    # P80: the 8th smallest = 800 days -> 2024-03-11. Target 450 d -> 2023-03-27.
    line = headline(single(TEN, target=450.0), "fb")
    assert line.text == f"Facilities built: 40 % likely by the 2023-03-27 target; {PRECISION_OF_TEN}"
    # Runs for a month either side: 10 (400 / (0.95 * 30.436875))^2 = 1,914 -> 2,000 (two figures).
    assert line.advice == "About 2,000 runs would pin P50 and P80 down to within a month."


def test_headline_without_target() -> None:
    text = headline(single(TEN), "fb").text
    assert text == f"Facilities built: {PRECISION_OF_TEN}"


def test_headline_leaves_out_a_precision_finer_than_a_month() -> None:
    # 1,000 runs spread over 100 days: the bands are a few days wide, so no "±" and no advice.
    x = list(np.linspace(100.0, 200.0, 1000))
    line = headline(single(x), "fb")
    assert "±" not in line.text and line.advice is None
    assert line.text == "Facilities built: median 2022-05; 80 % likely by 2022-06"


def test_headline_when_some_never_finish() -> None:
    # One of ten never: the median (5th smallest) and P80 (8th smallest) are still dates, but the
    # P80 band reaches the never (X_(10)), so it is not pinned down.
    x = [*TEN[:9], INF]
    line = headline(single(x, target=450.0), "fb")
    assert line.text == (
        "Facilities built: 40 % likely by the 2023-03-27 target; median 2023-05 (± 13 months); "
        "80 % likely by 2024-03 (not pinned down at 10 runs); 10 % never done by 2072-01-01"
    )
    assert line.advice is not None and "reaches past the horizon" in line.advice


def test_headline_when_p80_is_never() -> None:
    # Three of ten never: P80 is the 8th smallest, a never, so its clause is left out; the
    # median's band reaches X_(9), a never too.
    x = [*TEN[:7], INF, INF, INF]
    assert headline(single(x), "fb").text == (
        "Facilities built: median 2023-05 (not pinned down at 10 runs); 30 % never done by 2072-01-01"
    )


def test_headline_when_never_is_more_likely() -> None:
    x = [*TEN[:4], *[INF] * 6]
    assert headline(single(x, target=450.0), "fb").text == (
        "Facilities built: 40 % likely by the 2023-03-27 target; "
        "more likely never than by the horizon; 60 % never done by 2072-01-01"
    )


def test_headline_when_nothing_ever_finishes() -> None:
    assert headline(single([INF] * 10, target=450.0), "fb").text == (
        "Facilities built: 0 % likely by the 2023-03-27 target; "
        "never done by 2072-01-01 in any simulated future"
    )


def test_headline_of_a_milestone_already_done() -> None:
    x = [200.0] * 10
    assert headline(single(x, target=180.0, actual=200.0), "fb").text == (
        "Facilities built: done on 2022-07-20; the target was 2022-06-30"
    )


def test_headlines_list_the_headline_first_then_targeted_milestones_in_plan_order() -> None:
    result = build_result(300)
    lines = headlines(result)
    assert [h.milestone for h in lines] == ["m5", "done", "m3"]
    assert lines[0].text.startswith("Base built: ")


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.0, "0 %"),
        (0.004, "< 1 %"),
        (0.005, "1 %"),
        (0.41, "41 %"),
        (0.994, "99 %"),
        (0.996, "> 99 %"),
        (1.0, "100 %"),
    ],
)
def test_percent_never_rounds_to_a_false_certainty(p: float, text: str) -> None:
    assert percent(p) == text


# --- Markdown subset ------------------------------------------------------------------------


def test_markdown_subset() -> None:
    html = render(
        "A **bold** and *em* `<b>x</b>`; see [docs](https://e.org/?a=1&b=2).\n\n"
        "- one\n- two http://x.org/p\n\n1. first\n2. second"
    )
    assert str(html) == (
        "<p>A <strong>bold</strong> and <em>em</em> <code>&lt;b&gt;x&lt;/b&gt;</code>; see "
        '<a href="https://e.org/?a=1&amp;b=2" rel="noopener noreferrer">docs</a>.</p>\n'
        '<ul>\n<li>one</li>\n<li>two <a href="http://x.org/p" rel="noopener noreferrer">'
        "http://x.org/p</a></li>\n</ul>\n"
        "<ol>\n<li>first</li>\n<li>second</li>\n</ol>"
    )


@pytest.mark.parametrize(
    "source",
    [
        XSS,
        "[click](javascript:alert(1))",
        "[click](javascript:alert`1`)",
        "[x](data:text/html,<script>alert(1)</script>)",
        '[x](https://e.org/" onmouseover="alert(1))',
        "<a href='javascript:alert(1)'>x</a>",
        "**<script>**alert(1)**</script>**",
    ],
)
def test_markdown_never_emits_markup_from_the_input(source: str) -> None:
    html = str(render(source)) + str(linkify(source))
    tags = re.findall(r"<\s*([a-zA-Z]+)([^>]*)>", html)
    assert {t for t, _ in tags} <= {"p", "a", "strong", "em", "code", "ul", "ol", "li"}
    for tag, attributes in tags:
        assert "on" not in re.findall(r"\s(on)\w*=", attributes)
        if tag == "a":
            href = re.search(r'href="([^"]*)"', attributes)
            assert href is not None and href.group(1).startswith(("http://", "https://", "mailto:"))


def test_linkify_only_links_web_and_mail_urls() -> None:
    assert str(linkify("CNSA, https://cnsa.gov.cn/a?b=1&c=2. mailto:x@y.z javascript:alert(1)")) == (
        'CNSA, <a href="https://cnsa.gov.cn/a?b=1&amp;c=2" rel="noopener noreferrer">'
        'https://cnsa.gov.cn/a?b=1&amp;c=2</a>. <a href="mailto:x@y.z" rel="noopener noreferrer">'
        "mailto:x@y.z</a> javascript:alert(1)"
    )


def test_only_text_naming_its_scheme_becomes_a_link() -> None:
    # "sources.md" and "memim.com" are domains to a fuzzy matcher, but in a scenario they name a
    # file and a publication: linking them would send readers to a stranger's site.
    text = "sources.md §3c; memim.com; www.example.org; a@b.org; docs/sources.md"
    assert str(linkify(text)) == "sources.md §3c; memim.com; www.example.org; a@b.org; docs/sources.md"
    assert "<a " not in str(render(text))


def test_a_host_with_the_root_dot_is_linked_whole() -> None:
    url = "https://powershow.com./view/11ab0e-NjBjM/Schedule_and_Cost_Growth_powerpoint_ppt_presentation"
    assert str(linkify(f"copy, {url}. Next")) == (
        f'copy, <a href="{url}" rel="noopener noreferrer">{url}</a>. Next'
    )
    # A sentence's full stop after a host is still not part of the link.
    assert str(linkify("see https://example.org. Then")) == (
        'see <a href="https://example.org" rel="noopener noreferrer">https://example.org</a>. Then'
    )


def test_nested_link_in_a_bare_url_stays_inside_one_href() -> None:
    html = str(render("http://a.example/[y](http://b.example/style=position:fixed;\"onclick=x)"))
    assert html == (
        '<p><a href="http://a.example/%5By%5D(http://b.example/style=position:fixed;%22onclick=x)" '
        'rel="noopener noreferrer">http://a.example/[y](http://b.example/style=position:fixed;'
        "&quot;onclick=x)</a></p>"
    )


def test_bidi_controls_are_shown_as_code_points() -> None:
    assert str(render("a\u202eb\u2066c")) == "<p>a\\u202eb\\u2066c</p>"
    assert str(linkify("x\u202dy")) == "x\\u202dy"


# --- aggregates -------------------------------------------------------------------------------


def test_cdf_plateaus_at_the_done_fraction() -> None:
    x = np.array([5.0, 1.0, 3.0, 3.0, INF])
    curve = cdf(x)
    assert curve.days == [1.0, 3.0, 5.0]
    assert curve.p == [0.2, 0.6, 0.8]  # ties counted together; never not counted
    assert curve.done == 0.8
    # Whole days: both finishes on day 1 count by the end of day 1, as in Result.p_by.
    fractional = cdf(np.array([1.7, 1.2, 3.5, INF]))
    assert (fractional.days, fractional.p) == ([1.0, 3.0], [0.5, 0.75])
    empty = cdf(np.array([INF, INF]))
    assert (empty.days, empty.done) == ([], 0.0)


def test_histogram_shares_and_never_sum_to_one() -> None:
    result = build_result(3000)
    x = result.finish_of("m5")
    hist = histogram(x, result.scenario)
    assert len(hist.shares) <= 60
    assert sum(hist.shares) + hist.never == pytest.approx(1.0, abs=1e-12)
    assert hist.never == pytest.approx(float(np.isinf(x).mean()), abs=1e-12)
    assert all(s.day == 1 and (s.month - 1) % min(hist.months_per_bin, 12) == 0 for s in hist.starts)


def test_quantile_band_covers_the_true_median_about_95_percent_of_the_time() -> None:
    # 2000 samples of n = 201 uniforms; true median 0.5. Coverage of a nominal 95 % interval
    # has binomial sd sqrt(0.95 * 0.05 / 2000) = 0.0049; the order-statistic interval with
    # rounding outwards is slightly conservative, so accept 0.93 .. 0.985 (> 4 sd either way).
    rng = np.random.default_rng(11)
    samples = np.sort(rng.random((2000, 201)), axis=1)
    covered = 0
    for row in samples:
        low, high = quantile_band(row, 0.5)
        assert low is not None and high is not None
        covered += low <= 0.5 <= high
    assert 0.93 <= covered / 2000 <= 0.985


def test_convergence_grid_is_log_spaced_and_ends_at_all_iterations() -> None:
    x = np.random.default_rng(2).normal(1000, 100, 10_000)
    runs = convergence(x)
    counts = [pt.iterations for pt in runs[50]]
    assert counts[0] == 100 and counts[-1] == 10_000
    assert all(b > a for a, b in itertools.pairwise(counts))
    final = runs[80][-1]
    assert final.low <= final.estimate <= final.high
    assert final.estimate == np.percentile(x, 80, method="inverted_cdf")


# --- the report file ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def result() -> Result:
    return build_result(4000)


@pytest.fixture(scope="module")
def report_html(result: Result, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = write_report(result, tmp_path_factory.mktemp("report"))
    assert path.name == "synthetic.html"
    return path.read_text(encoding="utf-8")


def test_report_holds_every_section_in_order(report_html: str) -> None:
    positions = [
        report_html.index(f'id="{section}"')
        for section in (
            "answer",
            "fig-scurve",
            "spread",
            "milestones",
            "drivers",
            "decisions",
            "convergence",
            "table",
            "about",
        )
    ]
    assert positions == sorted(positions)
    figures = figures_of(report_html)
    assert len(figures) == EXPECTED_FIGURES
    assert set(figures) == set(re.findall(r'<div class="plot" id="([^"]+)"', report_html))
    assert "Base built</strong>: " in report_html  # the headline sentence


def test_scurve_plateaus_below_one_and_has_a_selector(report_html: str, result: Result) -> None:
    fig = figures_of(report_html)["fig-scurve"]
    first = fig["data"][0]
    assert first["visible"] is True
    assert first["y"][-1] == pytest.approx(result.done_fraction("m5"))
    assert first["y"][-1] < 1.0
    buttons = fig["layout"]["updatemenus"][0]["buttons"]
    assert len(buttons) == len(result.milestone_ids)
    names = [t["name"] for t in fig["data"] if t["visible"]]
    assert any(n.startswith("Target 2027-10-12") for n in names)  # m5's target, 2000 days
    assert any(n.startswith("Deterministic plan") for n in names)
    # The done milestone is marked as done on its actual date.
    done = buttons[2]["args"][0]["visible"]  # order: headline, then plan order
    assert any(t["name"] == "Done 2022-11-07 (actual)" for t, v in zip(fig["data"], done, strict=True) if v)
    assert {"x0": "2022-11-01"}.items() <= fig["layout"]["shapes"][-1].items()  # as_of


def test_histogram_keeps_the_never_share(report_html: str, result: Result) -> None:
    never_bar = figures_of(report_html)["fig-histogram"]["data"][1]
    assert never_bar["x"] == ["never by 2072-04-21"]
    assert never_bar["y"][0] == pytest.approx(1 - result.done_fraction("m5"))
    assert never_bar["y"][0] > 0.02


def test_table_and_csv_hold_every_percentile(report_html: str, result: Result) -> None:
    href = re.search(r'href="data:text/csv;charset=utf-8,([^"]+)"', report_html)
    assert href is not None
    rows = unquote(href.group(1)).strip().split("\n")
    assert rows[0].split(",") == [
        "milestone",
        "title",
        "plan",
        "target",
        "p_target",
        "done_fraction",
        *[f"p{p}" for p in PERCENTILES],
    ]
    assert len(rows) == 1 + len(result.milestone_ids)
    cells = dict(zip(rows[0].split(","), rows[-1].split(","), strict=True))
    scenario = result.scenario
    for p in PERCENTILES:
        days = result.percentile_days("m5", p)
        expected = "" if days is None else scenario.date_of(days).isoformat()
        assert cells[f"p{p}"] == expected
        if expected:
            assert expected in report_html
    assert float(cells["done_fraction"]) == pytest.approx(result.done_fraction("m5"), abs=1e-4)


def test_decision_rows_split_the_headline_probability_exactly() -> None:
    # Law of total probability: sum over outcomes of share * P(target | outcome) = P(target).
    # Finishes at half past a whole day, and a target on such a day, make the whole-target-day
    # rule of Result.p_by matter (x <= target would miss them).
    result = build_result(3000)
    result.finish[-1] = np.floor(result.finish[-1]) + 0.5
    done = result.finish[-1][np.isfinite(result.finish[-1])]
    target = float(np.floor(np.median(done)))
    head = result.scenario.milestones["m5"]
    milestones = {**result.scenario.milestones, "m5": dataclasses.replace(head, target=target)}
    result.scenario = dataclasses.replace(result.scenario, milestones=milestones)
    (view,) = report_views.decisions(result)
    assert [row.label for row in view.rows] == ["leave-early", "stay", "stay-long"]
    total = sum(row.observed * row.p_target for row in view.rows)
    assert total == pytest.approx(result.p_by("m5", target), abs=1e-12)
    assert result.p_by("m5", target) > float((result.finish[-1] <= target).mean())


def test_provenance_footer(report_html: str) -> None:
    for needle in (
        "scenarios/synthetic.yaml",
        "0123456789abcdef" * 4,
        "4,000",
        "vector, 2 workers",
        "1.5 s",
        'Roadmap table 3 <a href="http://example.org/3"',
        "A <strong>made-up</strong> programme",
        tool_version(),
    ):
        assert needle in report_html


def test_report_is_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "reports"
    result = build_result(300)
    seen_during_write: list[list[str]] = []

    def fail_fsync(fd: int) -> None:
        seen_during_write.append(sorted(os.listdir(out)))
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", fail_fsync)
    with pytest.raises(OutputError, match=r"synthetic\.html: cannot write here: disk full$"):
        write_report(result, out)
    assert len(seen_during_write) == 1 and seen_during_write[0][0].endswith(".tmp")
    assert os.listdir(out) == []  # no report and no temporary file left
    monkeypatch.undo()

    path = write_report(result, out)
    before = path.read_bytes()
    monkeypatch.setattr(os, "fsync", fail_fsync)
    with pytest.raises(OutputError):
        write_report(result, out)
    assert os.listdir(out) == [path.name]  # the old report survives whole
    assert path.read_bytes() == before


def test_report_size_at_100k_iterations(tmp_path: Path) -> None:
    result = build_result(100_000, milestones=24)
    path = write_report(result, tmp_path)
    html = path.read_text(encoding="utf-8")
    data_bytes = len(without_plotly(html).encode("utf-8"))
    assert data_bytes < 5_000_000, f"report without plotly.js is {data_bytes:,} bytes"


def test_user_text_is_escaped_everywhere(tmp_path: Path) -> None:
    html = write_report(xss_result(), tmp_path).read_text(encoding="utf-8")
    rest = without_plotly(html)
    assert XSS_SCRIPT not in rest and XSS_IMG not in rest
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rest  # shown as text, not dropped

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.append((tag, attrs))

    parser = Tags()
    parser.feed(rest)
    names = {tag for tag, _ in parser.tags}
    assert "img" not in names
    scripts = [dict(attrs).get("id") for tag, attrs in parser.tags if tag == "script"]
    assert scripts == ["lunarsim-figures", "lunarsim-render", "lunarsim-watch"]  # plotly-js removed above
    for tag, attrs in parser.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            if name == "href":
                assert value is not None
                assert value.startswith(("#", "http://", "https://", "data:text/csv")), value
    # Inside the figure JSON, user strings are HTML-escaped for Plotly's text renderer, and no
    # raw "<" can end the script element early.
    block = re.search(r'id="lunarsim-figures">(.*?)</script>', rest, re.S)
    assert block is not None and "<" not in block.group(1)
    text = json.dumps(json.loads(block.group(1)))
    assert XSS_SCRIPT not in text and XSS_IMG not in text
    assert "&lt;script&gt;" in text


def test_content_security_policy_allows_only_the_page_scripts(report_html: str) -> None:
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', report_html)
    assert csp is not None
    text = html_module.unescape(csp.group(1))
    policy = dict(part.strip().split(" ", 1) for part in text.split(";"))
    assert policy["default-src"] == "'none'"
    hashes = policy["script-src"].split()
    # plotly.js, the figure renderer and the live-reload script of `sim.cli.watch`, each by hash.
    assert len(hashes) == 3 and all(h.startswith("'sha256-") for h in hashes)
    assert "unsafe" not in policy["script-src"]
    # The page may connect only to where it came from (the watch server's event stream).
    assert policy["connect-src"] == "'self'"


def test_comparison_contains_both_scenarios(tmp_path: Path) -> None:
    a = build_result(1000, seed=1, name="Announced plan")
    b = build_result(1000, seed=2, name="Sanctions world")
    path = write_comparison([a, b], tmp_path)
    assert path.name == "compare-synthetic-vs-synthetic.html"
    html = path.read_text(encoding="utf-8")
    assert "<h1>Comparison: Announced plan vs Sanctions world</h1>" in html
    figures = figures_of(html)
    assert set(figures) == {"fig-compare-scurve", "fig-compare-timeline"}
    shown = [t["name"] for t in figures["fig-compare-scurve"]["data"] if t["visible"]]
    assert "Announced plan" in shown and "Sanctions world" in shown
    for r in (a, b):
        p50 = r.scenario.date_of(r.percentile_days("m5", 50)).isoformat()
        assert p50 in html
    csv = unquote(re.search(r'href="data:text/csv;charset=utf-8,([^"]+)"', html).group(1))
    assert csv.count("Announced plan,") == csv.count("Sanctions world,") == len(a.milestone_ids)
    titled = write_comparison([a, b], tmp_path / "t", title="ISS <exit> options")
    assert "<h1>ISS &lt;exit&gt; options</h1>" in titled.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="at least one"):
        write_comparison([], tmp_path)


@pytest.mark.parametrize(
    "finish",
    [[INF] * 5, [INF], [100.0], [50.0] * 10],
    ids=["all-never", "one-never", "one-done", "all-equal"],
)
def test_degenerate_results_still_make_a_report(finish: list[float], tmp_path: Path) -> None:
    # No inputs, no decisions, no risks: the tornado and decision figures are left out.
    result = single(finish, target=60.0)
    html = write_report(result, tmp_path).read_text(encoding="utf-8")
    assert set(figures_of(html)) == {
        "fig-scurve",
        "fig-histogram",
        "fig-timeline",
        "fig-criticality",
        "fig-convergence",
    }
    assert "no random inputs" in html
    assert lead_text(html) == headline(result, "fb").text


def test_importing_the_report_package_does_not_load_plotly_or_jinja() -> None:
    code = (
        "import sys, sim.report, sim.analysis.sensitivity; "
        "print(sorted(m for m in ('plotly', 'jinja2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


# --- bundled scenarios, simulated for real ------------------------------------------------------

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def simulated() -> dict[str, Result]:
    import sim

    return {p.stem: sim.simulate(sim.load(p), iterations=1000, seed=7) for p in SCENARIOS}


@pytest.mark.parametrize("stem", [p.stem for p in SCENARIOS])
def test_bundled_scenario_report(stem: str, simulated: dict[str, Result], tmp_path: Path) -> None:
    result = simulated[stem]
    scenario = result.scenario
    path = write_report(result, tmp_path)
    assert path.name == f"{stem}.html"
    html = path.read_text(encoding="utf-8")
    # A decision that went one way in every run is a sentence, not a chart.
    open_decisions = [c for c in result.outcome.values() if settled_branch(c) is None]
    assert len(figures_of(html)) == 5 + bool(result.inputs) + len(open_decisions)
    assert lead_text(html) == headline(result, scenario.headline).text
    assert scenario.sha256 is not None and scenario.sha256 in html
    for p in (10, 50, 90):
        day = scenario.date_of(result.percentile_days(scenario.headline, p))
        assert (day.isoformat() if day else "never") in html


def test_bundled_scenarios_compare(simulated: dict[str, Result], tmp_path: Path) -> None:
    if len(simulated) < 2:
        pytest.skip("needs two bundled scenarios")
    results = list(simulated.values())
    html = write_comparison(results, tmp_path).read_text(encoding="utf-8")
    for r in results:
        # Escaped as the templates escape (an apostrophe is &#39;, not html.escape's &#x27;).
        assert str(markupsafe.escape(r.scenario.name)) in html


# --- labels, settled decisions, branch titles --------------------------------------------------


def test_signed_numbers_never_read_minus_zero() -> None:
    from sim.report.style import signed

    shown = [signed(v) for v in (-0.004, 0.004, 0.0, -0.006, 0.456)]
    assert shown == ["0.00", "0.00", "0.00", "-0.01", "+0.46"]
    assert signed(-0.0004, 3) == "0.000"


def test_short_words_cuts_at_a_word_boundary() -> None:
    from sim.report.style import short_words

    text = "Chang'e-8 lands at the ILRS site: failed attempts before it works"
    assert short_words(text, 44) == "Chang'e-8 lands at the ILRS site: failed…"
    assert short_words("short", 44) == "short"


def test_a_decision_settled_in_every_run_is_a_sentence_not_a_chart(tmp_path: Path) -> None:
    result = build_result(400)
    decision = result.milestone_ids[0]
    settled = dataclasses.replace(result, outcome={decision: np.zeros(400, dtype=np.int32)})
    html = write_report(settled, tmp_path).read_text(encoding="utf-8")
    assert "fig-decision-0" not in figures_of(html)
    assert "Settled: in every simulated future this decision went <strong>leave-early</strong>" in html
    # The open decision of the unsettled run still has its chart.
    assert "fig-decision-0" in figures_of(write_report(result, tmp_path / "open").read_text(encoding="utf-8"))


def test_branch_titles_name_decision_outcomes(write) -> None:
    import sim
    from sim.report.views import decisions

    path = write(
        """
        name: Titles
        start: 2030-01-01
        milestones:
          pick:
            duration: 10d
            branches:
              a: {title: Go ahead now, probability: 0.5, effects: []}
              b: {probability: 0.5, effects: []}
          done: {after: [pick], duration: {uniform: [10d, 20d]}}
        """
    )
    result = sim.simulate(sim.load(path), iterations=200, seed=1)
    assert [b.name for b in result.scenario.milestones["pick"].branches] == ["Go ahead now", "b"]
    assert [row.label for row in decisions(result)[0].rows] == ["Go ahead now", "b"]


def test_scurve_marks_p50_and_p80_and_histogram_starts_at_the_data(report_html: str, result: Result) -> None:
    figs = figures_of(report_html)
    head = result.scenario.headline
    marks = next(t for t in figs["fig-scurve"]["data"] if t.get("name") == "P50 and P80")
    p50 = result.scenario.date_of(result.percentile_days(head, 50))
    assert marks["y"] == [0.5, 0.8] and marks["text"][0] == f"P50 {p50.isoformat()[:7]} "  # to the month
    assert figs["fig-scurve"]["layout"]["xaxis"]["title"]["text"] == "Completion date"
    low = dt.date.fromisoformat(figs["fig-histogram"]["layout"]["xaxis"]["range"][0])
    first = result.scenario.date_of(float(np.nanmin(result.finish_of(head))))
    # date_range pads by at least 60 days and 3 % of the span; the bins start at most a year early.
    assert first - dt.timedelta(days=800) < low < first


def test_scurve_legend_stays_clear_of_the_status_date() -> None:
    from sim.report.charts.scurves import legend_corner

    shown = ["2026-01-01", "2046-01-01"]
    # Status date in the left half: the legend goes bottom right, away from its line.
    assert legend_corner(dt.date(2026, 11, 25), shown)["xanchor"] == "right"
    assert legend_corner(dt.date(2026, 11, 25), shown)["yanchor"] == "bottom"
    # No status date, or one in the right half: top left, where a rising curve leaves room.
    assert legend_corner(None, shown)["xanchor"] == "left"
    assert legend_corner(dt.date(2040, 1, 1), shown)["xanchor"] == "left"


# --- input labels -------------------------------------------------------------------------------


def test_shortened_input_labels_keep_what_tells_them_apart() -> None:
    from sim.report.style import distinct_labels

    subject = "Russia declares its final position on the ISS"
    parts = [(subject, f"outcome {o}") for o in ("leave after 2024", "stay to 2028", "stay to 2030")]
    shown = distinct_labels(parts, 34)
    assert len(set(shown)) == 3 and all(len(s) <= 34 for s in shown)
    assert [s.split(": ")[1] for s in shown] == [d for _, d in parts]
    # Details that a cut would make equal keep their ends; whole words only.
    same_start = [("A risk", f"delay to the first milestone of {end}") for end in ("many", "all")]
    shown = distinct_labels(same_start, 28)
    assert len(set(shown)) == 2 and all(len(s) <= 28 for s in shown), shown
    assert shown[0].endswith("many") and shown[1].endswith("all")
    # Identical inputs still read differently.
    assert len(set(distinct_labels([("x", "y"), ("x", "y")], 20))) == 2


@pytest.mark.parametrize("stem", ["ilrs-2022-announced", "ilrs-2026-status"])
def test_tornado_labels_are_plain_words_and_distinct(stem: str) -> None:
    import sim
    from sim.analysis.sensitivity import tornado as ranked_inputs
    from sim.report.charts.tornado import tornado

    result = sim.simulate(sim.load(stem), iterations=1000, seed=3)
    ranked = ranked_inputs(result, result.headline)
    labels = tornado(ranked, "t", top=len(ranked))["data"][0]["y"]
    assert len(set(labels)) == len(labels) == len(ranked)
    assert all(len(html_module.unescape(label)) <= 48 for label in labels)  # whole on a 390 px phone
    for label in labels:
        assert not any(item.id in label for item, _ in ranked if "-" in item.id), label


def test_page_tables_show_percentiles_to_the_month_and_the_csv_keeps_the_day() -> None:
    from sim.report.views import milestone_rows

    result = build_result(500)
    for row in milestone_rows(result):
        assert all(re.fullmatch(r"\d{4}-\d\d|never", m) for m in row.months), row.months
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\d|never", d) for d in row.percentiles), row.percentiles
        assert [d[:7] for d in row.percentiles] == [m[:7] for m in row.months]


def test_report_file_names_are_not_cut_short() -> None:
    from sim.report.page import slug

    three = "compare-ilrs-2026-status-vs-ilrs-2026-ros-from-iss-segment-vs-ilrs-2026-ros-new-build"
    assert slug(three) == three
    # Longer than any file system likes: cut, with a hash of the whole keeping two names apart.
    a, b = slug("x" * 300 + "a"), slug("x" * 300 + "b")
    assert len(a) == len(b) == 200 and a != b


def test_description_comes_first_and_unsourced_milestones_are_flagged(tmp_path: Path) -> None:
    import sim

    path = tmp_path / "flags.yaml"
    path.write_text(
        "name: Flags\nstart: 2030-01-01\ndescription: 'Assumes **one** pad.'\nmilestones:\n"
        "  a: {title: Sourced step, duration: 10d, source: 'Agency, 2029'}\n"
        "  b: {title: Guessed step, after: [a], duration: {uniform: [5d, 50d]}}\n",
        encoding="utf-8",
    )
    result = sim.simulate(sim.load(path), 300, seed=1)
    html = write_report(result, tmp_path / "out").read_text(encoding="utf-8")
    # The description sits in the answer section, before the first chart.
    assert html.index("Assumes <strong>one</strong> pad.") < html.index('id="fig-scurve"')
    note = re.search(r'<p class="note" id="unsourced">(.*?)</p>', html, re.S)
    assert note is not None and "Guessed step" in note.group(1) and "Sourced step" not in note.group(1)
    assert html.count('<span class="unsourced">no source</span>') == 1
