"""Mutation fuzzing of the bundled scenarios: sim.load raises ScenarioError or nothing, and a file
that loads runs through the CLI with exit 0 or 2, never 1 (slow tier; CI runs it)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.errors import ScenarioError

sys.path.insert(0, str(Path(__file__).parent / "fuzz"))
from mutate import mutated

pytestmark = pytest.mark.slow


@settings(
    max_examples=2000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32 - 1))
def test_mutated_scenarios_load_or_fail_cleanly(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "mutated.yaml"
    path.write_text(mutated(seed), encoding="utf-8", errors="surrogatepass")
    try:
        sim.load(path)
    except ScenarioError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return
    r = CliRunner().invoke(
        app, ["run", str(path), "-n", "64", "--seed", "1", "--workers", "1", "-q", "--no-report"]
    )
    assert r.exit_code in (0, 2), r.output
