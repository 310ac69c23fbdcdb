"""The backtest page: scores in words, the PIT histogram, one S-curve per scored milestone, escaping."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest

import sim
from sim.analysis.backtest import Backtest, backtest
from sim.report import write_backtest
from sim.report.backtest import backtest_html

ROOT = Path(__file__).resolve().parent.parent
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"

FORECAST = """
    name: forecast {name}
    start: 2030-01-01
    seed: 4
    milestones:
      a: {{title: "{title}", duration: 100d}}
      b: {{title: Second, duration: {{uniform: [0d, 200d]}}}}
      c: {{title: Third, after: [a], duration: 900d}}
"""
OUTCOME = """
    extends: forecast.yaml
    name: outcome
    as_of: 2030-05-31
    milestones:
      a: {actual: 2030-05-01}
      b: {actual: 2030-02-20}
"""


def _pair(write, title: str = "First", name: str = "one") -> tuple[sim.Result, Backtest]:
    forecast = sim.load(write(FORECAST.format(title=title, name=name), "forecast.yaml"))
    outcome = sim.load(write(OUTCOME, "outcome.yaml"))
    result = sim.simulate(forecast, 2000)
    return result, backtest(result, outcome)


def _figures(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="lunarsim-figures">(.*?)</script>', html, re.S)
    assert block is not None
    return json.loads(block.group(1))


def test_page_states_the_scores_and_what_they_mean(write):
    result, scores = _pair(write)
    html = backtest_html(result, scores)
    text = " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())
    assert f"Brier score {scores.brier:.2f} against the plan's {scores.plan_brier:.2f}" in text
    # The plan gets all three right here (score 0), the forecast's probabilities cannot beat it.
    assert scores.plan_brier == 0.0 and "did worse than taking the plan's dates as certain" in text
    pits = [r.pit for r in scores.rows if r.pit is not None]
    assert f"mean PIT of {sum(pits) / len(pits):.2f}" in text
    assert "0.25 is what always saying 50 % scores" in text
    for title in ("First", "Second", "Third"):
        assert title in text
    assert "Done 2030-05-01; the forecast gave 100 % by then." in text
    assert "Not done by 2030-05-31" in text


def test_page_has_a_pit_histogram_and_a_curve_per_milestone_with_the_actual(write):
    result, scores = _pair(write)
    figs = _figures(backtest_html(result, scores))
    assert set(figs) == {"fig-pit", "fig-bt-0", "fig-bt-1", "fig-bt-2"}
    bars = figs["fig-pit"]["data"][0]
    pits = [r.pit for r in scores.rows if r.pit is not None]
    expected = [0] * 5
    for p in pits:
        expected[min(int(p * 5), 4)] += 1
    assert bars["y"] == expected
    rows = {r.milestone: r for r in scores.rows}
    for k, mid in enumerate(("a", "b", "c")):
        fig = figs[f"fig-bt-{k}"]
        assert fig["layout"]["shapes"][0]["x0"] == "2030-05-31"  # the outcome's as_of
        stars = [t for t in fig["data"] if t.get("name") == "actual"]
        if rows[mid].actual is None:
            assert stars == []
        else:
            assert stars[0]["x"] == [rows[mid].actual.isoformat()]
            # The star sits on the curve: the forecast's P(done by the end of the actual day),
            # not the randomised PIT (a random point below it where finishes share that day).
            day = (rows[mid].actual - result.scenario.start).days
            assert stars[0]["y"] == [float((result.finish_of(mid) < day + 1).mean())]
            assert stars[0]["y"][0] >= rows[mid].pit


def test_without_any_done_milestone_every_scored_one_still_has_a_censored_pit(write):
    forecast = sim.load(write(FORECAST.format(title="First", name="one"), "forecast.yaml"))
    outcome = sim.load(write("extends: forecast.yaml\nname: later\nas_of: 2030-02-01\n", "outcome.yaml"))
    result = sim.simulate(forecast, 500)
    scores = backtest(result, outcome)
    html = backtest_html(result, scores)
    figs = _figures(html)
    # Nothing was done by 2030-02-01, so each PIT lies in [F(as_of), 1]: a and c cannot be done
    # by then (F = 0), b's F is the share of uniform [0, 200] draws under 32 days.
    rows = {r.milestone: r for r in scores.rows}
    for mid in ("a", "b", "c"):
        low = rows[mid].p_done
        assert low <= rows[mid].pit <= 1.0
    assert sum(figs["fig-pit"]["data"][0]["y"]) == 3
    text = " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())
    assert "(0 done, 3 not done by 2030-02-01)" in text
    # No star without a done milestone: what happened is "not by then", not a date.
    for k in range(3):
        assert [t for t in figs[f"fig-bt-{k}"]["data"] if t.get("name") == "actual"] == []


def test_page_gives_the_crps_with_what_it_means(write):
    result, scores = _pair(write)
    html = backtest_html(result, scores)
    text = " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())
    assert f"CRPS {scores.crps:.0f} days per milestone against the plan's {scores.plan_crps:.0f} days" in text
    assert "It is counted in days" in text
    for row in scores.rows:
        assert f'<td class="num">{row.crps:.0f}</td>' in html
    # Known scores are explained in the lead, not repeated as "other scores".
    assert "<code>crps_days</code>" not in html


def test_milestones_left_out_are_listed_unscored_with_the_reason_or_scored_as_not_done(write):
    forecast_path = write(FORECAST.format(title="First", name="one"), "forecast.yaml")
    outcome = sim.load(write(OUTCOME + "    remove: [c]\n", "outcome.yaml"))
    result = sim.simulate(sim.load(forecast_path), 1000)
    html = backtest_html(result, backtest(result, outcome))
    text = " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())
    assert "Not scored: Third (left out of the outcome scenario, so whether it happened" in text
    assert "<td>not scored</td>" in html
    given = backtest(result, outcome, not_done=["c"])
    html = backtest_html(result, given)
    text = " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())
    assert "Not scored:" not in text
    assert "Not done by 2030-05-31 (left out of the outcome scenario; given as not done by as_of)" in text
    assert "(2 done, 1 not done by 2030-05-31)" in text


def test_scores_added_to_the_backtest_appear_without_a_change_to_the_page(write):
    result, scores = _pair(write)

    @dataclass(frozen=True)
    class Extended(Backtest):
        def as_dict(self) -> dict[str, object]:
            doc = super().as_dict()
            doc["spread_days"] = 123.456
            doc["milestones"]["c"]["removed"] = True  # type: ignore[index]
            return doc

    html = backtest_html(result, Extended(scores.forecast, scores.outcome, scores.as_of, scores.rows))
    assert '<code>spread_days</code></td><td class="num">123</td>' in html
    assert "<td>failed or removed</td>" in html


def test_user_text_is_escaped_everywhere(write):
    result, scores = _pair(write, title=XSS_SCRIPT, name=XSS_IMG)
    html = backtest_html(result, scores)
    assert XSS_SCRIPT not in html and XSS_IMG not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    block = re.search(r'id="lunarsim-figures">(.*?)</script>', html, re.S)
    assert block is not None and "<" not in block.group(1)
    # Inside Plotly the title is escaped once more, for Plotly's own HTML-like text.
    assert figs_title(html).startswith("&lt;script&gt;")


def figs_title(html: str) -> str:
    return _figures(html)["fig-bt-0"]["layout"]["title"]["text"]


def test_write_backtest_names_the_file_and_writes_it_whole(write, tmp_path):
    result, scores = _pair(write)
    path = write_backtest(result, scores, tmp_path / "out", "outcome")
    assert path == tmp_path / "out" / "backtest-forecast-vs-outcome.html"
    assert path.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@pytest.fixture
def files(write) -> tuple[Path, Path]:
    return write(FORECAST.format(title="First", name="one"), "forecast.yaml"), write(OUTCOME, "outcome.yaml")


def test_cli_writes_the_report_to_out_and_says_where(files, tmp_path):
    forecast, outcome = files
    r = _cli("backtest", str(forecast), str(outcome), "-n", "500", "--out", "pages", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    expected = Path("pages") / "backtest-forecast-vs-outcome.html"
    assert f"report: {expected}" in r.stdout
    assert (tmp_path / expected).is_file()


def test_cli_no_report_writes_nothing_and_json_keeps_stdout_clean(files, tmp_path):
    forecast, outcome = files
    r = _cli("backtest", str(forecast), str(outcome), "-n", "500", "--no-report", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "report:" not in r.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["forecast.yaml", "outcome.yaml"]
    r = _cli("backtest", str(forecast), str(outcome), "-n", "500", "--json", "-", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["as_of"] == "2030-05-31"  # nothing else on standard output
    assert "report: reports/backtest-forecast-vs-outcome.html" in r.stderr


def test_the_page_leads_with_one_sentence_on_the_plan_and_the_lean() -> None:
    from sim.report.backtest import in_short

    # 14 PITs with mean 0.67: 1.96 standard errors of a calibrated mean, 1.96 * sqrt(1/12/14)
    # = 0.151, put the line at 0.651, so this is a lean towards later.
    pits = [0.9] * 6 + [0.5] * 8
    text = in_short(0.19, 0.43, pits)
    assert text.startswith("In short: the forecast did better than the plan, but it was still too optimistic")
    assert "mean PIT 0.67 over 14 milestones" in text and "6 of 14 above 0.8" in text
    # Within the line either way: no lean claimed; below it: too pessimistic.
    assert "no clear lean" in in_short(0.19, 0.43, [0.64] * 14)
    assert "too pessimistic" in in_short(0.3, 0.2, [0.3] * 14)
    assert in_short(0.3, 0.2, [0.3] * 14).startswith("In short: the forecast did worse than the plan")
