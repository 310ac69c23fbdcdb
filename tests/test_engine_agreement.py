"""The vector engine and the SimPy reference agree on every iteration of random scenarios."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from engine_checks import assert_identical, assert_same_finish, assert_same_inputs, assert_same_outcomes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.doneby import done_by
from sim.simulation.deterministic import deterministic_plan
from sim.simulation.engines import can_vectorise, run_engine
from sim.simulation.plan import compile_plan
from sim.simulation.sampling import draw, plan_draws

DURATIONS = st.sampled_from(
    [
        "0",
        "30d",
        "1y",
        "{uniform: [10d, 200d]}",
        "{triangular: [10d, 40d, 300d]}",
        "{pert: [1 month, 3 months, 2y]}",
        "{normal: {mean: 60d, sd: 40d}}",
        "6 months to 3y",
        "{lognormal: {median: 100d, p90: 400d}}",
        "{discrete: {10d: 0.5, 1y: 0.5}}",
        "{empirical: [5d, 50d, 500d]}",
    ]
)


@st.composite
def scenarios(draw_: st.DrawFn) -> str:
    n = draw_(st.integers(1, 7))
    ids = [f"m{i}" for i in range(n)]
    lines = ["name: random", "start: 2030-01-01", "horizon: 2060-01-01"]
    if draw_(st.booleans()):
        lines.append("as_of: 2030-09-01")
    lines.append("milestones:")
    for i, mid in enumerate(ids):
        lines.append(f"  {mid}:")
        lines.append(f"    duration: {draw_(DURATIONS)}")
        preds = draw_(st.lists(st.sampled_from(ids[:i]), unique=True, max_size=3)) if i else []
        if preds:
            entries = []
            for p in preds:
                entries.append(f"{{id: {p}, lag: {draw_(DURATIONS)}}}" if draw_(st.booleans()) else p)
            lines.append(f"    after: [{', '.join(entries)}]")
        if draw_(st.integers(0, 4)) == 0:
            lines.append("    not_before: 2031-01-01")
        if draw_(st.integers(0, 3)) == 0:
            lines.append("    success: 0.7")
            lines.append(f"    retry: {{after: {draw_(DURATIONS)}, max: {draw_(st.integers(0, 2))}}}")
        if draw_(st.integers(0, 4)) == 0:
            lines.append("    window: {every: 30d, open: 5d, first: 2030-02-01}")
        if i == 0 and draw_(st.booleans()):
            lines.append("    branches:")
            lines.append(
                f"      yes-go: {{probability: 0.6, effects: [{{milestones: [{ids[-1]}], scale: 1.1 to 2}}]}}"
            )
            lines.append(
                f"      no-go: {{probability: 0.4, effects: [{{milestones: [{ids[-1]}], add: 1y}}]}}"
            )
    if draw_(st.booleans()):
        target = draw_(st.sampled_from(ids))
        kind = draw_(
            st.sampled_from(["add: 200d", "scale: {uniform: [1, 3]}", "cancel: true", "success: 0.2"])
        )
        lines += [
            "risks:",
            "  r:",
            "    probability: 0.3",
            f"    effects: [{{milestones: [{target}], {kind}}}]",
        ]
    if n >= 2 and draw_(st.booleans()):
        lines += ["correlations:", f"  - {{milestones: [{ids[0]}, {ids[1]}], rho: 0.5}}"]
        # Correlated durations must be uncertain.
        text = "\n".join(lines)
        doc = yaml.safe_load(text)
        for mid in ids[:2]:
            doc["milestones"][mid]["duration"] = {"uniform": ["1d", "100d"]}
        return yaml.safe_dump(doc, sort_keys=False)
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_vector_equals_simpy_on_every_iteration(tmp_path: Path, text: str, seed: int) -> None:
    path = tmp_path / "random.yaml"
    path.write_text(text, encoding="utf-8")
    sc = sim.load(path)
    plan = compile_plan(sc)
    seq = np.random.SeedSequence(seed)
    da, db = draw(plan, seq, 200), draw(plan, seq, 200)
    a = run_engine("vector", plan, da)
    b = run_engine("simpy", plan, db)
    assert_same_finish(a, b)
    # Cancelled and never-reached milestones included: the same inputs for the sensitivity.
    assert_same_inputs(plan, a, b)
    if sc.as_of_days is not None:
        # Without an actual, nothing is done by the end of the status day.
        open_rows = [row for row, m in enumerate(plan.milestones) if m.actual is None]
        assert not done_by(a.finish[open_rows], sc.as_of_days).any()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=scenarios(),
    seed=st.integers(0, 2**32 - 1),
    hold=st.sampled_from(["", "hold: 3d", "hold: 1y"]),
    amounts=st.lists(st.integers(1, 3), min_size=7, max_size=7),
)
def test_a_resource_with_room_for_everyone_changes_nothing(
    tmp_path: Path, text: str, seed: int, hold: str, amounts: list[int]
) -> None:
    doc = yaml.safe_load(text)
    ids = list(doc["milestones"])
    # Every attempt takes its amount, and a hold longer than the attempt keeps it after a
    # failure: room for everyone means the amount for every attempt.
    need = [1 + (doc["milestones"][mid].get("retry") or {}).get("max", 0) for mid in ids]
    doc["resources"] = {"pad": {"capacity": sum(a * k for a, k in zip(amounts, need))}}
    for mid, amount in zip(ids, amounts):
        doc["milestones"][mid]["uses"] = {"pad": yaml.safe_load(f"{{amount: {amount}, {hold}}}")}
    free = tmp_path / "free.yaml"
    free.write_text(text, encoding="utf-8")
    shared = tmp_path / "shared.yaml"
    shared.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    a, b = sim.load(free), sim.load(shared)
    plan_a, plan_b = compile_plan(a), compile_plan(b)
    assert plan_b.uses_resources
    seq = np.random.SeedSequence(seed)
    x = run_engine("vector", plan_a, draw(plan_a, seq, 100))
    y = run_engine("simpy", plan_b, draw(plan_b, seq, 100))
    # Drivers may differ: a resource release can be the recorded driver at an equal time.
    assert_same_finish(x, y, drivers=False)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=scenarios(),
    seed=st.integers(0, 2**32 - 1),
    users=st.lists(st.booleans(), min_size=7, max_size=7).filter(any),
)
def test_plain_milestones_beside_resource_users_agree(
    tmp_path: Path, text: str, seed: int, users: list[bool]
) -> None:
    """In a plan with resources the SimPy engine runs plain milestones by their lean process,
    waiting through SimPy conditions; with a resource that never binds, every milestone
    (users of the resource or not) finishes as in the vector engine without it."""
    doc = yaml.safe_load(text)
    ids = list(doc["milestones"])
    chosen = [mid for mid, use in zip(ids, users) if use]
    if not chosen:
        chosen = ids[:1]
    need = sum(1 + (doc["milestones"][mid].get("retry") or {}).get("max", 0) for mid in chosen)
    doc["resources"] = {"pad": {"capacity": need}}
    for mid in chosen:
        doc["milestones"][mid]["uses"] = {"pad": {}}
    free = tmp_path / "free.yaml"
    free.write_text(text, encoding="utf-8")
    shared = tmp_path / "shared.yaml"
    shared.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    plan_a, plan_b = compile_plan(sim.load(free)), compile_plan(sim.load(shared))
    assert plan_b.uses_resources
    seq = np.random.SeedSequence(seed)
    x = run_engine("vector", plan_a, draw(plan_a, seq, 100))
    y = run_engine("simpy", plan_b, draw(plan_b, seq, 100))
    assert_same_finish(x, y, drivers=False)


BUNDLED = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_every_bundled_scenario_is_identical_in_both_engines(path: Path) -> None:
    plan = compile_plan(sim.load(path))
    assert can_vectorise(plan)
    seq = np.random.SeedSequence(20260401)
    da, db = draw(plan, seq, 400), draw(plan, seq, 400)
    a, b = run_engine("vector", plan, da), run_engine("simpy", plan, db)
    assert_identical(a, b)
    assert_same_inputs(plan, a, b)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=scenarios(),
    seed=st.integers(0, 2**32 - 1),
    capacity=st.integers(1, 2),
    pads=st.integers(1, 2),
    claims=st.lists(
        st.tuples(
            st.integers(-1, 1), st.integers(1, 2), st.sampled_from(["", "hold: 0", "hold: 3d", "hold: 1y"])
        ),
        min_size=7,
        max_size=7,
    ),
)
def test_resources_that_bind_give_identical_arrays_in_both_engines(
    tmp_path: Path, text: str, seed: int, capacity: int, pads: int, claims: list[tuple[int, int, str]]
) -> None:
    """Capacity 1 or 2, claims of 1 or 2 units, one or two resources, holds of none, zero, a
    few days or a year, beside windows, not_before, retries, risks and status dates: every
    finish, driver and sensitivity input is the same in both engines. Durations of 0 and
    fixed durations make claims at equal moments common."""
    doc = yaml.safe_load(text)
    doc["resources"] = {f"pad{j}": {"capacity": capacity} for j in range(pads)}
    for mid, (which, amount, hold) in zip(list(doc["milestones"]), claims):
        if which < 0 or which >= pads:
            continue
        use = yaml.safe_load(f"{{amount: {min(amount, capacity)}, {hold}}}")
        doc["milestones"][mid]["uses"] = {f"pad{which}": use}
    path = tmp_path / "shared.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    sc = sim.load(path)
    plan = compile_plan(sc)
    seq = np.random.SeedSequence(seed)
    da, db = draw(plan, seq, 150), draw(plan, seq, 150)
    a = run_engine("vector", plan, da)
    b = run_engine("simpy", plan, db)
    assert_identical(a, b)
    assert_same_inputs(plan, a, b)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=scenarios(),
    seed=st.integers(0, 2**32 - 1),
    capacity=st.integers(1, 2),
    queued=st.lists(
        st.tuples(st.booleans(), st.integers(1, 3), st.sampled_from(["2d", "{uniform: [1d, 60d]}", "1y"])),
        min_size=7,
        max_size=7,
    ),
    as_of=st.sampled_from(["2030-03-01", "2030-09-01", "2031-06-01"]),
)
def test_status_date_retries_that_queue_give_identical_arrays_in_both_engines(
    tmp_path: Path, text: str, seed: int, capacity: int, queued: list[tuple[bool, int, str]], as_of: str
) -> None:
    """A status date, milestones whose retries ask again for a busy resource (so that they are
    conditioned attempt by attempt and whole iterations run again, sim.simulation.engines.queued), beside
    the generator's windows, not_before, risks and correlations: the same arrays and inputs."""
    doc = yaml.safe_load(text)
    doc["as_of"] = as_of
    doc["resources"] = {"pad": {"capacity": capacity}}
    for mid, (uses, retries, after) in zip(list(doc["milestones"]), queued):
        if not uses:
            continue
        m = doc["milestones"][mid]
        m["uses"] = {"pad": {}}
        m["success"] = 0.5
        m["retry"] = yaml.safe_load(f"{{after: {after}, max: {retries}}}")
    path = tmp_path / "queued.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    sc = sim.load(path)
    plan = compile_plan(sc)
    seq = np.random.SeedSequence(seed)
    da, db = draw(plan, seq, 100), draw(plan, seq, 100)
    try:
        a = run_engine("vector", plan, da)
    except ValueError as exc:  # almost every future done by the status date: both refuse
        with pytest.raises(ValueError, match="almost every simulated future"):
            run_engine("simpy", plan, db)
        assert "almost every simulated future" in str(exc)
        return
    b = run_engine("simpy", plan, db)
    assert_identical(a, b)
    assert_same_inputs(plan, a, b)
    open_rows = [row for row, m in enumerate(plan.milestones) if m.actual is None]
    assert not done_by(a.finish[open_rows], sc.as_of_days).any()


def _descendants(doc: dict, mid: str) -> set[str]:
    children: dict[str, list[str]] = {}
    for cid, m in doc["milestones"].items():
        for entry in m.get("after", []):
            children.setdefault(entry["id"] if isinstance(entry, dict) else entry, []).append(cid)
    seen: set[str] = set()
    stack = [mid]
    while stack:
        for c in children.get(stack.pop(), []):
            if c not in seen:
                seen.add(c)
                stack.append(c)
    return seen


@st.composite
def conditions(draw_: st.DrawFn, readable: list[str], risks: list[str], depth: int = 0) -> dict:
    """A random `when` over milestones that do not come after the decision, and the risks."""
    kinds = ["done", "not_done", "failed"] + (["risk"] if risks else [])
    kinds += ["all", "any", "not"] if depth < 2 else []
    kind = draw_(st.sampled_from(kinds))
    if kind in ("done", "not_done"):
        return {kind: draw_(st.sampled_from(readable))}
    if kind == "failed":
        return {"failed": draw_(st.sampled_from(readable)), "at_least": draw_(st.integers(1, 2))}
    if kind == "risk":
        return {"risk": risks[0]}
    if kind == "not":
        return {"not": draw_(conditions(readable, risks, depth + 1))}
    return {kind: draw_(st.lists(conditions(readable, risks, depth + 1), min_size=1, max_size=3))}


@st.composite
def conditional_scenarios(draw_: st.DrawFn) -> str:
    """`scenarios()` with one or two conditional decisions: conditions read milestones that do
    not come after the decision (done, not done, failed attempts, the risk, combined), outcomes
    with a probability below 1 or none, effects of every kind on milestones after it."""
    doc = yaml.safe_load(draw_(scenarios()))
    ids = list(doc["milestones"])
    risks = list(doc.get("risks") or {})
    for _ in range(draw_(st.integers(1, 2))):
        mid = draw_(st.sampled_from(ids))
        m = doc["milestones"][mid]
        if "branches" in m:
            continue
        later = sorted(_descendants(doc, mid))
        readable = [x for x in ids if x != mid and x not in later]
        if not readable:
            continue
        branches: dict[str, dict] = {}
        for k in range(draw_(st.integers(1, 2))):
            outcome: dict = {"when": draw_(conditions(readable, risks))}
            if draw_(st.booleans()):
                outcome["probability"] = draw_(st.sampled_from([0.3, 0.5, 0.9]))
            if later:
                effect = draw_(
                    st.sampled_from(["add: 200d", "scale: {uniform: [1, 3]}", "cancel: true", "success: 0.2"])
                )
                targets = draw_(st.lists(st.sampled_from(later), min_size=1, max_size=2, unique=True))
                outcome["effects"] = [yaml.safe_load(f"{{milestones: [{', '.join(targets)}], {effect}}}")]
            branches[f"when-{k}"] = outcome
        branches["otherwise"] = {}
        if later and draw_(st.booleans()):
            branches["otherwise"]["effects"] = [{"milestones": [later[0]], "add": "30d"}]
        m["branches"] = branches
    return yaml.safe_dump(doc, sort_keys=False)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=conditional_scenarios(),
    seed=st.integers(0, 2**32 - 1),
    pads=st.lists(st.booleans(), min_size=7, max_size=7),
)
def test_conditional_outcomes_are_the_same_in_both_engines(
    tmp_path: Path, text: str, seed: int, pads: list[bool]
) -> None:
    """Conditional decisions (`when`) beside retries, windows, not_before, status dates, risks,
    correlations, a launch pad of capacity 1 and fixed or zero durations (so that a read
    milestone often completes at the very moment of the decision): the same outcome in every
    iteration, the same finishes and inputs."""
    doc = yaml.safe_load(text)
    if any(pads):
        doc["resources"] = {"pad": {"capacity": 1}}
        for mid, uses in zip(list(doc["milestones"]), pads):
            if uses:
                doc["milestones"][mid]["uses"] = {"pad": {}}
        text = yaml.safe_dump(doc, sort_keys=False)
    path = tmp_path / "when.yaml"
    path.write_text(text, encoding="utf-8")
    sc = sim.load(path)
    plan = compile_plan(sc)
    seq = np.random.SeedSequence(seed)
    da, db = draw(plan, seq, 200), draw(plan, seq, 200)
    b = run_engine("simpy", plan, db)
    if not can_vectorise(plan):  # in a circle, or after or reading a resource claim: SimPy only
        assert not plan.reads_in_order or plan.uses_resources
        return
    a = run_engine("vector", plan, da)
    assert_same_finish(a, b)
    assert_same_outcomes(a, b)
    assert_same_inputs(plan, a, b)
    for mid, taken in a.outcome.items():
        # Decided exactly where the decision completed.
        assert np.array_equal(taken >= 0, np.isfinite(a.finish[plan.index[mid]]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=scenarios(),
    capacity=st.integers(1, 2),
    uses=st.lists(st.sampled_from(["", "{}", "{hold: 30d}", "{amount: 2}"]), min_size=7, max_size=7),
)
def test_the_plan_with_resources_is_the_simpy_engines(
    tmp_path: Path, text: str, capacity: int, uses: list[str]
) -> None:
    """The deterministic plan (lint's, validate's and the report's plan dates) runs on the vector
    engine wherever it can, resources included, so that SimPy is not imported for it: beside
    binding claims, holds, retries, windows and status dates, its finish days are the SimPy
    engine's, and so are the durations it realised (NaN where the status date forces a milestone:
    the plan's warnings read them)."""
    doc = yaml.safe_load(text)
    doc["resources"] = {"pad": {"capacity": capacity}}
    for mid, use in zip(list(doc["milestones"]), uses):
        if use:
            doc["milestones"][mid]["uses"] = {"pad": yaml.safe_load(use.replace("2", str(capacity)))}
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    sc = sim.load(path)
    plan = compile_plan(sc)
    assert can_vectorise(plan)  # one resource per milestone, no conditional decision
    reference = run_engine("simpy", plan, plan_draws(plan))
    det = deterministic_plan(sc, plan)
    assert det.finish == {mid: float(reference.finish[row, 0]) for row, mid in enumerate(plan.ids)}
    realised, expected = run_engine("vector", plan, plan_draws(plan)).realised, reference.realised
    assert realised is not None and expected is not None
    np.testing.assert_array_equal(realised.duration, expected.duration)
