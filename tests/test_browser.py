"""The report in a real browser: headless Chromium via Playwright, offline, with no script errors.

Skipped when /usr/bin/chromium is missing (CI installs it). Every request that is not a local
file is blocked, so these tests also prove that a report renders with no network.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sim.analysis.results import Result
from sim.report import write_comparison, write_report

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
ILRS = ROOT / "scenarios" / "ilrs-2022-announced.yaml"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ALL_PLOTS_DRAWN = (
    "() => document.querySelectorAll('.plot').length > 0 && "
    "document.querySelectorAll('.js-plotly-plot').length === "
    "document.querySelectorAll('.plot').length"
)
VISIBLE_SCURVE = """() => {
  const gd = document.getElementById('fig-scurve');
  return {
    title: gd.layout.title.text,
    traces: gd.data.filter(t => t.visible === true)
                   .map(t => ({name: t.name, x: Array.from(t.x), y: Array.from(t.y)})),
  };
}"""

if not CHROMIUM.exists():
    # CI sets LUNARSIM_REQUIRE_BROWSER=1 so that a missing browser fails instead of skipping.
    if os.environ.get("LUNARSIM_REQUIRE_BROWSER"):
        pytest.fail(f"{CHROMIUM} is missing but LUNARSIM_REQUIRE_BROWSER is set", pytrace=False)
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


def expected_figures(result: Result) -> int:
    """S-curve, histogram, timeline, criticality, convergence; a tornado if there are random
    inputs; one conditioned S-curve per decision."""
    return 5 + bool(result.inputs) + len(result.outcome)


@dataclass
class Visit:
    """A page plus everything it said: console errors, page errors, dialogs, blocked requests."""

    page: object
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def open(self, path: Path) -> None:
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_function(ALL_PLOTS_DRAWN, timeout=30_000)

    def assert_clean(self) -> None:
        assert self.console_errors == []
        assert self.page_errors == []
        assert self.dialogs == []
        assert self.blocked == [], "the report tried to reach the network"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def visit(browser) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    seen = Visit(page)

    def route(request_route) -> None:
        url = request_route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            request_route.continue_()
        else:
            seen.blocked.append(url)
            request_route.abort()

    page.route("**/*", route)
    page.on("console", lambda m: seen.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: seen.page_errors.append(str(error)))

    def dialog(d) -> None:
        seen.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    # Any script the report's text smuggled in would most likely call one of these.
    page.add_init_script(
        "window.__xss = 0;window.alert = window.confirm = window.prompt = function () { window.__xss += 1; };"
    )
    yield seen
    context.close()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    from test_report import build_result

    result = build_result(3000)
    return result, write_report(result, tmp_path_factory.mktemp("synthetic"))


@pytest.fixture(scope="module")
def ilrs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    import sim

    if not ILRS.exists():
        pytest.skip(f"{ILRS} is not there yet")
    # The scenario's own iterations and seed: the same report the README's first command writes.
    result = sim.simulate(sim.load(ILRS))
    return result, write_report(result, tmp_path_factory.mktemp("ilrs"))


def test_report_renders_offline_with_every_figure(visit: Visit, synthetic) -> None:
    result, path = synthetic
    visit.open(path)
    count = visit.page.evaluate("() => document.querySelectorAll('.js-plotly-plot').length")
    assert count == expected_figures(result) == 7
    # Each figure has actually drawn something (an SVG with at least one trace group).
    empty = visit.page.evaluate(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".filter(gd => gd.querySelectorAll('.trace').length === 0).map(gd => gd.id)"
    )
    assert empty == []
    assert visit.page.evaluate("() => window.__xss") == 0
    visit.assert_clean()


def test_milestone_selector_changes_the_scurve(visit: Visit, synthetic) -> None:
    result, path = synthetic
    visit.open(path)
    before = visit.page.evaluate(VISIBLE_SCURVE)
    assert "Base built" in before["title"]
    visit.page.locator("#fig-scurve .updatemenu-header-group").click()
    buttons = visit.page.locator("#fig-scurve .updatemenu-dropdown-button")
    assert buttons.count() == len(result.milestone_ids)
    buttons.nth(3).click()  # headline first, then plan order: decision, done, m2 ...
    visit.page.wait_for_function(
        "() => document.getElementById('fig-scurve').layout.title.text.includes('Stage 2')"
    )
    after = visit.page.evaluate(VISIBLE_SCURVE)
    assert after["traces"][0]["x"] != before["traces"][0]["x"]
    # The curve now shown is m2's, which always completes: it reaches 100 %.
    assert after["traces"][0]["y"][-1] == pytest.approx(1.0)
    assert before["traces"][0]["y"][-1] == pytest.approx(result.done_fraction("m5"))
    visit.assert_clean()


def test_user_text_runs_no_script(visit: Visit, tmp_path: Path) -> None:
    from test_report import XSS_IMG, XSS_SCRIPT, xss_result

    path = write_report(xss_result(), tmp_path)
    visit.open(path)
    page = visit.page
    # The payload is shown as text, both in the page and inside Plotly's SVG.
    assert XSS_SCRIPT in page.locator("h1").inner_text()
    tick = page.evaluate(
        "() => Array.from(document.querySelectorAll("
        "'#fig-timeline .ytick text')).map(t => t.textContent).join('|')"
    )
    assert XSS_SCRIPT in tick
    # Draw a hover box full of user text (title and source), then look for side effects.
    page.evaluate(
        "() => { const gd = document.getElementById('fig-timeline');"
        " const k = gd.data.findIndex(t => t.name === 'Median (P50)');"
        " Plotly.Fx.hover(gd, [{curveNumber: k, pointNumber: 1}]); }"
    )
    hover = page.evaluate("() => document.querySelector('#fig-timeline .hovertext').textContent")
    assert XSS_SCRIPT + XSS_IMG in hover
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__xss") == 0
    assert page.evaluate("() => document.querySelectorAll('img').length") == 0
    visit.assert_clean()


def test_comparison_renders(visit: Visit, tmp_path: Path) -> None:
    from test_report import build_result

    a = build_result(800, seed=1, name="Announced")
    b = build_result(800, seed=2, name="Delayed")
    visit.open(write_comparison([a, b], tmp_path))
    names = visit.page.evaluate(
        "() => document.getElementById('fig-compare-scurve').data"
        ".filter(t => t.visible === true).map(t => t.name)"
    )
    assert "Announced" in names and "Delayed" in names
    assert visit.page.evaluate("() => document.querySelectorAll('.js-plotly-plot').length") == 2
    visit.assert_clean()


def test_bundled_ilrs_report_first_screen(visit: Visit, ilrs) -> None:
    result, path = ilrs
    visit.open(path)
    count = visit.page.evaluate("() => document.querySelectorAll('.js-plotly-plot').length")
    figures = json.loads(visit.page.locator("#lunarsim-figures").text_content())
    assert count == len(figures) == expected_figures(result)
    # The answer is on the first screen: the headline sentence and the S-curve's top edge.
    lead = visit.page.locator("p.lead").bounding_box()
    curve = visit.page.locator("#fig-scurve").bounding_box()
    assert lead is not None and curve is not None
    assert lead["y"] + lead["height"] < 900 and curve["y"] < 900
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-first-screen.png"
    visit.page.screenshot(path=str(shot))
    visit.assert_clean()
    if os.environ.get("LUNARSIM_UPDATE_SCREENSHOT"):
        # The README's picture: LUNARSIM_UPDATE_SCREENSHOT=1 pytest tests/test_browser.py
        shutil.copyfile(shot, ROOT / "docs" / "img" / "report.png")


NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.mark.parametrize("width", [390, 1366])
def test_backtest_report_renders_on_phone_and_desktop(browser, tmp_path: Path, width: int) -> None:
    from test_report import XSS_IMG, XSS_SCRIPT

    import sim
    from sim.analysis.backtest import backtest
    from sim.report import write_backtest

    forecast = tmp_path / "forecast.yaml"
    forecast.write_text(
        "name: 'Forecast " + XSS_IMG + "'\nstart: 2030-01-01\nmilestones:\n"
        "  a: {title: '" + XSS_SCRIPT + "', duration: {uniform: [50d, 150d]}}\n"
        "  b: {title: Second, after: [a], duration: {pert: [100d, 200d, 400d]}}\n"
        "  c: {title: Third, duration: {uniform: [0d, 300d]}}\n",
        encoding="utf-8",
    )
    outcome = tmp_path / "outcome.yaml"
    outcome.write_text(
        "extends: forecast.yaml\nname: Outcome\nas_of: 2030-12-31\n"
        "milestones:\n  a: {actual: 2030-04-01}\n  c: {actual: 2030-09-01}\n",
        encoding="utf-8",
    )
    result = sim.simulate(sim.load(forecast), 2000, seed=3)
    path = write_backtest(result, backtest(result, sim.load(outcome)), tmp_path / "out", "outcome")

    context = browser.new_context(viewport={"width": width, "height": 900})
    seen = _watched(context)
    page = seen.page
    page.add_init_script("window.__xss = 0; window.alert = function () { window.__xss += 1; };")
    seen.open(path)
    # PIT histogram plus one S-curve per scored milestone, each drawn.
    assert page.evaluate("() => document.querySelectorAll('.js-plotly-plot').length") == 4
    empty = page.evaluate(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".filter(gd => gd.querySelectorAll('.trace').length === 0).map(gd => gd.id)"
    )
    assert empty == []
    assert page.evaluate(NO_SIDEWAYS_SCROLL), "the page scrolls sideways"
    _assert_toolbar_and_axes(page, f"{width} px backtest page")
    _assert_links_are_urls(page, f"{width} px backtest page")
    _assert_tables_fit(page, f"{width} px backtest page")
    _assert_no_text_overlap(page, f"{width} px backtest page")
    # The answer is on the first screen, and the user's text is shown, not run.
    lead = page.locator("p.lead").bounding_box()
    assert lead is not None and lead["y"] + lead["height"] < 900
    assert XSS_SCRIPT in page.locator("#table").inner_text()
    assert page.evaluate("() => window.__xss") == 0
    assert page.evaluate("() => document.querySelectorAll('img').length") == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"backtest-{width}.png"), full_page=True)
    seen.assert_clean()
    context.close()


# A Markdown link nested in a bare URL: a regex renderer put the inner <a> inside the outer href,
# and the browser then read `style=position:fixed;…` as an attribute (a full-page link overlay).
NESTED_LINK = (
    " http://a.example/[y](http://b.example/style=position:fixed;top:0;left:0;width:100vw;"
    "height:100vh;z-index:99;background:red) "
    'http://a.example/[y](http://b.example/"onclick=alert(1)) [z](http://c.example/" style="position:fixed) '
    "\u202eevil"
)
PAGE_SHAPE = """() => {
  const outsidePlots = Array.from(document.querySelectorAll('body *'))
      .filter(e => !e.closest('.plot'));
  const attributes = new Set();
  // The page's own script shows a table too wide for its box as cards (class "cards"), and a
  // longer text can make a table wider: that class is the page's, not the text's.
  const own = (e, a) => e.tagName === 'TABLE' && a.name === 'class' && a.value === 'cards';
  outsidePlots.forEach(e => Array.from(e.attributes).filter(a => !own(e, a))
    .forEach(a => attributes.add(e.tagName + '@' + a.name)));
  const fixed = Array.from(document.querySelectorAll('*'))
      .filter(e => ['fixed', 'absolute', 'sticky'].includes(getComputedStyle(e).position))
      .filter(e => !e.closest('.plot'));
  const linkBoxes = Array.from(document.querySelectorAll('a'))
      .flatMap(a => Array.from(a.getClientRects()).map(r => ({w: r.width, h: r.height})));
  return {
    attributes: Array.from(attributes).sort(),
    positioned: fixed.length,
    styled: outsidePlots.filter(e => e.hasAttribute('style'))
      .map(e => e.tagName + ':' + e.getAttribute('style')),
    tallestLink: Math.max(0, ...linkBoxes.map(b => b.h)),
    hrefs: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')),
  };
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_nested_link_payload_in_every_user_text_injects_nothing(browser, tmp_path: Path, width: int) -> None:
    """The payload goes into every user text (name, description, titles, sources, branch and risk
    names); the page must have the same attributes, positioned elements and link sizes as
    without it: no attribute injected, no overlay, no new clickable area."""
    from test_report import build_result

    shapes = []
    for text in ("", NESTED_LINK):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
        path = write_report(build_result(500, text=text), tmp_path / ("evil" if text else "plain"))
        page.goto(path.resolve().as_uri())
        page.wait_for_function(ALL_PLOTS_DRAWN, timeout=30_000)
        html = path.read_text(encoding="utf-8")
        shapes.append((page.evaluate(PAGE_SHAPE), html, page.inner_text("body")))
        context.close()
    (plain, _, _), (evil, evil_html, evil_text) = shapes
    assert evil["attributes"] == plain["attributes"]  # no new attribute on any element
    assert evil["positioned"] == plain["positioned"]  # no overlay
    assert evil["styled"] == plain["styled"]
    assert evil["tallestLink"] <= max(plain["tallestLink"], 40)  # every link stays one line high
    # The CSV download link (a data: URL of the table, titles included) exists in both pages.
    new_links = [h for h in evil["hrefs"] if h not in plain["hrefs"] and not h.startswith("data:text/csv")]
    assert new_links and all(h.startswith(("http://", "https://", "mailto:")) for h in new_links)
    assert not any('"' in h or " " in h for h in new_links)
    assert "\u202e" not in evil_html and "\\u202eevil" in evil_text


# --- every bundled scenario, on a phone and on a desktop ----------------------------------------

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1366, "height": 900}},
}
# Per chart: its width, and the width of its (first) plot area, Plotly's drag rectangle over it.
PLOT_AREAS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => {
  const drag = gd.querySelector('.draglayer .xy .nsewdrag') || gd.querySelector('.nsewdrag');
  return {id: gd.id, width: gd.getBoundingClientRect().width,
          plot: drag ? drag.getBoundingClientRect().width : 0};
})"""
# Text drawn by a chart that pokes out of the chart's own box (clipped by the page or the SVG).
CLIPPED_TEXT = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(gd => {
  const box = gd.getBoundingClientRect();
  return Array.from(gd.querySelectorAll('.main-svg text, .main-svg .annotation-text'))
    .filter(t => t.textContent.trim() && getComputedStyle(t).display !== 'none')
    .map(t => ({id: gd.id, text: t.textContent, r: t.getBoundingClientRect()}))
    .filter(t => t.r.width > 0 && (t.r.left < box.left - 1 || t.r.right > box.right + 1))
    .map(t => gd.id + ': ' + t.text);
})"""
# Charts whose title and Plotly's toolbar (top right) overlap.
TOOLBAR_OVER_TITLE = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).filter(gd => {
  const bar = gd.querySelector('.modebar'), title = gd.querySelector('.g-gtitle .gtitle');
  if (!bar || !title) { return false; }
  const b = bar.getBoundingClientRect(), t = title.getBoundingClientRect();
  if (!b.width || !t.width) { return false; }
  return !(t.right <= b.left || t.left >= b.right || t.top >= b.bottom || t.bottom <= b.top);
}).map(gd => gd.id)"""
# The box of each shown text element matched by `selector` under `root`.
BOXES = """const boxes = (root, selector) => Array.from(root.querySelectorAll(selector))
    .filter(t => t.textContent.trim() && getComputedStyle(t).display !== 'none')
    .map(t => {
      const r = t.getBoundingClientRect();
      return {text: t.textContent, l: r.left, r: r.right, t: r.top, b: r.bottom};
    })
    .filter(t => t.r - t.l > 0);"""
# Every axis's shown tick labels, with the axis's type and whether it has minor ticks.
AXIS_LABELS = (
    "() => {"
    + BOXES
    + r"""
  return Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(gd => {
    const full = gd._fullLayout;
    return Object.keys(full).filter(k => /^[xy]axis\d*$/.test(k) && full[k].visible !== false).map(k => {
      const ax = full[k], layer = '.' + ax._id.charAt(0) + 'axislayer-above';
      return {chart: gd.id, axis: k, type: ax.type, minor: !!(ax.minor && ax.minor.ticks),
              labels: boxes(gd, layer + ' g.' + ax._id + 'tick text')};
    });
  });
}"""
)
# A comparison's target labels (text beside the dashed lines) and the plot area they must stay in.
TARGET_LABELS = (
    "() => {"
    + BOXES
    + """
  const gd = document.getElementById('fig-compare-scurve');
  const area = gd.querySelector('.draglayer .xy .nsewdrag').getBoundingClientRect();
  return {area: {l: area.left, r: area.right, t: area.top, b: area.bottom},
          texts: boxes(gd, '.scatterlayer .textpoint text'),
          legend: Array.from(gd.querySelectorAll('.legend .legendtext')).map(t => t.textContent)};
}"""
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Whether the element drawn at the centre of `box` is `selector` (or inside it): a tap there hits it.
HIT = """([x, y, selector]) => {
  const e = document.elementFromPoint(x, y);
  return !!(e && e.closest(selector));
}"""

# Every link on the page, with its text and the text that follows it. A link written as a bare URL
# must name its scheme (a file name such as "sources.md" is not a URL) and must not stop inside
# the URL (the text after it starts with a space, closing punctuation or nothing).
LINKS = """() => Array.from(document.querySelectorAll('a[href]')).map(a => {
  const next = a.nextSibling;
  return {href: a.getAttribute('href'), text: a.textContent,
          after: next && next.nodeType === Node.TEXT_NODE ? next.textContent.slice(0, 20) : ''};
})"""

# Table cells (shown, with text) that reach outside the window: a number the reader cannot see
# without finding a sideways scroll inside the table's box.
CELLS_OFF_SCREEN = """() => Array.from(document.querySelectorAll('td, th')).filter(c => {
  const r = c.getBoundingClientRect();
  return r.width > 0 && c.textContent.trim() && (r.left < -1 || r.right > window.innerWidth + 1);
}).map(c => c.textContent.trim().slice(0, 40))"""


def _assert_tables_fit(page: object, where: str) -> None:
    """Every table cell is inside the window (a table too wide for it is shown as cards)."""
    off = page.evaluate(CELLS_OFF_SCREEN)
    assert not off, f"table cells outside the window on the {where}: {off[:12]}"

# Pairs of texts drawn by one chart (tick labels, titles, axis titles, legend, text beside points,
# annotations) whose boxes overlap by more than a pixel each way.
TEXT_OVERLAPS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(gd => {
  const texts = Array.from(gd.querySelectorAll('.main-svg text'))
    .filter(t => t.textContent.trim() && !t.closest('.hoverlayer') && getComputedStyle(t).display !== 'none')
    .map(t => ({text: t.textContent, r: t.getBoundingClientRect()}))
    .filter(t => t.r.width > 0);
  const out = [];
  texts.forEach((a, i) => texts.slice(i + 1).forEach(b => {
    const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
    const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
    if (w > 1 && h > 1) { out.push(`${gd.id}: ${JSON.stringify(a.text)} / ${JSON.stringify(b.text)}`); }
  }));
  return out;
})"""


# Text beside a point (the S-curve's P50 and P80) that a vertical line drawn as a trace (a plan
# or a target) runs through.
LINES_THROUGH_TEXT = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(gd => {
  const lines = Array.from(gd.querySelectorAll('.scatterlayer .js-line'))
    .map(p => p.getBoundingClientRect()).filter(r => r.height > 0 && r.width < 5);
  return Array.from(gd.querySelectorAll('.scatterlayer .textpoint text'))
    .filter(t => t.textContent.trim())
    .filter(t => { const r = t.getBoundingClientRect();
      return lines.some(l => l.left < r.right - 1 && l.right > r.left + 1 &&
                             l.top < r.bottom && l.bottom > r.top); })
    .map(t => `${gd.id}: ${JSON.stringify(t.textContent)}`);
})"""


def _assert_no_text_overlap(page: object, where: str) -> None:
    """No two texts of any chart overlap, and no plan or target line runs through a point's text
    (labels are placed after each draw: give that time)."""
    with contextlib.suppress(sync_api.TimeoutError):
        page.wait_for_function(
            f"() => ({TEXT_OVERLAPS})().length === 0 && ({LINES_THROUGH_TEXT})().length === 0", timeout=5_000
        )
    overlaps = page.evaluate(TEXT_OVERLAPS)
    assert not overlaps, f"chart texts overlap on the {where}: " + "; ".join(overlaps)
    crossed = page.evaluate(LINES_THROUGH_TEXT)
    assert not crossed, f"lines run through text on the {where}: " + "; ".join(crossed)


def _assert_links_are_urls(page: object, where: str) -> None:
    """No link to something that is not a URL, and no bare URL linked only in part."""
    bad = []
    for link in page.evaluate(LINKS):
        href, text = link["href"], link["text"].strip()
        if href.startswith(("#", "data:text/csv")):
            continue
        if not href.startswith(("http://", "https://", "mailto:")):
            bad.append(f"{text!r} -> {href!r}: not a web or mail address")
        elif " " not in text and not text.startswith(("http://", "https://", "mailto:")):
            bad.append(f"{text!r} -> {href!r}: a name, not a URL, made a link")
        elif not re.match(r"[.,;:!?)\]'\"]*(\s|$)", link["after"]):
            bad.append(f"{text!r} -> {href!r}: the URL goes on after the link ({link['after']!r})")
    assert not bad, f"on the {where}: " + "; ".join(bad)


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Result, Path]]:
    import sim

    out = {}
    folder = tmp_path_factory.mktemp("bundled")
    for path in SCENARIOS:
        result = sim.simulate(sim.load(path), iterations=2000, seed=7)
        out[path.stem] = (result, write_report(result, folder))
    return out


def _watched(context) -> Visit:
    """A new page in `context` that may load only local files and records every error."""
    page = context.new_page()
    seen = Visit(page)
    page.route(
        "**/*",
        lambda r: (
            r.continue_()
            if r.request.url.startswith(("file:", "data:", "blob:"))
            else (seen.blocked.append(r.request.url), r.abort())
        ),
    )
    page.on("console", lambda m: seen.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: seen.page_errors.append(str(error)))
    return seen


def _visit(browser, kind: str) -> tuple[object, Visit]:
    context = browser.new_context(**VIEWPORTS[kind])
    return context, _watched(context)


def _assert_fits(page: object, kind: str) -> None:
    """No sideways scrolling; every chart's plot area at least half the chart; no clipped text."""
    assert page.evaluate(NO_SIDEWAYS_SCROLL), "the page scrolls sideways"
    areas = page.evaluate(PLOT_AREAS)
    assert areas
    narrow = [
        f"{a['id']}: {a['plot']:.0f} of {a['width']:.0f} px" for a in areas if a["plot"] < 0.5 * a["width"]
    ]
    assert not narrow, f"plot areas under half their chart's width on the {kind}: " + "; ".join(narrow)
    clipped = page.evaluate(CLIPPED_TEXT)
    assert not clipped, "text cut off at a chart's edge: " + "; ".join(clipped)


def _overlapping(boxes: list[dict], vertical: bool) -> list[str]:
    """Neighbouring labels (in reading order along their axis) whose boxes overlap."""
    lo, hi = ("t", "b") if vertical else ("l", "r")
    ordered = sorted(boxes, key=lambda b: b[lo])
    return [f"{a['text']!r}/{b['text']!r}" for a, b in itertools.pairwise(ordered) if a[hi] > b[lo] + 0.5]


def _assert_toolbar_and_axes(page: object, kind: str) -> None:
    """Plotly's toolbar covers no title; tick labels do not collide; a date axis has minor ticks
    and labels only dates; a log axis labels only powers of ten (no stray "2" or "5")."""
    # A title is moved below the tool bar after the chart's first draw: give it that redraw
    # (on a timeout the assertion below names the charts).
    with contextlib.suppress(sync_api.TimeoutError):
        page.wait_for_function(f"() => ({TOOLBAR_OVER_TITLE})().length === 0", timeout=5_000)
    covered = page.evaluate(TOOLBAR_OVER_TITLE)
    assert not covered, f"the toolbar covers the title on the {kind}: {covered}"
    problems = []
    for axis in page.evaluate(AXIS_LABELS):
        where = f"{axis['chart']} {axis['axis']}"
        labels = axis["labels"]
        clash = _overlapping(labels, vertical=axis["axis"].startswith("y"))
        if clash:
            problems.append(f"{where}: labels collide: {clash}")
        if axis["type"] == "date" and axis["axis"].startswith("x"):
            if not axis["minor"]:
                problems.append(f"{where}: no minor ticks")
            stray = [
                t["text"]
                for t in labels
                if not any(m in t["text"] for m in MONTHS) and not any(c.isdigit() for c in t["text"][-4:])
            ]
            if stray:
                problems.append(f"{where}: labels that are not dates: {stray}")
        if axis["type"] == "log":
            counts = [int(t["text"].replace(",", "")) for t in labels]
            if any(str(c).rstrip("0") != "1" for c in counts):
                problems.append(f"{where}: labels between the powers of ten: {counts}")
    assert not problems, f"on the {kind}: " + "; ".join(problems)


def _assert_menus_reachable(page: object, kind: str, expected: int) -> None:
    """Every entry of the S-curve's milestone menu can be tapped (phone) or clicked (desktop)."""
    figure = "#fig-scurve" if page.locator("#fig-scurve").count() else "#fig-compare-scurve"
    if expected < 2:
        return
    if kind == "phone":
        select = page.locator(figure + "-menu")
        assert select.is_visible()
        box = select.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert page.locator(figure + " .updatemenu-header-group").count() == 0
        options = select.locator("option")
        assert options.count() == expected
        titles = set()
        for k in range(expected):
            select.select_option(str(k))
            titles.add(page.evaluate(f"() => document.querySelector('{figure}').layout.title.text"))
        assert len(titles) == expected  # each entry shows its own milestone
        return
    page.locator(figure + " .updatemenu-header-group").click()
    buttons = page.locator(figure + " .updatemenu-dropdown-button")
    assert buttons.count() == expected
    for k in range(expected):
        button = buttons.nth(k)
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box is not None
        centre = [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]
        assert 0 <= centre[0] <= 1366 and 0 <= centre[1] <= 900
        assert page.evaluate(HIT, [*centre, ".updatemenu-dropdown-button"]), f"menu entry {k} is covered"


@pytest.mark.parametrize("kind", list(VIEWPORTS))
@pytest.mark.parametrize("stem", [p.stem for p in SCENARIOS])
def test_bundled_report_on_phone_and_desktop(browser, bundled, stem: str, kind: str) -> None:
    result, path = bundled[stem]
    context, seen = _visit(browser, kind)
    page = seen.page
    seen.open(path)
    ARTIFACTS.mkdir(exist_ok=True)
    first = ARTIFACTS / f"{stem}-{kind}-first-screen.png"
    page.screenshot(path=str(first))
    page.screenshot(path=str(ARTIFACTS / f"{stem}-{kind}.png"), full_page=kind == "phone")
    _assert_fits(page, kind)
    _assert_toolbar_and_axes(page, kind)
    # Before the menus are opened (an open menu lies over the chart on purpose).
    _assert_no_text_overlap(page, f"{stem} {kind}")
    _assert_menus_reachable(page, kind, len(result.milestone_ids))
    _assert_links_are_urls(page, f"{stem} {kind}")
    _assert_tables_fit(page, f"{stem} {kind}")
    # No dead controls: the tool bar is there, without Plotly's cloud buttons.
    titles = page.evaluate(
        "() => Array.from(document.querySelectorAll('.modebar-btn')).map(b => b.getAttribute('data-title'))"
    )
    assert "Download plot as a PNG" in titles
    assert "Download plot as an SVG" in titles  # for print and publishing
    assert not [t for t in titles if t and ("Chart Studio" in t or "Cloud" in t or "Share" in t)]
    seen.assert_clean()
    context.close()
    if os.environ.get("LUNARSIM_UPDATE_SCREENSHOT") and stem == "ilrs-2022-announced":
        shutil.copyfile(first, ROOT / "docs" / "img" / f"report-{kind}.png")


@pytest.mark.parametrize("kind", list(VIEWPORTS))
def test_compare_report_on_phone_and_desktop(browser, bundled, tmp_path: Path, kind: str) -> None:
    results = [bundled[s][0] for s in ("ilrs-2022-announced", "ilrs-2022-china-alone")]
    path = write_comparison(results, tmp_path)
    context, seen = _visit(browser, kind)
    page = seen.page
    seen.open(path)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"compare-{kind}-first-screen.png"
    page.screenshot(path=str(shot))
    page.screenshot(path=str(ARTIFACTS / f"compare-{kind}.png"), full_page=kind == "phone")
    _assert_fits(page, kind)
    _assert_toolbar_and_axes(page, kind)
    # Each scenario's target line is labelled inside the plot area, the labels apart; on a phone
    # the label is short and the legend names each target line in full.
    targets = page.evaluate(TARGET_LABELS)
    area = targets["area"]
    labels = [t for t in targets["texts"] if "target" in t["text"]]
    assert len(labels) == 2, targets["texts"]
    for label in labels:
        assert area["l"] - 1 <= label["l"] and label["r"] <= area["r"] + 1, label
        assert area["t"] - 1 <= label["t"] and label["b"] <= area["b"] + 1, label
    assert not _overlapping(labels, vertical=True)
    if kind == "phone":
        assert [t["text"].strip() for t in labels] == ["target", "target"]
        in_legend = [name for name in targets["legend"] if "target" in name]
        head = results[0].scenario.milestones[results[0].scenario.headline]
        assert len(in_legend) == 2 and all(
            name.endswith(results[0].scenario.date_of(head.target).isoformat()) for name in in_legend
        ), in_legend
    # No two legend entries of a chart read the same (each scenario's name stays told apart).
    legends = page.evaluate(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd =>"
        " Array.from(gd.querySelectorAll('.legend .legendtext')).map(t => t.textContent))"
    )
    assert all(len(set(names)) == len(names) for names in legends), legends
    # A never P90 does not stretch the date axis to the horizon.
    end = page.evaluate("() => document.getElementById('fig-compare-timeline')._fullLayout.xaxis.range[1]")
    assert end[:4] < str(results[0].scenario.horizon.year), end
    shared = [m for m in results[0].milestone_ids if m in results[1].milestone_ids]
    _assert_no_text_overlap(page, f"compare {kind}")
    _assert_menus_reachable(page, kind, len(shared))
    _assert_links_are_urls(page, f"compare {kind}")
    _assert_tables_fit(page, f"compare {kind}")
    # Milestone names are shown (as tick labels on a desktop, above the rows on a phone).
    shown = page.evaluate(
        "() => Array.from(document.querySelectorAll('#fig-compare-timeline text'))"
        ".map(t => t.textContent).join('|')"
    )
    for mid in shared:
        title = results[0].scenario.milestones[mid].title
        assert title[:20] in shown, title
    seen.assert_clean()
    context.close()
    if os.environ.get("LUNARSIM_UPDATE_SCREENSHOT"):
        shutil.copyfile(shot, ROOT / "docs" / "img" / f"compare-{kind}.png")


def test_each_chart_downloads_as_an_svg_under_its_own_name(browser, synthetic, tmp_path: Path) -> None:
    _, path = synthetic
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    seen = _watched(context)
    page = seen.page
    seen.open(path)
    page.locator("#fig-histogram").hover()
    with page.expect_download() as info:
        page.locator('#fig-histogram .modebar-btn[data-title="Download plot as an SVG"]').click()
    download = info.value
    assert download.suggested_filename == "fig-histogram.svg"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("<svg") and "never by" in text
    seen.assert_clean()
    context.close()


@pytest.mark.parametrize("width", [390, 1366])
def test_track_record_page_renders_on_phone_and_desktop(browser, tmp_path: Path, width: int) -> None:
    """`lunarsim backtest` over dated snapshots: the trend and calibration charts drawn, the
    tables fitting, and the snapshots' names shown, not run."""
    from test_report import XSS_SCRIPT

    import sim
    from sim.analysis.trackrecord import track_record
    from sim.report import write_track_record

    (tmp_path / "s1.yaml").write_text(
        "name: '" + XSS_SCRIPT + "'\nstart: 2030-01-01\nas_of: 2030-01-01\nheadline: c\nmilestones:\n"
        "  a: {duration: {uniform: [5d, 30d]}}\n  b: {after: [a], duration: {pert: [20d, 40d, 90d]}}\n"
        "  c: {after: [b], duration: {lognormal: {median: 60d, p90: 200d}}, target: 2030-06-01}\n",
        encoding="utf-8",
    )
    (tmp_path / "s2.yaml").write_text(
        "extends: s1.yaml\nname: Second\nas_of: 2030-01-20\nmilestones:\n  a: {actual: 2030-01-18}\n",
        encoding="utf-8",
    )
    (tmp_path / "s3.yaml").write_text(
        "extends: s2.yaml\nname: Third\nas_of: 2030-03-01\nmilestones:\n  b: {actual: 2030-02-25}\n",
        encoding="utf-8",
    )
    runs = [sim.simulate(sim.load(tmp_path / f"s{i}.yaml"), 1000, 2, stream=False) for i in (1, 2, 3)]
    path = write_track_record(track_record(runs[:2], runs[2]), runs, tmp_path / "out", "s3")

    context = browser.new_context(viewport={"width": width, "height": 900})
    seen = _watched(context)
    page = seen.page
    page.add_init_script("window.__xss = 0; window.alert = function () { window.__xss += 1; };")
    seen.open(path)
    ids = page.evaluate("() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => gd.id)")
    assert ids == ["fig-trend", "fig-calibration"]
    empty = page.evaluate(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".filter(gd => gd.querySelectorAll('.trace').length === 0).map(gd => gd.id)"
    )
    assert empty == []
    assert page.evaluate(NO_SIDEWAYS_SCROLL), "the page scrolls sideways"
    _assert_toolbar_and_axes(page, f"{width} px track-record page")
    _assert_tables_fit(page, f"{width} px track-record page")
    _assert_no_text_overlap(page, f"{width} px track-record page")
    assert XSS_SCRIPT in page.locator("#trend-table").inner_text()
    assert page.evaluate("() => window.__xss") == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"track-record-{width}.png"), full_page=True)
    seen.assert_clean()
    context.close()
