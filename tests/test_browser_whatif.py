"""The what-if commands in headless Chromium: `watch` pushes each save to the open page, and the
sweep page renders its charts (desktop and 390 px) and supplies the README's picture."""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
]
SCREENSHOT = ROOT / "docs" / "img" / "sweep.png"

if not CHROMIUM.exists():
    if os.environ.get("LUNARSIM_REQUIRE_BROWSER"):
        pytest.fail(f"{CHROMIUM} is missing but LUNARSIM_REQUIRE_BROWSER is set", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

SCENARIO = """
    name: Watched lander
    start: 2030-01-01
    seed: 4
    iterations: 2000
    milestones:
      build: {{duration: {{triangular: [100d, 150d, 300d]}}}}
      launch: {{after: [build], duration: {launch}, target: 2030-12-31}}
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def _save(path: Path, text: str) -> None:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def _lead(page: object) -> str:
    return page.locator("p.lead").first.inner_text()


def test_watch_pushes_each_save_to_the_open_page(browser, tmp_path: Path) -> None:
    path = tmp_path / "lander.yaml"
    _save(path, SCENARIO.format(launch="10d"))
    command = [sys.executable, "-m", "sim", "watch", str(path)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_selector("#fig-scurve .main-svg", timeout=30_000)
        before = _lead(page)
        # A 400-day launch campaign: every date moves, the lead with them, within 5 s of the save.
        _save(path, SCENARIO.format(launch="400d"))
        page.wait_for_function(
            f"() => document.querySelector('p.lead').innerText !== {before!r}", timeout=5_000
        )
        after = _lead(page)
        assert after != before and "2031" in after
        # A broken save: the located error appears over the last good report, within 5 s.
        path.write_text("name: Watched lander\nstart: 2030-01-01\nmilestones:\n  launch: {duration: soon}\n")
        page.wait_for_selector("#lunarsim-watch-errors", timeout=5_000)
        banner = page.locator("#lunarsim-watch-errors").inner_text()
        assert "lander.yaml" in banner and "soon" in banner
        assert _lead(page) == after  # the last good report stays below the errors
        # Fixed: the errors go and the report returns (a reload: no 5 s promise for it).
        _save(path, SCENARIO.format(launch="10d"))
        page.wait_for_function(
            "() => !document.getElementById('lunarsim-watch-errors') && document.querySelector('p.lead')",
            timeout=30_000,
        )
        page.wait_for_selector("#fig-scurve .main-svg", timeout=30_000)
        assert _lead(page) == before
        assert errors == []
        page.close()
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopped" in err and "Traceback" not in err


@pytest.mark.parametrize("width", [1366, 1100, 390])
def test_sweep_page_renders_on_desktop_and_phone(browser, tmp_path: Path, width: int) -> None:
    from test_cli import lunarsim

    r = lunarsim(
        "sweep",
        "tutorial-launch-campaign",
        "--set",
        "risks.late-parts.probability=0,0.3,0.6,0.9",
        "-n",
        "4000",
        "--seed",
        "7",
        "--out",
        str(tmp_path),
    )
    assert r.returncode == 0, r.stderr
    (report,) = tmp_path.glob("sweep-*.html")
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(report.resolve().as_uri())
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length === 2", timeout=30_000)
    assert errors == []
    # Nothing wider than the screen but the table, which scrolls inside its own box.
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    # No title under the tool bar, no colliding or stray tick labels.
    from test_browser import _assert_no_text_overlap, _assert_tables_fit, _assert_toolbar_and_axes

    _assert_toolbar_and_axes(page, f"{width} px sweep page")
    _assert_tables_fit(page, f"{width} px sweep page")
    _assert_no_text_overlap(page, f"{width} px sweep page")
    if width == 1100 and (os.environ.get("LUNARSIM_UPDATE_SCREENSHOT") or not SCREENSHOT.exists()):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.locator("#fig-sweep-dates").screenshot(path=str(SCREENSHOT))
    page.close()


@pytest.mark.parametrize("width", [1366, 390])
def test_two_key_sweep_heatmaps_on_desktop_and_phone(browser, tmp_path: Path, width: int) -> None:
    from test_browser import _assert_no_text_overlap, _assert_tables_fit
    from test_cli import lunarsim

    r = lunarsim(
        "sweep",
        "tutorial-launch-campaign",
        "--set",
        "risks.late-parts.probability=0,0.3,0.6",
        "--set",
        "milestones.build.duration={triangular: [8 months, 1y, 2y]},2y",
        "-n",
        "1000",
        "-q",
        "--out",
        str(tmp_path),
    )
    assert r.returncode == 0, r.stderr
    (report,) = tmp_path.glob("sweep-*.html")
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(report.resolve().as_uri())
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length === 3", timeout=30_000)
    _assert_no_text_overlap(page, f"{width} px two-key sweep page")
    _assert_tables_fit(page, f"{width} px two-key sweep page")
    # Each heatmap row is named at its own row (tick labels), not in a bunch of labels above.
    rows = page.evaluate(
        "() => Array.from(document.querySelectorAll('#fig-sweep-p50 .ytick text')).map(t => "
        "[t.textContent, t.getBoundingClientRect().top])"
    )
    assert sorted(text for text, _ in rows) == ["0", "0.3", "0.6"]
    tops = sorted(top for _, top in rows)
    assert min(b - a for a, b in itertools.pairwise(tops)) > 20, rows
    page.close()
