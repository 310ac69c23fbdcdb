"""Mutation fuzzing of the bundled scenarios: sim.load raises ScenarioError or nothing, and a file
that loads runs through the CLI with exit 0 or 2, never 1 (slow tier; CI runs it)."""

from __future__ import annotations

import contextlib
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


# --- hostile input through the command line (hypothesis, derandomised) ------------------------
#
# Every case asserts the same contract: exit status 0 or 2, never 1 (a bug), and no traceback.

from test_cli import _main_with, lunarsim  # noqa: E402

GOOD = """name: fuzz
start: 2030-01-01
seed: 1
resources:
  pad: {capacity: 1}
milestones:
  a: {duration: 10d, success: 0.9, uses: {pad: {amount: 1}}}
  b: {after: [a], duration: {uniform: [5d, 20d]}, target: 2030-03-01}
risks:
  r: {probability: 0.2, effects: [{milestones: [b], add: 10d}]}
"""
SETTABLE = [
    "start", "horizon", "as_of", "name", "headline", "iterations", "seed", "extends", "remove",
    "milestones.a.duration", "milestones.a.success", "milestones.b.target", "milestones.b.after",
    "risks.r.probability", "risks.r.effects", "resources.pad.capacity", "milestones.zzz.duration",
    "nothing.at.all",
]
TAGS = ["!!bool", "!!int", "!!float", "!!null", "!!str", "!!timestamp", "!!binary", "!!set", "!!omap",
        "!!seq", "!!map", "!!python/none", "!custom", "!"]
YAMLISH = st.text(alphabet="0123456789abcdyz-_.:,;[]{}!&*'\"=+@ #|>%e", max_size=24)


def _clean(code: int, *texts: str) -> None:
    assert code in (0, 2), texts
    for text in texts:
        assert "Traceback" not in text and "internal error" not in text, text


FUZZ = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@settings(FUZZ, max_examples=400)
@given(
    tag=st.sampled_from(TAGS),
    value=YAMLISH,
    where=st.sampled_from(["success", "duration", "start", "name", "iterations", "capacity", "probability"]),
)
def test_explicit_tags_on_any_value_exit_0_or_2(tmp_path: Path, tag: str, value: str, where: str) -> None:
    tagged = f"{tag} {yaml_quoted(value)}"
    text = {
        "success": GOOD.replace("success: 0.9", f"success: {tagged}"),
        "duration": GOOD.replace("duration: 10d", f"duration: {tagged}"),
        "start": GOOD.replace("start: 2030-01-01", f"start: {tagged}"),
        "name": GOOD.replace("name: fuzz", f"name: {tagged}"),
        "iterations": GOOD.replace("seed: 1", f"seed: 1\niterations: {tagged}"),
        "capacity": GOOD.replace("capacity: 1", f"capacity: {tagged}"),
        "probability": GOOD.replace("probability: 0.2", f"probability: {tagged}"),
    }[where]
    path = tmp_path / "tagged.yaml"
    path.write_text(text, encoding="utf-8")
    r = lunarsim("validate", str(path))
    _clean(r.returncode, r.stdout, r.stderr)
    if r.returncode == 0:
        r = lunarsim("run", str(path), "-n", "16", "--workers", "1", "-q", "--no-report")
        _clean(r.returncode, r.stdout, r.stderr)


def yaml_quoted(value: str) -> str:
    """The value as a single-quoted YAML scalar (so that the tag applies to exactly this text)."""
    return "'" + value.replace("'", "''") + "'"


# Dates with months and days out of range (2030-13-45), explicit tags with values they cannot take.
DATEISH = st.builds(
    "{:04d}-{:02d}-{:02d}".format, st.integers(0, 10000), st.integers(0, 13), st.integers(0, 32)
)
TAGGED = st.builds(
    "{} {}".format, st.sampled_from(TAGS), st.sampled_from(["''", "'_'", "maybe", "1:", "x", "0x"])
)
SET_VALUE = st.one_of(YAMLISH, DATEISH, TAGGED)


@settings(FUZZ, max_examples=300)
@given(key=st.sampled_from(SETTABLE), values=st.lists(SET_VALUE, min_size=1, max_size=3), raw=st.booleans())
def test_set_values_exit_0_or_2(tmp_path: Path, key: str, values: list[str], raw: bool) -> None:
    import os

    path = tmp_path / "base.yaml"
    path.write_text(GOOD, encoding="utf-8")
    text = ",".join(values) if raw else ",".join(yaml_quoted(v) for v in values)  # quoted: all text
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "cpu_count", lambda: 1)  # variants in this process: fast, and tracebacks seen
        r = lunarsim("sweep", str(path), "--set", f"{key}={text}", "-n", "16", "--no-report", "--table", "-",
                     cwd=tmp_path)
    _clean(r.returncode, r.stderr)


PARTS = ["", ".", "..", "x" * 255, "x" * 256, "a b", "-", "dir", "file.yaml", "nope", "base.yaml", "é", "\\"]


@settings(FUZZ, max_examples=250)
@given(
    parts=st.lists(st.sampled_from(PARTS), min_size=1, max_size=3),
    option=st.sampled_from(["validate", "run", "--out", "--summary-json", "--samples", "new", "schema",
                            "watch-missing", "sweep-table"]),
)
def test_cli_paths_exit_0_or_2(tmp_path: Path, parts: list[str], option: str) -> None:
    # Run three folders down, so that up to three ".." parts still write inside tmp_path.
    here = tmp_path / "w1" / "w2" / "w3"
    (here / "dir").mkdir(parents=True, exist_ok=True)
    (here / "file.yaml").write_text("name: [", encoding="utf-8")
    (here / "base.yaml").write_text(GOOD, encoding="utf-8")
    given_path = "/".join(parts)
    quick = ["-n", "8", "--seed", "1", "--workers", "1", "-q"]
    args = {
        "validate": ["validate", given_path],
        "run": ["run", given_path, *quick, "--no-report"],
        "--out": ["run", "base.yaml", *quick, "--out", given_path],
        "--summary-json": ["run", "base.yaml", *quick, "--no-report", "--summary-json", given_path],
        "--samples": ["run", "base.yaml", *quick, "--no-report", "--samples", given_path + ".csv"],
        "new": ["new", given_path],
        "schema": ["schema", "--out", given_path],
        "watch-missing": ["watch", given_path + "-missing.yaml"],
        "sweep-table": ["sweep", "base.yaml", "--set", "risks.r.probability=0,0.5", "-n", "8", "--no-report",
                        "--table", given_path + ".csv"],
    }[option]
    r = lunarsim(*args, cwd=here)
    _clean(r.returncode, r.stdout, r.stderr)


STDOUT_COMMANDS = [
    ["--help"], ["--version"], ["schema"], ["scenarios"], ["reference"], ["reference", "--json"],
    ["reference", "russian-lunar"], ["validate", "base.yaml"], ["validate", "missing.yaml"],
    ["run", "base.yaml", "-n", "8", "--seed", "1", "--workers", "1", "--no-report"],
    ["run", "base.yaml", "-n", "8", "--seed", "1", "--workers", "1", "--no-report", "-q",
     "--summary-json", "-"],
    ["sweep", "base.yaml", "--set", "risks.r.probability=0,1", "-n", "8", "--no-report", "--table", "-"],
    ["new", "--help"], ["sweep", "--help"], ["run"], ["bogus-command"],
]


@settings(FUZZ, max_examples=120)
@given(
    args=st.sampled_from(STDOUT_COMMANDS),
    stdout=st.sampled_from(["full", "closed", "ok"]),
    stderr=st.sampled_from(["full", "closed", "ok"]),
)
def test_failing_standard_streams_exit_0_or_2(
    tmp_path: Path, args: list[str], stdout: str, stderr: str
) -> None:
    import io
    import os

    (tmp_path / "base.yaml").write_text(GOOD, encoding="utf-8")
    opened = []

    def stream(kind: str) -> object:
        if kind == "closed":
            return None
        if kind == "ok":
            return io.StringIO()
        handle = open("/dev/full", "w")  # noqa: SIM115 (closed below, ignoring its failed flush)
        opened.append(handle)
        return handle

    out, err = stream(stdout), stream(stderr)
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        code = _main_with(out, err, *args)
    finally:
        os.chdir(here)
        for handle in opened:
            with contextlib.suppress(OSError):
                handle.close()
    assert code in (0, 2), (args, stdout, stderr, code)
    if isinstance(err, io.StringIO):
        _clean(code, err.getvalue())
        if stdout != "ok" and code == 2 and err.getvalue():
            assert err.getvalue().splitlines()[-1].startswith("error: "), err.getvalue()
