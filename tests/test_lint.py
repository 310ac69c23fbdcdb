"""`lunarsim lint`: every rule has a failing and a passing file, outputs and exit statuses as in
outputs.md, no error-level finding on the bundled scenarios, and costed fixes against hand-computed
cases."""

from __future__ import annotations

import contextlib
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from stats import K
from test_cli import lunarsim

from sim.analysis.lint import RULES, lint, lint_scenario, load_with_source
from sim.analysis.linteffects import CHAIN_RHO, with_effects
from sim.cli import quick

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "lint"
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))


def _rules(path: Path) -> set[str]:
    return {f.rule for f in lint(path)}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_each_rule_fails_its_failing_file_and_passes_its_passing_one(rule):
    folder = CASES / f"{rule.id}-{rule.name}"
    assert rule.id in _rules(folder / "fail.yaml")
    assert rule.id not in _rules(folder / "pass.yaml")


def test_every_rule_is_documented_and_there_are_at_least_14():
    assert len(RULES) >= 14
    assert len({r.id for r in RULES}) == len(RULES)
    doc = (ROOT / "docs" / "lint.md").read_text(encoding="utf-8")
    for r in RULES:
        assert f"### {r.id} {r.name}" in doc


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenarios_have_no_error_level_finding(path):
    assert [f for f in lint(path) if f.severity == "error"] == []


def test_json_records_have_exactly_the_contract_keys_and_exit_0_without_errors():
    done = lunarsim("lint", "tests/lint/LS001-open-end/fail.yaml", "--format", "json")
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert records and all(
        list(r) == ["rule", "severity", "path", "line", "message", "p80_effect_days"] for r in records
    )
    first = next(r for r in records if r["rule"] == "LS001")
    assert first["line"] == 7 and first["path"].endswith("fail.yaml:7 milestones.c")
    assert first["p80_effect_days"] is None


def test_error_level_finding_exits_3_and_a_bad_file_exits_2(tmp_path):
    assert lunarsim("lint", "tests/lint/LS009-target-before-start/fail.yaml").returncode == 3
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nstart: 2030-01-01\nmilestones:\n  a: {duration: banana}\n")
    done = lunarsim("lint", str(bad))
    assert done.returncode == 2
    assert "bad.yaml:4" in done.stderr and "Traceback" not in done.stderr
    assert lunarsim("lint", str(bad), "--format", "xml").returncode == 2


def _quick(*args: str) -> tuple[int | None, str, str]:
    """`lunarsim ARGS` as `sim.cli.quick` answers it without Typer: exit status (None: not a plain
    form, left to the Typer command), standard output and error."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = quick.run(list(args))
    return code, out.getvalue(), err.getvalue()


def _same_both_ways(*args: str) -> subprocess.CompletedProcess[str]:
    """Answer `lunarsim ARGS` without Typer and through the Typer command: the same exit status,
    standard output and standard error."""
    plain = _quick(*args)
    typer = lunarsim(*args, typer=True)
    assert plain[0] is not None, args
    assert plain == (typer.returncode, typer.stdout, typer.stderr), args
    return typer


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_plain_lint_prints_what_the_typer_command_prints_in_every_format(path, monkeypatch):
    monkeypatch.chdir(ROOT)
    name = str(path.relative_to(ROOT))
    for form in ([], ["--format", "json"], ["--format=sarif"], ["--format", "text"]):
        assert _same_both_ways("lint", name, *form).returncode == 0


def test_plain_lint_reports_bad_missing_and_error_level_files_as_the_typer_command_does(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(ROOT)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nstart: 2030-01-01\nmilestones:\n  a: {duration: banana}\n")
    error_level = "tests/lint/LS009-target-before-start/fail.yaml"
    done = _same_both_ways("lint", str(bad))
    assert done.returncode == 2 and done.stderr.startswith(f"error: {bad}:4") and done.stdout == ""
    done = _same_both_ways("lint", str(tmp_path / "missing.yaml"), "--format", "json")
    assert done.returncode == 2 and "missing.yaml" in done.stderr and len(done.stderr.splitlines()) == 1
    for form in ([], ["--format", "json"], ["--format", "sarif"]):
        assert _same_both_ways("lint", error_level, *form).returncode == 3
    # Several files: the findings of all; an invalid one among them prints no finding at all.
    assert _same_both_ways("lint", error_level, "tutorial-launch-campaign").returncode == 3
    assert _same_both_ways("lint", "tutorial-launch-campaign", str(bad)).returncode == 2


def test_lint_with_options_or_mistakes_goes_to_the_typer_command():
    path = "tests/lint/LS009-target-before-start/fail.yaml"
    for args in (
        ["lint"],
        ["lint", path, "--effects"],
        ["lint", path, "--iterations", "100"],
        ["lint", path, "--debug"],
        ["lint", "--help"],
        ["lint", path, "--format", "xml"],
        ["lint", path, "--format"],
        ["lint", path, "--nope"],
        ["lint", "--", "-x.yaml"],
    ):
        assert _quick(*args) == (None, "", ""), args
    done = lunarsim("lint", path, "--format", "xml")
    assert done.returncode == 2 and "--format must be text, json or sarif" in done.stderr


def test_plain_lint_imports_neither_typer_nor_simpy_plotly_or_scipy():
    """A plain lint of scenarios with and without resources: the same output as the Typer command
    (`--debug` goes there), and none of these libraries imported."""
    probe = (
        "import atexit, sys\n"
        "heavy = {'typer', 'click', 'simpy', 'plotly', 'scipy'}\n"
        "loaded = lambda: sorted(heavy & {m.split('.')[0] for m in sys.modules})\n"
        "atexit.register(lambda: print(loaded(), file=sys.stderr))\n"
        "sys.argv = ['lunarsim', *sys.argv[1:]]\n"
        "from sim.cli import main\n"
        "main()\n"
    )
    for path in ("scenarios/ilrs-2026-status.yaml", "tests/lint/LS009-target-before-start/fail.yaml"):
        plain, typer = (
            subprocess.run(
                [sys.executable, "-c", probe, "lint", path, *extra], capture_output=True, text=True, cwd=ROOT
            )
            for extra in ([], ["--debug"])
        )
        assert plain.stderr.splitlines()[-1] == "[]", plain.stderr
        assert "typer" in typer.stderr.splitlines()[-1]
        assert (plain.returncode, plain.stdout) == (typer.returncode, typer.stdout) != (0, "")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_plain_lint_to_a_full_device_says_so_as_the_typer_command_does():
    answers = []
    for extra in ([], ["--debug"]):
        with open("/dev/full", "w") as full:
            r = subprocess.run(
                [sys.executable, "-m", "sim", "lint", "scenarios/ilrs-2026-status.yaml", *extra],
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
        answers.append((r.returncode, r.stderr))
    full_message = "error: cannot write to standard output: no space left on the device\n"
    assert answers[0] == answers[1] == (2, full_message)


def test_sarif_is_version_2_1_0_with_rules_and_located_results():
    done = lunarsim("lint", "tests/lint/LS009-target-before-start/fail.yaml", "--format", "sarif")
    assert done.returncode == 3
    doc = json.loads(done.stdout)
    assert doc["version"] == "2.1.0" and "sarif-2.1.0" in doc["$schema"]
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in RULES]
    result = next(r for r in run["results"] if r["ruleId"] == "LS009")
    assert result["level"] == "error" and rules[result["ruleIndex"]]["id"] == "LS009"
    where = result["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"].endswith("fail.yaml") and where["region"]["startLine"] == 6


def test_text_names_file_line_rule_and_severity():
    done = lunarsim("lint", "tests/lint/LS016-no-retry/fail.yaml")
    assert "fail.yaml:6 milestones.b.success: note LS016 no-retry:" in done.stdout


def test_removing_a_risk_that_cannot_reach_the_headline_costs_exactly_nothing():
    scenario, source = load_with_source(CASES / "LS006-risk-without-effect" / "fail.yaml")
    found = with_effects(scenario, lint_scenario(scenario, source), iterations=4_000)
    costed = [f for f in found if f.rule == "LS006"]
    assert [f.p80_effect_days for f in costed] == [0.0]


def test_correlating_a_chain_of_normals_moves_p80_as_the_closed_form_says(write):
    """Five N(100 d, 10 d) durations in series: P80 = 500 + z σ. Independent, σ² = 5·100; in one
    Gaussian-copula group of rank correlation ρ_s, the latent (and here the durations') Pearson
    correlation is r = 2 sin(π ρ_s / 6), so σ² = 5·100 + 20·r·100. Tolerance: each P80 estimate
    has SE sqrt(p (1 - p) / n) / f(q) with f(q) = φ(z) / σ; the SE of the difference is at most the
    sum of the two; plus 0.5 d for rounding the effect to whole days."""
    steps = "".join(
        f"  s{i}: {{title: S{i}, {'after: [s' + str(i - 1) + '], ' if i else ''}"
        f"duration: {{normal: {{mean: 100d, sd: 10d}}}}, source: s}}\n"
        for i in range(5)
    )
    path = write(f"name: chain\nstart: 2030-01-01\nheadline: s4\nmilestones:\n{steps}")
    n = 40_000
    scenario, source = load_with_source(path)
    found = with_effects(scenario, lint_scenario(scenario, source), iterations=n, seed=5)
    effect = next(f.p80_effect_days for f in found if f.rule == "LS005")
    z, phi = 0.8416212335729143, 0.28001570949311
    r = 2 * math.sin(math.pi * CHAIN_RHO / 6)
    sd0, sd1 = math.sqrt(500), math.sqrt(500 + 2000 * r)
    expected = z * (sd1 - sd0)
    se = math.sqrt(0.8 * 0.2 / n) / phi * (sd0 + sd1)
    assert effect is not None and abs(effect - expected) <= K * se + 0.5, (effect, expected, se)


LS011_CASE = """\
name: over without actual
start: 2030-01-01
as_of: 2030-05-01
headline: h
iterations: 4000
seed: 3
milestones:
  a: {title: A, duration: {triangular: [50d, 60d, 150d]}, source: s}
  c: {title: C, after: [a], duration: 10d, source: s}
  h: {title: H, after: [c], duration: 100d, target: 2031-01-01, source: s}
"""


def test_dating_a_milestone_dates_its_plan_completed_neighbours_at_their_plan_dates(write):
    from sim.analysis.linteffects import dated_together, fixed

    scenario, _ = load_with_source(write(LS011_CASE))
    plan = {"a": 60.0, "c": 70.0, "h": 170.0}
    assert dated_together(scenario, "a", plan) == ["a", "c"]
    assert dated_together(scenario, "c", plan) == ["a", "c"]  # its predecessor is done too
    assert dated_together(scenario, "h", plan) == []  # not over by as_of
    after = fixed(scenario, "date", "c")
    assert [after.milestones[m].actual for m in "ach"] == [60.0, 70.0, None]


def test_dating_an_over_milestone_moves_p80_as_the_hand_computed_case_says(write):
    """as_of is day 120. A ~ triangular(50, 60, 150) (plan 60), then C 10 d, then H 100 d: the plan
    has A and C over by as_of, neither has an actual, so the run conditions on A not being done by
    day 120: for x > 60, P(A > x) = (150 - x)² / 9000, so given A > 120 it is (150 - x)² / 900 and
    the conditional P80 is 150 - 30·sqrt(0.2) = 136.58; H = A + 110, P80 246.58. Fixed (A and C
    dated at their plan days 60 and 70): H = 170 exactly. Effect -76.58 d. Dating A alone would
    force C (plan 70, no actual) past as_of: H = 220, effect -26.58 d. Tolerance: the P80 of the
    conditional A has SE sqrt(p (1 - p) / n) / f(q) with f(q) = 2 (150 - q) / 900; the fixed run has
    none; plus 0.5 d for rounding the effect to whole days."""
    scenario, source = load_with_source(write(LS011_CASE))
    found = with_effects(scenario, lint_scenario(scenario, source))
    effects = {f.key: f.p80_effect_days for f in found if f.rule == "LS011"}
    assert set(effects) == {"milestones.a", "milestones.c"}
    q = 150 - 30 * math.sqrt(0.2)
    se = math.sqrt(0.8 * 0.2 / 4000) / (2 * (150 - q) / 900)
    for effect in effects.values():
        assert effect is not None and abs(effect - (170 - (q + 110))) <= K * se + 0.5, (effect, se)
