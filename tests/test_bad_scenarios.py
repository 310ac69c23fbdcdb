"""Bad scenario files (tests/bad/*.yaml), each with the exact message the user must see.

Messages name the file, line and column, the key path, what is wrong and what would be right.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import sim

BAD = Path(__file__).resolve().parent / "bad"

EXPECTED = [
    (
        "remove-without-extends.yaml",
        [
            "remove-without-extends.yaml:3:1 remove: remove needs extends: there is no base scenario to remove from"
        ],
    ),
    (
        "remove-unknown.yaml",
        [
            "remove-unknown.yaml:3:10 remove[0]: nothing called 'lauch' in the base scenario to remove (did you mean 'launch'?)"
        ],
    ),
    (
        "correlation-one-member.yaml",
        [
            "correlation-one-member.yaml:6:5 correlations[0]: a correlation group needs at least two members (milestones and/or risks)",
        ],
    ),
    (
        "correlation-unknown-risk.yaml",
        [
            "correlation-unknown-risk.yaml:8:31 correlations[0].risks[0]: unknown risk 'sanction' (did you mean 'sanctions'?)",
        ],
    ),
    (
        "actual-after-as-of.yaml",
        [
            "actual-after-as-of.yaml:5:37 milestones.chang-e-6.actual: actual 2027-05-03 is after as_of 2026-11-25; a milestone can only be done by the status date",
        ],
    ),
    (
        "actual-before-predecessor.yaml",
        [
            "actual-before-predecessor.yaml:6:52 milestones.lander.actual: actual 2024-06-01 is before the actual 2025-03-01 of its predecessor 'orbiter'; a milestone is done only after what it comes after",
            "actual-before-predecessor.yaml:7:50 milestones.rover.actual: actual 2026-01-10 but its predecessor 'design' has none; give 'design' an actual on or before 2026-01-10",
        ],
    ),
    (
        "actual-without-as-of.yaml",
        [
            "actual-without-as-of.yaml:4:37 milestones.chang-e-6.actual: actual needs a status date: add as_of at the top level",
        ],
    ),
    (
        "alias-bomb.yaml",
        [
            "alias-bomb.yaml:3:44 f: the document expands to more than 200000 values (aliases nested too deep?); refusing to read it",
        ],
    ),
    (
        "bad-format.yaml",
        [
            "bad-format.yaml:1:9 format: format 2 is not supported; this version of lunarsim reads format 1",
        ],
    ),
    (
        "bad-id.yaml",
        [
            "bad-id.yaml:4:3 milestones.Surveys_1: 'Surveys_1' is not a valid id; use lower-case words joined by '-', e.g. 'iss-decision'",
        ],
    ),
    (
        "bad-start-date.yaml",
        [
            "bad-start-date.yaml:2:8 start: '2022-13-01' is not a date; write YYYY-MM-DD, YYYY-MM or YYYY",
        ],
    ),
    (
        "branches-sum.yaml",
        [
            "branches-sum.yaml:6:7 milestones.iss-decision.branches: outcome probabilities sum to 0.9; they must sum to 1",
        ],
    ),
    (
        "cycle.yaml",
        [
            "cycle.yaml:4:14 milestones.a.after: dependency cycle: a -> b -> c -> a",
        ],
    ),
    (
        "discrete-sum.yaml",
        [
            "discrete-sum.yaml:5:15 milestones.a.duration: probabilities sum to 0.9 (need 1)",
        ],
    ),
    (
        "duplicate-key.yaml",
        [
            "duplicate-key.yaml:5:3 milestones: duplicate key 'a' (first at line 4); each key may appear once",
        ],
    ),
    (
        "duration-no-unit.yaml",
        [
            "duration-no-unit.yaml:4:17 milestones.a.duration: 90 needs a unit, e.g. 90d, 90w, 90 months or 90y",
        ],
    ),
    (
        "effect-two-kinds.yaml",
        [
            "effect-two-kinds.yaml:8:15 risks.failure.effects[0]: an effect needs exactly one of scale, add, cancel or success (got scale and add)",
        ],
    ),
    (
        "effect-unknown-milestone.yaml",
        [
            "effect-unknown-milestone.yaml:8:29 risks.sanctions.effects[0].milestones[0]: unknown milestone 'luna-62' (did you mean 'luna-26'?)",
        ],
    ),
    (
        "extends-cycle-a.yaml",
        [
            "extends-cycle-b.yaml:1:10 extends: extends cycle: extends-cycle-a.yaml -> extends-cycle-b.yaml -> extends-cycle-a.yaml",
        ],
    ),
    (
        "extends-missing.yaml",
        [
            "extends-missing.yaml:1:10 extends: base scenario 'no-such-base.yaml' not found (the path is relative to this file's folder)",
        ],
    ),
    (
        "headline-unknown.yaml",
        [
            "headline-unknown.yaml:3:11 headline: unknown milestone 'facilities' (did you mean 'facilities-built'?)",
        ],
    ),
    (
        "invalid-yaml.yaml",
        [
            "invalid-yaml.yaml:4:17: invalid YAML: this '[' is closed with '}' (line 4, column 24); a list ends with ']'",
        ],
    ),
    (
        "missing-milestones.yaml",
        [
            "missing-milestones.yaml:1:1: missing required key 'milestones'",
        ],
    ),
    (
        "missing-name.yaml",
        [
            "missing-name.yaml:1:1: missing required key 'name'",
        ],
    ),
    (
        "normal-sd.yaml",
        [
            "normal-sd.yaml:5:15 milestones.a.duration: sd must be > 0, got -30d",
        ],
    ),
    (
        "not-a-mapping.yaml",
        [
            "not-a-mapping.yaml:1:1: a scenario must be a mapping (key: value), not a list",
        ],
    ),
    (
        "pert-arity.yaml",
        [
            "pert-arity.yaml:5:15 milestones.a.duration: pert takes [min, mode, max], got 2 values",
        ],
    ),
    (
        "probability-range.yaml",
        [
            "probability-range.yaml:7:18 risks.failure.probability: must be a probability between 0 and 1, got 1.5",
        ],
    ),
    (
        "resource-capacity.yaml",
        [
            "resource-capacity.yaml:4:19 resources.pad.capacity: must be >= 1, got -1",
        ],
    ),
    (
        "resource-unknown.yaml",
        [
            "resource-unknown.yaml:6:28 milestones.a.uses.launch-pads: unknown resource 'launch-pads' (did you mean 'launch-pad'?)",
        ],
    ),
    (
        "retry-negative.yaml",
        [
            "retry-negative.yaml:7:29 milestones.landing.retry.max: must be >= 0, got -1",
        ],
    ),
    (
        "rho-not-psd.yaml",
        [
            "rho-not-psd.yaml:8:34 correlations[0].rho: correlation group 0: rho -0.9 for these 3 members is not positive semi-definite (no joint distribution has it); with 3 members rho must be at least -0.483",
        ],
    ),
    (
        # r = 2 sin(pi rho / 6) = -0.469 would be possible for continuous members, but the
        # two-point members need r = sin(pi rho / 2) = -0.649 < -1/2.
        "rho-not-psd-discrete.yaml",
        [
            "rho-not-psd-discrete.yaml:8:34 correlations[0].rho: correlation group 0: rho -0.45 for these 3 members is not positive semi-definite (no joint distribution has it); raise rho towards 0 or split the group",
        ],
    ),
    (
        "rho-range.yaml",
        [
            "rho-range.yaml:7:31 correlations[0].rho: must be <= 1.0, got 1.2",
        ],
    ),
    (
        "self-after.yaml",
        [
            "self-after.yaml:4:15 milestones.a.after[0]: 'a' cannot come after itself",
        ],
    ),
    (
        "several-problems.yaml",
        [
            "several-problems.yaml:5:15 milestones.a.duration: a 2y >= b 1y (need a < b)",
            "several-problems.yaml:6:5 milestones.a.titel: unknown key 'titel' (did you mean 'title'?)",
            "several-problems.yaml:8:13 milestones.b.after[0]: unknown milestone 'zz' (expected one of: a, b)",
            "several-problems.yaml:9:14 milestones.b.success: must be a probability between 0 and 1, got 2",
        ],
    ),
    (
        "triangular-order.yaml",
        [
            "triangular-order.yaml:5:15 milestones.surveys.duration: min 3y > max 2y (need min <= mode <= max)",
        ],
    ),
    (
        "unknown-after.yaml",
        [
            "unknown-after.yaml:6:13 milestones.base.after[0]: unknown milestone 'survey' (did you mean 'surveys'?)",
        ],
    ),
    (
        "unknown-distribution.yaml",
        [
            "unknown-distribution.yaml:5:15 milestones.a.duration: unknown distribution 'gamma'; use one of uniform, triangular, pert, normal, lognormal, discrete, empirical, reference, or 'a to b'",
        ],
    ),
    (
        "unknown-milestone-key.yaml",
        [
            "unknown-milestone-key.yaml:5:5 milestones.a.duraton: unknown key 'duraton' (did you mean 'duration'?)",
        ],
    ),
    (
        "unknown-top-key.yaml",
        [
            "unknown-top-key.yaml:3:1 horizn: unknown key 'horizn' (did you mean 'horizon'?)",
        ],
    ),
    (
        "lag-overflow.yaml",
        [
            "lag-overflow.yaml:6:26 milestones.b.after[0].lag: pert(10d, 20d, 40d, lambda 1e+308) cannot be simulated: its parameters overflow to infinite or undefined (NaN) values; use parameters of a realistic size",
        ],
    ),
    (
        "pert-lambda-overflow.yaml",
        [
            "pert-lambda-overflow.yaml:5:15 milestones.a.duration: pert(1y, 2y, 4y, lambda 1e+308) cannot be simulated: its parameters overflow to infinite or undefined (NaN) values; use parameters of a realistic size",
        ],
    ),
    (
        "scale-discrete-zero.yaml",
        [
            "scale-discrete-zero.yaml:9:38 risks.redesign.effects[0].scale: discrete(0: 0.1, 1.5: 0.9) can draw 0, and a scale must be > 0 in every draw (it multiplies a duration); make its lowest value above 0",
        ],
    ),
    (
        "scale-negative.yaml",
        [
            "scale-negative.yaml:9:38 risks.sanctions.effects[0].scale: a scale must be > 0 (it multiplies a duration), got -0.5",
        ],
    ),
    (
        "scale-normal.yaml",
        [
            "scale-normal.yaml:10:16 risks.sanctions.effects[0].scale: normal(mean 1.3, sd 0.4) can draw values down to 0 (a normal has no lower bound above 0), and a scale must be > 0; use a lognormal such as '0.9 to 1.6' or a range with min > 0",
        ],
    ),
    (
        "scale-uniform-from-zero.yaml",
        [
            "scale-uniform-from-zero.yaml:10:42 milestones.decide.branches.cheap.effects[0].scale: uniform(0, 2) can draw 0, and a scale must be > 0 in every draw (it multiplies a duration); make its lowest value above 0",
        ],
    ),
    (
        "tab-indent.yaml",
        [
            "tab-indent.yaml:6:1: invalid YAML: a tab character; YAML indents with spaces only, so replace the tab with spaces",
        ],
    ),
    (
        "unclosed-bracket.yaml",
        [
            "unclosed-bracket.yaml:8:12: invalid YAML: this '[' is never closed; end the list with ']' (by line 9 it was still open)",
        ],
    ),
    (
        "probability-percent.yaml",
        [
            "probability-percent.yaml:9:18 risks.supplier-delay.probability: write a probability as a number between 0 and 1: 0.2, not '20%'",
        ],
    ),
    (
        "window-open.yaml",
        [
            "window-open.yaml:6:32 milestones.launch.window.open: open 40d must be longer than 0d and no longer than every (30d)",
        ],
    ),
]


# Files that run, but probably do not say what was meant: warnings, not errors.
WARNED = [
    (
        "warn-target-and-no-duration.yaml",
        [
            "milestones.review (line 8): no duration, so it takes no time once its predecessors are done (write duration: 0d if that is meant)",
            "milestones.launch.target (line 13): target 2041-06-30 is after the horizon 2040-01-01; the simulation stops at the horizon, so P(target) is the share done by then (move the horizon past the target?)",
        ],
    ),
]


@pytest.mark.parametrize(("name", "messages"), WARNED, ids=[n for n, _ in WARNED])
def test_warned_file_loads_with_exact_warnings(monkeypatch, name, messages):
    monkeypatch.chdir(BAD)
    assert list(sim.load(name).warnings) == messages


def test_cli_prints_warnings_and_still_succeeds():
    name, messages = WARNED[0]
    r = subprocess.run(
        [sys.executable, "-m", "sim", "validate", name], cwd=BAD, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == [f"warning: {name}: {m}" for m in messages]


def test_bundled_scenarios_load_without_warnings():
    for path in sorted((BAD.parent.parent / "scenarios").glob("*.yaml")):
        assert sim.load(path).warnings == (), path.name


def test_every_bad_file_has_an_expected_message():
    listed = {name for name, _ in EXPECTED} | {"extends-cycle-b.yaml"} | {name for name, _ in WARNED}
    assert listed == {p.name for p in BAD.glob("*.yaml")}
    assert len(listed) >= 20


@pytest.mark.parametrize(("name", "messages"), EXPECTED, ids=[n for n, _ in EXPECTED])
def test_bad_file_gives_exact_messages(monkeypatch, name, messages):
    monkeypatch.chdir(BAD)
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(name)
    assert [str(p) for p in info.value.problems] == messages


@pytest.mark.parametrize("name", ["cycle.yaml", "several-problems.yaml", "alias-bomb.yaml"])
def test_cli_prints_the_same_lines_with_exit_2_and_no_traceback(name):
    r = subprocess.run(
        [sys.executable, "-m", "sim", "validate", name],
        cwd=BAD,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    expected = dict(EXPECTED)[name]
    assert r.stderr.splitlines() == [f"error: {m}" for m in expected]
    assert r.stdout == ""
