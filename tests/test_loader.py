"""Loading: the loader raises nothing but ScenarioError, whatever it is fed, and resolves good files."""

from __future__ import annotations

import datetime as dt
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.scenario import yamlsource

GOOD = """\
name: fuzz base
start: 2022-04-21
milestones:
  a: {duration: {pert: [1y, 2y, 4y]}, target: 2025}
  b: {after: [a, {id: a, lag: 30d}], duration: 6 months to 2y, not_before: 2024}
  c:
    after: [b]
    success: 0.8
    retry: {after: 1y, max: 2}
    branches:
      x: {probability: 0.5, effects: [{milestones: [b], scale: 1.2}]}
      y: {probability: 0.5}
risks:
  r: {probability: 0.2, effects: [{milestones: [a], add: {uniform: [1d, 2d]}}]}
"""

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(string.printable, max_size=12),
    st.sampled_from(["1y", "2022-04", "a to b", "x", "-3d", "0"]),
)
keys = st.one_of(
    st.sampled_from(
        [
            "name",
            "start",
            "milestones",
            "duration",
            "after",
            "risks",
            "effects",
            "milestones",
            "branches",
            "probability",
            "pert",
            "uniform",
            "normal",
            "lognormal",
            "discrete",
            "empirical",
            "retry",
            "window",
            "uses",
            "resources",
            "correlations",
            "rho",
            "as_of",
            "actual",
            "extends",
            "remove",
            "lag",
            "id",
            "headline",
            "format",
            "horizon",
            "seed",
            "iterations",
            "title",
            "source",
            "success",
            "scale",
            "add",
        ]
    ),
    st.text(string.ascii_lowercase + "-_", min_size=1, max_size=8),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=25,
)


def _expect_scenario_error_or_scenario(path: Path) -> None:
    try:
        sim.load(path)
    except sim.ScenarioError as exc:
        assert exc.problems, "a ScenarioError lists at least one problem"
        for p in exc.problems:
            assert "\n" not in str(p)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=documents)
def test_random_documents_only_raise_scenario_error(tmp_path: Path, doc: object) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    _expect_scenario_error_or_scenario(path)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_good_scenarios_only_raise_scenario_error(tmp_path: Path, data: st.DataObject) -> None:
    doc = yaml.safe_load(GOOD)
    # Replace one value somewhere in the document by a random one.
    node, path_keys = doc, []
    while isinstance(node, (dict, list)) and node and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
        path_keys.append(key)
        node = node[key]
    if path_keys:
        parent = doc
        for k in path_keys[:-1]:
            parent = parent[k]
        parent[path_keys[-1]] = data.draw(documents)
    path = tmp_path / "mutated.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    _expect_scenario_error_or_scenario(path)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_random_text_only_raises_scenario_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "text.yaml"
    path.write_text(text, encoding="utf-8")
    _expect_scenario_error_or_scenario(path)


def test_good_scenario_resolves_times_in_days(tmp_path: Path) -> None:
    path = tmp_path / "good.yaml"
    path.write_text(GOOD)
    sc = sim.load(path)
    assert sc.start == dt.date(2022, 4, 21)
    assert sc.horizon == dt.date(2072, 4, 21)
    assert sc.milestones["a"].target == (dt.date(2025, 1, 1) - sc.start).days
    assert sc.milestones["b"].not_before == (dt.date(2024, 1, 1) - sc.start).days
    assert [p.id for p in sc.milestones["b"].after] == ["a", "a"]
    assert sc.milestones["c"].retry is not None and sc.milestones["c"].retry.max == 2
    assert sc.headline == ""  # loading only loads: the plan that picks a headline is not run
    assert sim.validate(path).headline == "c"  # finishes last in the deterministic plan
    assert sim.simulate(sc, 10, 1).scenario.headline == "c"
    assert len(sc.sha256 or "") == 64


def test_files_over_ten_megabytes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"# " + b"x" * (10 * 1024 * 1024) + b"\nname: x\n")
    with pytest.raises(sim.ScenarioError, match="over 10 MB; scenarios are limited"):
        sim.load(path)


def test_yaml_booleans_are_not_reinterpreted_as_ids(tmp_path: Path) -> None:
    path = tmp_path / "ids.yaml"
    path.write_text(
        "name: x\nstart: 2022\nmilestones:\n  decide:\n    branches:\n"
        "      yes: {probability: 0.5}\n      no: {probability: 0.5}\n"
    )
    assert [b.id for b in sim.load(path).milestones["decide"].branches] == ["yes", "no"]


def test_merge_keys_are_expanded(tmp_path: Path) -> None:
    source = yamlsource.parse("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n", tmp_path / "m.yaml")
    assert source.data["other"] == {"x": 1, "y": 3}


def test_loading_a_scenario_with_resources_runs_no_engine() -> None:
    """`load` reads and checks only: even a scenario that only SimPy can run imports no engine."""
    import subprocess
    import sys

    code = (
        "import sys, sim; sim.load('scenarios/ilrs-2026-status.yaml'); "
        "print(sorted(m for m in sys.modules"
        " if m in ('simpy', 'plotly') or m.startswith('sim.simulation.engines')))"
    )
    root = Path(__file__).resolve().parent.parent
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert r.stdout.strip() == "[]", r.stdout + r.stderr


BUNDLED = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))


def test_a_chain_read_once_gives_each_base_what_reading_it_again_gives() -> None:
    """`read_levels` reads every file of a chain once; each base's level is what `read_chain` of
    that base gives, and a scenario loaded from the levels keeps its bases' copulas exactly as
    when each base is read again."""
    from sim.scenario.copula import keep_base
    from sim.scenario.extends import read_chain, read_levels
    from sim.scenario.loader import from_source

    kept = 0
    for path in BUNDLED:
        levels = read_levels(path)
        assert levels[0][0] == read_chain(path)[0]
        for source, chain in levels[1:]:
            assert (source, chain) == read_chain(chain[0])
        loaded = sim.load(path)
        source, chain = read_chain(path)
        again = from_source(source, chain)
        if len(chain) > 1 and again.correlations:  # the base loaded on its own, from its file
            again = keep_base(again, sim.load(chain[1]))
        assert [g.basis for g in loaded.correlations] == [g.basis for g in again.correlations]
        kept += sum(g.basis is not None for g in loaded.correlations)
    assert kept > 0  # some bundled variant keeps its base's copula
