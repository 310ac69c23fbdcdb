"""`lunarsim explain`: the headline's shift split among what changed, by Shapley values on common
random numbers. The parts add up to the total exactly; a change that cannot move it gets exactly 0."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from test_cli import lunarsim

from sim.analysis.changes import changes
from sim.analysis.explain import explain
from sim.scenario.extends import read_chain

OLD = """
    name: old
    start: 2030-01-01
    seed: 11
    iterations: 3000
    headline: head
    milestones:
      a: {duration: {triangular: [100d, 200d, 400d]}}
      b:
        after: [a]
        duration: {uniform: [50d, 150d]}
      quick:
        duration: {uniform: [1d, 5d]}
      head:
        after: [b, quick]
        duration: 30d
        target: 2031-01-01
      elsewhere: {duration: {uniform: [10d, 900d]}}
    risks:
      strike:
        probability: 0.2
        effects: [{milestones: [b], add: {uniform: [30d, 90d]}}]
"""


def _new(text: str) -> str:
    return (
        text.replace("name: old", "name: new")
        .replace("[100d, 200d, 400d]", "[150d, 260d, 500d]")  # a: later
        .replace("probability: 0.2", "probability: 0.6")  # strike: likelier
        .replace("[1d, 5d]", "[2d, 9d]")  # quick: changed, but always long done before b
        .replace("[10d, 900d]", "[10d, 90d]")  # elsewhere: nothing waits for it
    )


@pytest.fixture
def pair(write):
    return write(OLD, "old.yaml"), write(_new(OLD), "new.yaml")


def _by_name(e):
    return {p.change.name: p for p in e.parts}


def test_changes_are_found_per_milestone_and_risk(pair):
    old, new = (read_chain(p)[0].data for p in pair)
    names = {c.name for c in changes(old, new)}
    assert names == {"milestone:a", "milestone:quick", "milestone:elsewhere", "risk:strike"}


@pytest.mark.parametrize("exact_up_to", [7, 1])  # every combination; sampled orders
def test_parts_add_up_to_the_total_exactly(pair, exact_up_to):
    e = explain(*pair, exact_up_to=exact_up_to, variants=12)
    assert e.method == ("exact" if exact_up_to == 7 else "sampled")
    for j in range(3):
        assert sum((p.value[j] for p in e.parts), Fraction(0)) == e.total[j]
    assert e.total[1] > 0  # a later and a likelier strike: P80 later
    doc = e.to_json()
    assert set(doc) == {"total", "parts"}
    for key in ("p50_days", "p80_days", "p_target"):
        steps = round(sum(p[key] for p in doc["parts"]) * (10 if key != "p_target" else 10_000))
        assert steps == round(doc["total"][key] * (10 if key != "p_target" else 10_000))


def test_an_input_that_cannot_move_the_headline_gets_exactly_zero(pair):
    e = explain(*pair)
    parts = _by_name(e)
    # Unreachable (nothing waits for it): left out of the runs, exactly 0.
    assert parts["milestone:elsewhere"].value == (0, 0, 0)
    # A predecessor that never drives the headline: run, and exactly 0 on the same random draws.
    assert parts["milestone:quick"].value == (0, 0, 0)
    assert parts["milestone:a"].value[1] > 0 and parts["risk:strike"].value[1] > 0


def test_the_ends_are_the_two_files_run_alone(pair):
    import sim

    e = explain(*pair)
    for path, value in zip(pair, (e.old_value, e.new_value)):
        r = sim.simulate(sim.load(path), 3000, 11)
        start = r.scenario.start.toordinal()
        assert value[1] == Fraction(start) + Fraction(r.percentile_days("head", 80))
        assert value[2] == Fraction(r.p_by("head", r.scenario.milestones["head"].target))


def test_same_file_twice_explains_nothing(pair):
    e = explain(pair[0], pair[0])
    assert e.parts == [] and e.total == (0, 0, 0)


def test_seed_and_iterations_are_noise(write, pair):
    noisy = write(OLD.replace("seed: 11", "seed: 12"), "noisy.yaml")
    e = explain(pair[0], noisy)
    assert [p.change.name for p in e.parts] == ["noise (seed, iterations)"]
    assert e.parts[0].value == e.total


def test_explain_command_json_and_words(pair):
    r = lunarsim("explain", str(pair[0]), str(pair[1]), "--json", "--no-report")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert set(doc["total"]) == {"p50_days", "p80_days", "p_target"}
    assert all(set(p) == {"change", "p50_days", "p80_days", "p_target"} for p in doc["parts"])
    words = lunarsim("explain", str(pair[0]), str(pair[1]), "--no-report").stdout
    assert "P80 moved" in words and "later" in words and "exactly 0" in words


def test_explain_report_has_the_waterfall_and_escapes_names(write, tmp_path):
    hostile = "<script>alert(1)</script>"
    old = write(OLD.replace("a: {duration", f"a: {{title: '{hostile}', duration"), "o.yaml")
    new = write(_new(OLD).replace("a: {duration", f"a: {{title: '{hostile}', duration"), "n.yaml")
    r = lunarsim("explain", str(old), str(new), "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    (page,) = (tmp_path / "out").glob("explain-*.html")
    html = page.read_text(encoding="utf-8")
    assert '"type": "waterfall"' in html or '"type":"waterfall"' in html
    assert hostile not in html and "&lt;script&gt;" in html
    assert f"report: {page}" in r.stdout


def test_a_missing_milestone_is_one_line_exit_2(pair):
    r = lunarsim("explain", str(pair[0]), str(pair[1]), "--milestone", "nope", "--no-report")
    assert r.returncode == 2
    assert r.stderr.strip().endswith("no milestone 'nope' to explain (--milestone)")


def test_two_recorded_runs_explain_as_their_files_do(pair, tmp_path):
    store = tmp_path / "h.sqlite"
    for path in pair:
        assert lunarsim("run", str(path), "--no-report", "-q", "--history", str(store)).returncode == 0
    ids = [e["id"] for e in json.loads(lunarsim("history", "--history", str(store), "--json").stdout)]
    runs = lunarsim(
        "explain", f"run:{ids[1]}", f"run:{ids[0]}", "--json", "--history", str(store), "--no-report"
    )
    files = lunarsim("explain", str(pair[0]), str(pair[1]), "--json", "--no-report")
    assert runs.returncode == 0, runs.stderr
    assert json.loads(runs.stdout) == json.loads(files.stdout)
    missing = lunarsim("explain", "run:999", f"run:{ids[0]}", "--history", str(store), "--no-report")
    assert missing.returncode == 2 and "no recorded run 'run:999'" in missing.stderr


@pytest.mark.slow
def test_the_ilrs_paragraph_the_docs_quote():
    """docs/cli.md quotes the paragraph for the bundled 2022 → 2026 pair at the files' own 10,000
    iterations and seed; this is that run (about 40 s)."""
    import re

    from test_cli import ROOT

    from sim.analysis.explaintext import paragraph

    doc = " ".join((ROOT / "docs" / "cli.md").read_text(encoding="utf-8").split())
    quoted = re.search(r'The paragraph it prints: "(.*?) …"', doc)
    assert quoted is not None
    e = explain(ROOT / "scenarios" / "ilrs-2022-announced.yaml", ROOT / "scenarios" / "ilrs-2026-status.yaml")
    assert paragraph(e).startswith(quoted.group(1))
    assert sum((p.value[1] for p in e.parts), Fraction(0)) == e.total[1]
