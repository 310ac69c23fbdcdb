"""The comparison report: delta sentences that call noise noise, the side-by-side table, labelled
target lines, and a correct title when the scenarios share no milestone."""

from __future__ import annotations

import html as html_module
import json
import re
from pathlib import Path

import numpy as np

import sim
from sim.report import write_comparison
from sim.report.deltas import deltas, median_shift, p_target_change, side_by_side


def scenario(tmp_path: Path, name: str, milestones: str, seed: int = 1) -> sim.Result:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"name: {name}\nstart: 2026-01-01\nhorizon: 2040-01-01\nseed: {seed}\nmilestones:\n{milestones}"
    )
    return sim.simulate(sim.load(path), iterations=4000, workers=1)


def figures_of(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="lunarsim-figures">(.*?)</script>', html, re.S)
    assert block is not None
    return json.loads(block.group(1))


def text_of(fragment: str) -> str:
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_fixed_durations_give_exact_delta_sentences(tmp_path: Path) -> None:
    # Fixed durations: every iteration finishes on the same day, so both medians are exact
    # (their 95 % bands are single days) and P(target) is exactly 1 or 0.
    a = scenario(tmp_path, "early", "  build: {duration: 100d, target: 2026-06-01}\n")
    b = scenario(tmp_path, "late", "  build: {duration: 500d, target: 2026-06-01}\n")
    (delta,) = deltas([a, b], ["early", "late"])
    # 400 days = 13.1 months (30.44 days a month): "13 months later"; 100 days after 2026-01-01
    # is 2026-04-11, 500 days is 2027-05-16.
    assert delta.changes == [
        ("late", "median 13 months later (2026-04 → 2027-05); P(target) 100 % → 0 %"),
    ]
    html = write_comparison([a, b], tmp_path).read_text(encoding="utf-8")
    ul = re.search(r'<ul class="deltas">(.*?)</ul>', html, re.S)
    assert ul is not None
    sentence = "build : median 13 months later (2026-04 → 2027-05); P(target) 100 % → 0 %."
    assert text_of(ul.group(1)) == sentence


def test_a_difference_within_the_runs_precision_is_no_clear_difference(tmp_path: Path) -> None:
    # The same model under two seeds: any difference between the runs is sampling noise.
    spec = "  build: {duration: {pert: [1y, 2y, 5y]}, target: 2028-06-01}\n"
    a = scenario(tmp_path, "one", spec, seed=1)
    b = scenario(tmp_path, "two", spec, seed=2)
    assert a.percentile_days("build", 50) != b.percentile_days("build", 50)  # the point values differ
    ((_, text),) = deltas([a, b], ["one", "two"])[0].changes
    assert "median" in text and text.count("no clear difference") == 2, text


def test_median_shift_needs_the_bands_apart() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(11))
    x = rng.normal(1000.0, 100.0, 4000)
    # The median's 95 % band at n = 4000 is about ± 1.96 * 1.2533 * 100 / sqrt(4000) = ± 3.9 days
    # wide: a 2-day shift is inside it, a 60-day shift far outside.
    assert median_shift(x, x + 2.0).endswith("no clear difference")
    assert median_shift(x, x + 60.0) == "median 60 days later"
    assert median_shift(x, x - 400.0) == "median 13 months earlier"
    assert median_shift(x, x + 3 * 365.25).startswith("median 3.0 years later")
    never = np.full(4000, np.inf)
    assert median_shift(never, never) == "median never reached in either"


def test_p_target_change_is_clear_beyond_twice_its_standard_error() -> None:
    # n = 10000 each: the difference's standard error at p = 0.5 is sqrt(2 * 0.25 / 10000) = 0.0071,
    # so 1.96 of them is 0.0139: 0.50 → 0.51 is noise, 0.50 → 0.53 is not.
    assert p_target_change(0.50, 10_000, 0.51, 10_000) == "P(target) 50 % → 51 %: no clear difference"
    assert p_target_change(0.50, 10_000, 0.53, 10_000) == "P(target) 50 % → 53 %"
    # Different targets are named.
    assert (
        p_target_change(0.18, 10_000, 0.52, 10_000, ("2032-04-24", "2035-12-31"))
        == "P(target) 18 % by 2032-04-24 → 52 % by 2035-12-31"
    )


def test_side_by_side_table_and_labelled_target_lines(tmp_path: Path) -> None:
    a = scenario(tmp_path, "early", "  build: {duration: 100d, target: 2026-06-01}\n")
    b = scenario(tmp_path, "late", "  build: {duration: 500d, target: 2026-06-01}\n")
    ((cell_a, cell_b),) = [row.cells for row in side_by_side([a, b])]
    assert (cell_a.p50, cell_a.p_target, cell_a.target) == ("2026-04", "100 %", "2026-06-01")
    assert (cell_b.p50, cell_b.p_target, cell_b.done) == ("2027-05", "0 %", "100 %")
    html = write_comparison([a, b], tmp_path).read_text(encoding="utf-8")
    table = re.search(r'<table class="side-by-side">(.*?)</table>', html, re.S)
    assert table is not None
    assert text_of(table.group(1)) == (
        "Milestone early late build 2026-04 P10–P90 2026-04 – 2026-04 100 % by 2026-06-01 done 100 % "
        "2027-05 P10–P90 2027-05 – 2027-05 0 % by 2026-06-01 done 100 %"
    )
    fig = figures_of(html)["fig-compare-scurve"]
    lines = [t for t in fig["data"] if t.get("mode") == "lines+text"]
    # The shared target sits in the left quarter of the view (2026-06-01 against finishes from
    # 2026-04 to 2027-05), so each label reads rightwards from its line, clear of the axis.
    assert [t["text"][1] for t in lines] == [" early target", " late target"]
    assert [t["textposition"] for t in lines] == ["middle right", "middle right"]
    # On a phone: the short label, and a legend entry of the scenario and date (embedding.RENDER_JS).
    assert [t["meta"] for t in lines] == [
        {"narrow": " target", "scenario": "early", "date": "2026-06-01"},
        {"narrow": " target", "scenario": "late", "date": "2026-06-01"},
    ]
    assert fig["layout"]["showlegend"] is True
    assert [t["name"] for t in fig["data"] if t.get("showlegend", True)] == ["early", "late"]


def test_a_target_label_reads_away_from_the_left_edge() -> None:
    from sim.report.charts.compare_scurves import label_side

    shown = ["2030-01-01", "2040-01-01"]
    assert label_side("2030-06-01", shown) == "right"  # in the left quarter: the label reads right
    assert label_side("2032-07-01", shown) == "right"  # 2.5 years of 10: still the left quarter
    assert label_side("2032-08-01", shown) == "left"
    assert label_side("2039-12-01", shown) == "left"  # near the right edge: left of the line


def test_scenarios_sharing_no_milestone_get_a_true_title_and_caption(tmp_path: Path) -> None:
    a = scenario(tmp_path, "orbiter-plan", "  orbiter: {title: Orbiter launched, duration: 1y}\n")
    b = scenario(tmp_path, "lander-plan", "  lander: {title: Lander lands, duration: 2y}\n")
    assert deltas([a, b], ["orbiter-plan", "lander-plan"]) == []
    html = write_comparison([a, b], tmp_path).read_text(encoding="utf-8")
    fig = figures_of(html)["fig-compare-scurve"]
    assert fig["layout"]["title"]["text"].startswith("The scenarios share no milestone")
    assert [t["name"] for t in fig["data"]] == ["orbiter-plan: Orbiter launched", "lander-plan: Lander lands"]
    assert "These scenarios share no milestone" in html
    assert '<ul class="deltas">' not in html and '<table class="side-by-side">' not in html
    assert 'id="fig-compare-timeline"' not in html
