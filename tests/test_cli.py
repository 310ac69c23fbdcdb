"""The command line: exit codes, standard output discipline, and the commands' outputs."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "scenarios" / "tutorial-launch-campaign.yaml"


def lunarsim(*args: str, cwd: Path | None = None, typer: bool = False) -> subprocess.CompletedProcess[str]:
    """`lunarsim ARGS` run in this process through the console script's `main` (as fast as a
    function call), with standard output and error captured apart and the exit status kept.
    `typer`: through the Typer commands' own `main`, never the plain answers of `sim.cli.quick`."""
    if typer:
        from sim.cli.commands import main
    else:
        from sim.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = (sys.argv, os.getcwd(), signal.getsignal(signal.SIGTERM))
    sys.argv = ["lunarsim", *args]
    os.chdir(cwd or ROOT)
    code: int | str | None = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.argv = saved[0]
        os.chdir(saved[1])
        signal.signal(signal.SIGTERM, saved[2])
    returncode = code if isinstance(code, int) else (0 if code is None else 1)
    return subprocess.CompletedProcess(["lunarsim", *args], returncode, out.getvalue(), err.getvalue())


def test_console_script_and_python_m_sim_run_the_same_program(tmp_path):
    """The one place where the subprocess is the point: the installed entry points start."""
    script = Path(sys.executable).parent / "lunarsim"
    for command in ([str(script)], [sys.executable, "-m", "sim"]):
        r = subprocess.run([*command, "scenarios"], capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert (r.returncode, r.stdout) == (0, lunarsim("scenarios").stdout), r.stderr
        missing = str(tmp_path / "missing.yaml")
        bad = subprocess.run([*command, "run", missing], capture_output=True, text=True, timeout=120)
        assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_summary_json_to_stdout_is_the_only_stdout(tmp_path):
    r = lunarsim("run", str(TUTORIAL), "-n", "2000", "--seed", "3", "--summary-json", "-", "--no-report")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["format"] == 1
    assert doc["run"]["iterations"] == 2000 and doc["run"]["seed"] == 3
    assert set(doc) == {
        "format",
        "tool",
        "scenario",
        "run",
        "headline",
        "milestones",
        "branches",
        "risks",
        "drivers",
        "signposts",
        "impacts",  # by default: 2000 iterations x 3 risks is within the bound
    }
    head = doc["milestones"][doc["headline"]]
    assert set(head) == {
        "title",
        "done_fraction",
        "mean_days",
        "sd_days",
        "percentiles_days",
        "percentiles_date",
        "target",
        "p_target",
    }
    assert list(head["percentiles_days"]) == ["5", "10", "20", "50", "80", "90", "95"]


def summary_of(*args: str) -> dict:
    """The summary JSON of `lunarsim run TUTORIAL -n 3000 ARGS --summary-json - --no-report`."""
    r = lunarsim("run", str(TUTORIAL), "-n", "3000", *args, "--summary-json", "-", "--no-report")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_same_seed_same_json_through_the_cli(tmp_path):
    da = summary_of("--seed", "9", "--workers", "1")
    db = summary_of("--seed", "9", "--workers", "2", "--engine", "simpy")
    for d in (da, db):
        for k in ("seconds", "engine", "workers"):
            d["run"].pop(k)
    assert da == db


def test_samples_csv_has_one_row_per_iteration(tmp_path):
    out = tmp_path / "samples.csv"
    r = lunarsim("run", str(TUTORIAL), "-n", "500", "--seed", "1", "--samples", str(out), "--no-report", "-q")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 500
    import sim

    result = sim.run(TUTORIAL, 500, 1, workers=1)
    sc = result.scenario
    assert list(rows[0]) == [
        "iteration",
        *sc.milestones,
        *(f"date:{m}" for m in sc.milestones),
        *(f"risk:{r}" for r in result.risk_occurred),
        *(f"decision:{m}" for m in result.outcome),
    ]
    assert result.risk_occurred  # the tutorial has risks, so the risk columns are exercised
    for i, row in enumerate(rows):
        assert row["iteration"] == str(i)
        for mid in sc.milestones:
            x = float(result.finish_of(mid)[i])
            if x == float("inf"):
                assert row[mid] == "" and row[f"date:{mid}"] == ""
                continue
            # Days to a hundredth; the date is the day the finish falls on.
            assert float(row[mid]) == round(x, 2)
            assert len(row[mid].partition(".")[2]) <= 2
            assert row[f"date:{mid}"] == sc.date_of(x).isoformat()
        for rid, occurred in result.risk_occurred.items():
            assert row[f"risk:{rid}"] == ("true" if occurred[i] else "false")


def test_samples_carry_the_decision_outcome_taken(tmp_path):
    import sim

    result = sim.run(ROOT / "scenarios" / "ilrs-2022-announced.yaml", 400, 3, workers=1)
    out = result.write_samples(tmp_path / "s.csv") or tmp_path / "s.csv"
    rows = list(csv.DictReader(out.open()))
    assert result.outcome
    for mid, chosen in result.outcome.items():
        ids = [b.id for b in result.scenario.milestones[mid].branches]
        assert [row[f"decision:{mid}"] for row in rows] == [ids[k] for k in chosen]
        assert len(set(row[f"decision:{mid}"] for row in rows)) > 1  # outcomes do vary


def test_samples_parquet(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "samples.parquet"
    r = lunarsim("run", str(TUTORIAL), "-n", "300", "--seed", "1", "--samples", str(out), "--no-report", "-q")
    assert r.returncode == 0, r.stderr
    table = pq.read_table(out)
    assert table.num_rows == 300
    assert table.schema.metadata[b"lunarsim.seed"] == b"1"
    import pyarrow as pa

    import sim

    result = sim.run(TUTORIAL, 300, 1, workers=1)
    launch = next(iter(reversed(result.scenario.milestones)))
    assert table.schema.field(f"date:{launch}").type == pa.date32()
    rid = next(iter(result.risk_occurred))
    assert table.column(f"risk:{rid}").to_pylist() == result.risk_occurred[rid].tolist()
    dates = table.column(f"date:{launch}").to_pylist()
    assert dates == [result.scenario.date_of(float(x)) for x in result.finish_of(launch)]


def test_bad_scenario_exits_2_with_one_line_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nstart: 2022\nmilestones:\n  a: {duration: 90}\n")
    r = lunarsim("run", str(bad))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [
        f"error: {bad}:4:17 milestones.a.duration: 90 needs a unit, e.g. 90d, 90w, 90 months or 90y"
    ]
    assert not any((tmp_path).glob("*.html"))


def test_validate_reports_every_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nstart: 2022\nmilestones:\n  a: {after: [b]}\n")
    r = lunarsim("validate", str(TUTORIAL), str(bad))
    assert r.returncode == 2
    assert f"ok: {TUTORIAL}" in r.stdout
    assert "unknown milestone 'b'" in r.stderr


def test_missing_file_and_bad_option_exit_2(tmp_path):
    assert lunarsim("run", str(tmp_path / "nope.yaml")).returncode == 2
    assert lunarsim("run", str(TUTORIAL), "--engine", "warp").returncode == 2
    assert lunarsim("run", str(TUTORIAL), "-n", "0").returncode == 2
    assert lunarsim("run", str(TUTORIAL), "--samples", str(tmp_path / "x.txt"), "--no-report").returncode == 2


def test_schema_is_json_schema_covering_the_format():
    r = lunarsim("schema")
    assert r.returncode == 0
    schema = json.loads(r.stdout)
    props = schema["properties"]
    for key in (
        "format",
        "name",
        "description",
        "start",
        "horizon",
        "as_of",
        "iterations",
        "seed",
        "extends",
        "headline",
        "milestones",
        "risks",
        "resources",
        "correlations",
    ):
        assert key in props


def test_every_bundled_scenario_validates_against_the_schema_overlays_included():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(lunarsim("schema").stdout)
    paths = sorted((ROOT / "scenarios").glob("*.yaml"))
    for path in paths:
        jsonschema.validate(_textual_dates(path), schema)
    assert sum("extends" in _textual_dates(p) for p in paths) >= 2  # overlays are among them


def test_schema_lets_an_overlay_leave_out_keys_but_not_a_complete_file():
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json.loads(lunarsim("schema").stdout))
    assert validator.is_valid({"extends": "base.yaml"})
    assert validator.is_valid({"extends": "base.yaml", "risks": {"sanctions": {"probability": 0.3}}})
    # Without extends, name, start and milestones are required and a risk is complete.
    assert not validator.is_valid({"risks": {"sanctions": {"probability": 0.3}}})
    base = {"name": "x", "start": "2026", "milestones": {"a": {"duration": "1y"}}}
    assert validator.is_valid(base)
    assert not validator.is_valid({**base, "risks": {"sanctions": {"probability": 0.3}}})
    assert not validator.is_valid({"extends": "base.yaml", "risks": {"sanctions": {"probability": 2}}})


def test_shipped_schema_file_is_what_lunarsim_schema_prints():
    # Regenerate with: lunarsim schema --out docs/scenario.schema.json
    assert (ROOT / "docs" / "scenario.schema.json").read_text() == lunarsim("schema").stdout


def test_bundled_scenarios_name_the_shipped_schema_on_their_first_line():
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        first = path.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../docs/scenario.schema.json", path.name
        assert (path.parent / "../docs/scenario.schema.json").resolve().is_file()


def test_schema_out_writes_the_file(tmp_path):
    r = lunarsim("schema", "--out", str(tmp_path / "s.json"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "s.json").read_text() == lunarsim("schema").stdout


def test_library_load_accepts_bundled_names_as_the_cli_does():
    import sim

    scenario = sim.load("ilrs-2022-announced")
    assert scenario.path == ROOT / "scenarios" / "ilrs-2022-announced.yaml"
    assert sim.validate("tutorial-launch-campaign").name == sim.load(TUTORIAL).name
    with pytest.raises(sim.ScenarioError, match="no such file"):
        sim.load("no-such-scenario-anywhere")


def _textual_dates(path: Path) -> dict:
    """The file as data, with YAML timestamps kept as the text the user wrote (as the loader does)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: node.value)
    return yaml.load(path.read_text(), Loader=Loader)


def test_scenarios_lists_bundled():
    r = lunarsim("scenarios")
    assert r.returncode == 0
    assert "ilrs-2022-announced" in r.stdout


def test_new_writes_a_runnable_starter(tmp_path):
    r = lunarsim("new", "mine", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "mine.yaml").exists()
    # Editors find the schema from the first line; it is written beside the scenario.
    first = (tmp_path / "mine.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=lunarsim.schema.json"
    assert (tmp_path / "lunarsim.schema.json").read_text() == lunarsim("schema").stdout
    again = lunarsim("new", "mine", cwd=tmp_path)
    assert again.returncode == 2
    v = subprocess.run(
        [sys.executable, "-m", "sim", "validate", "mine.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )
    assert v.returncode == 0, v.stderr


def test_every_command_has_help_with_an_example():
    from sim.cli import app

    for command in app.registered_commands:
        assert command.callback.__doc__ and "\n    Example" in command.callback.__doc__, command.name


def test_cli_start_up_does_not_import_heavy_libraries():
    code = (
        "import sys, sim.cli; heavy = {'plotly', 'scipy', 'simpy'} & set(sys.modules); print(sorted(heavy))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.stdout.strip() == "[]", r.stdout + r.stderr


def test_help_imports_neither_numpy_nor_pydantic_nor_any_heavy_library():
    # What `lunarsim --help` imports: the CLI must load the library only inside the command run,
    # and the help is plain text, so rich (and the markdown parser it brings) stays out too.
    code = (
        "import sys; sys.argv = ['lunarsim', '--help']\n"
        "from sim.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        "heavy = {'numpy', 'pydantic', 'scipy', 'simpy', 'plotly', 'sim.api', 'rich', 'markdown_it'}\n"
        "print(code, sorted(heavy & {m.split('.')[0] if m != 'sim.api' else m for m in sys.modules}), "
        "file=sys.stderr)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert "Usage" in r.stdout and "run" in r.stdout
    assert r.stderr.strip().splitlines()[-1] == "0 []", r.stderr


def test_validating_a_scenario_without_resources_imports_no_heavy_library():
    code = (
        f"import sys, sim; sim.load({str(TUTORIAL)!r}); "
        "print(sorted({'plotly', 'scipy', 'simpy', 'jinja2'} & {m.split('.')[0] for m in sys.modules}))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.stdout.strip() == "[]", r.stdout + r.stderr


def test_library_outside_cli_and_report_never_imports_typer_rich_or_plotly():
    code = (
        "import sys, sim, sim.api, sim.analysis.summary, sim.analysis.samples, sim.scenario.loader; "
        "print(sorted({'typer', 'rich', 'plotly'} & set(sys.modules)))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.stdout.strip() == "[]", r.stdout + r.stderr


def test_unexpected_error_exits_1_with_one_line_and_debug_shows_traceback(monkeypatch):
    from typer.testing import CliRunner

    import sim
    from sim.cli import app

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(sim, "run", broken)
    runner = CliRunner()
    plain = runner.invoke(app, ["run", str(TUTORIAL), "--no-report", "-q"])
    assert plain.exit_code == 1
    assert plain.output.strip().splitlines()[-1].startswith("internal error: RuntimeError: boom")
    assert "Traceback" not in plain.output
    debug = runner.invoke(app, ["run", str(TUTORIAL), "--no-report", "-q", "--debug"])
    assert debug.exit_code == 1
    assert "Traceback" in debug.output


def test_run_without_seed_prints_a_fresh_seed_that_replays(tmp_path):
    path = tmp_path / "noseed.yaml"
    path.write_text("name: x\nstart: 2030\nmilestones:\n  a: {duration: {uniform: [1d, 100d]}}\n")
    r = lunarsim("run", str(path), "-n", "200", "--summary-json", "-", "--no-report")
    seed_line = next(line for line in r.stderr.splitlines() if line.startswith("seed: "))
    seed = int(seed_line.split()[1])
    doc = json.loads(r.stdout)
    assert doc["run"]["seed"] == seed
    again = json.loads(
        lunarsim(
            "run", str(path), "-n", "200", "--seed", str(seed), "--summary-json", "-", "--no-report"
        ).stdout
    )
    assert again["milestones"] == doc["milestones"]


def test_argument_errors_are_one_line_with_exit_2():
    r = lunarsim("run", str(TUTORIAL), "--engine", "warp")
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        "error: lunarsim run: Invalid value for '--engine': 'warp' is not one of 'auto', 'simpy', 'vector'. "
        "(see 'lunarsim run --help')"
    ]


def test_run_and_compare_write_reports(tmp_path):
    r = lunarsim("run", str(TUTORIAL), "-n", "1000", "--seed", "1", "--out", str(tmp_path), "-q")
    assert r.returncode == 0, r.stderr
    report = tmp_path / "tutorial-launch-campaign.html"
    assert r.stdout.strip().splitlines() == [f"report: {report}"]
    assert report.stat().st_size > 100_000
    assert oct(report.stat().st_mode & 0o777) != oct(0o600)  # readable like any file the user writes
    c = lunarsim(
        "compare", "ilrs-2022-announced", "ilrs-2026-status", "-n", "1000", "--out", str(tmp_path), "-q"
    )
    assert c.returncode == 0, c.stderr
    (path,) = [line.removeprefix("report: ") for line in c.stdout.splitlines() if line.startswith("report: ")]
    html = Path(path).read_text(encoding="utf-8")
    assert "ILRS as announced in spring 2022" in html and "ILRS re-planned" in html
    assert lunarsim("compare", "ilrs-2022-announced").returncode == 2
    assert not list(tmp_path.glob(".*.tmp"))


def test_run_prints_the_table_and_the_headline_drivers():
    r = lunarsim("run", str(TUTORIAL), "-n", "4000", "--seed", "1", "--no-report")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("What drives Landing on the Moon"))
    drivers = lines[start + 1 :]
    assert 1 <= len(drivers) <= 5
    rhos = [abs(float(line.split()[0])) for line in drivers]
    assert rhos == sorted(rhos, reverse=True) and min(rhos) >= 0.05


def test_run_prints_the_reports_first_sentence_above_its_table():
    import sim
    from sim.report.headline import headline

    r = lunarsim("run", str(TUTORIAL), "-n", "4000", "--seed", "1", "--no-report")
    assert r.returncode == 0, r.stderr
    sc = sim.load(TUTORIAL)
    sentence = headline(sim.simulate(sc, 4000, seed=1), sc.headline).text
    before_table = r.stdout.split(sc.name)[0]
    assert " ".join(before_table.split()) == sentence


def test_a_run_too_big_for_memory_is_refused_up_front(tmp_path):
    # Streamed, a run's memory does not grow with its iterations (tests/test_streamed.py), so only
    # a model with very many values per iteration is refused: 40 milestones of 1,000 retries.
    lines = ["name: huge retries", "start: 2030-01-01", "milestones:"]
    for i in range(40):
        lines += [f"  m{i}:", "    duration: 10d", "    success: 0.5", "    retry: {max: 1000, after: 1d}"]
    path = tmp_path / "huge.yaml"
    path.write_text("\n".join(lines) + "\n")
    r = lunarsim("run", str(path), "-n", "100000000000", "--no-report")
    assert r.returncode == 2
    (line,) = r.stderr.splitlines()
    assert line.startswith(
        f"error: {path}: 100,000,000,000 iterations of 40 milestones (with retries and risks, "
        "40,040 values each) need about "
    )
    assert " GB of memory and " in line and line.endswith(" GB is free")


def test_version_prints_the_version():
    from sim.analysis.summary import tool_version

    r = lunarsim("--version")
    assert r.returncode == 0
    assert r.stdout == f"lunarsim {tool_version()}\n"


def test_help_shows_the_dask_extra_and_names_what_each_option_takes():
    r = lunarsim("run", "--help")
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    assert "lunarsim[dask]" in text
    # A flag takes no value; an option names what it takes; a choice lists the choices.
    assert "<bool>" not in r.stdout and "<list[str]>" not in r.stdout and "<int range>" not in r.stdout
    assert "--seed SEED" in text and "-n, --iterations N" in text and "--out DIR" in text
    assert "--engine <auto|simpy|vector>" in text
    assert "lunarsim run [OPTIONS] {SCENARIO}..." in text
    # Examples keep their line (no rewrapping) and show no markup.
    assert "\n    lunarsim run scenarios/ilrs-2022-announced.yaml -n 20000 --seed 7\n" in r.stdout
    assert "[bold]" not in r.stdout
    assert "<bool>" not in lunarsim("--help").stdout


def test_validate_says_1_milestone_in_the_singular(tmp_path):
    one = tmp_path / "one.yaml"
    one.write_text("name: x\nstart: 2026\nmilestones:\n  a: {duration: 1y}\n")
    r = lunarsim("validate", str(one))
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"ok: {one} (1 milestone, 0 risks, headline a)\n"


def test_table_rounds_percentages_as_the_report_does_and_explains_its_columns(tmp_path):
    path = tmp_path / "shares.yaml"
    path.write_text(
        "name: shares\nstart: 2026-01-01\nhorizon: 2036-01-01\nmilestones:\n"
        "  almost-sure: {duration: {uniform: [0d, 1000d]}, target: 2028-09-24}\n"
        "  almost-never: {duration: {uniform: [0d, 1000d]}, target: 2026-01-03}\n"
    )
    r = lunarsim("run", str(path), "-n", "10000", "--seed", "1", "--no-report")
    assert r.returncode == 0, r.stderr
    # Day 997 and day 2 after start: P(target) = 0.998 and 0.003 (finishes uniform over 1000
    # days, done by the end of the day). At n = 10000 the standard error is about 0.0005, so
    # > 0.995 and < 0.005 hold by over 4 standard errors: they print as "> 99 %" and "< 1 %"
    # where ":.0%" printed "100%" and "0%".
    rows = {line.split()[0]: line for line in r.stdout.splitlines() if line.startswith("almost-")}
    assert "> 99 %" in rows["almost-sure"]
    assert "< 1 %" in rows["almost-never"]
    assert "100 %" in rows["almost-never"]  # done by the horizon in every iteration
    assert "100%" not in r.stdout and "0%" not in r.stdout
    legend = " ".join(r.stdout.split())
    assert "done: share of futures in which the milestone is done by the horizon 2036-01-01" in legend
    assert "P(target): chance of being done by the end of the target day" in legend


def test_out_creates_missing_parent_folders(tmp_path):
    out = tmp_path / "a" / "b"
    r = lunarsim("run", "tutorial-launch-campaign", "-n", "200", "--seed", "1", "-q", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert (out / "tutorial-launch-campaign.html").is_file()


def test_a_misspelt_bundled_name_gets_a_did_you_mean():
    r = lunarsim("run", "ilrs-2022-anounced", "-n", "100", "--no-report")
    assert r.returncode == 2
    assert "did you mean 'ilrs-2022-announced'?" in r.stderr and "Traceback" not in r.stderr


def test_sweep_takes_quiet_and_workers_and_the_table_does_not_depend_on_workers(tmp_path):
    base = ["sweep", "tutorial-launch-campaign", "--set", "risks.late-parts.probability=0,0.5", "-n", "300"]
    tables = []
    for workers in ("1", "2"):
        table = tmp_path / f"w{workers}.csv"
        r = lunarsim(*base, "-q", "--workers", workers, "--no-report", "--table", str(table))
        assert r.returncode == 0, r.stderr
        assert r.stdout == f"table: {table}\n"  # quiet: the written file's path, no terminal table
        tables.append(table.read_text())
    assert tables[0] == tables[1]


def test_help_gives_each_command_its_whole_first_sentence():
    env = {**os.environ, "COLUMNS": "80"}
    r = subprocess.run([sys.executable, "-m", "sim", "--help"], capture_output=True, text=True, env=env)
    assert r.returncode == 0
    listed = r.stdout.split("Commands:")[1]
    assert "..." not in listed
    assert "tables." in listed  # compare's sentence, whole


# --- standard output or error that fails ------------------------------------------------------

FAILING_OUTPUT_COMMANDS = [
    ["--help"],
    ["--version"],
    ["run", "--help"],
    ["schema"],
    ["scenarios"],
    ["reference"],
    ["reference", "--json"],
    ["validate", str(TUTORIAL)],
    ["run", str(TUTORIAL), "-n", "50", "--seed", "1", "--workers", "1", "--no-report"],
    ["run", str(TUTORIAL), "-n", "50", "--seed", "1", "--workers", "1", "--no-report", "-q",
     "--summary-json", "-"],
    ["sweep", str(TUTORIAL), "--set", "risks.late-parts.probability=0,1", "-n", "20", "--no-report",
     "--table", "-"],
]


@contextlib.contextmanager
def _full() -> Iterator[io.TextIOWrapper]:
    """/dev/full opened for text: every flush fails with ENOSPC, closing it too (ignored here)."""
    handle = open("/dev/full", "w")  # noqa: SIM115 (closed below, ignoring its failed flush)
    try:
        yield handle
    finally:
        with contextlib.suppress(OSError):
            handle.close()


def _main_with(stdout: object, stderr: object, *args: str) -> int:
    """Run `main` in this process with the given standard output and error objects."""
    from sim.cli import main

    saved = (sys.argv, sys.stdout, sys.stderr, signal.getsignal(signal.SIGTERM))
    sys.argv, sys.stdout, sys.stderr = ["lunarsim", *args], stdout, stderr
    try:
        main()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv, sys.stdout, sys.stderr = saved[:3]
        signal.signal(signal.SIGTERM, saved[3])
    return 0


@pytest.mark.parametrize("args", FAILING_OUTPUT_COMMANDS, ids=lambda a: " ".join(a)[:40])
def test_a_full_or_closed_standard_output_is_one_line_and_exit_2(args):
    for closed, reason in ((False, "no space left on the device"), (True, "it is closed")):
        err = io.StringIO()
        with _full() as full:
            code = _main_with(None if closed else full, err, *args)
        lines = err.getvalue().splitlines()
        expected = f"error: cannot write to standard output: {reason}"
        assert (code, lines[-1:]) == (2, [expected]), err.getvalue()
        assert "Traceback" not in err.getvalue()


@pytest.mark.parametrize("args", [["validate", "missing.yaml"], ["schema", "--out", "/nope/s.json"]])
def test_a_failing_standard_error_still_exits_2(args):
    with _full() as full:
        assert _main_with(io.StringIO(), full, *args) == 2
    assert _main_with(io.StringIO(), None, *args) == 2


def test_the_process_itself_with_a_full_or_closed_standard_output(tmp_path):
    """As a shell runs it: `lunarsim schema > /dev/full`, and with descriptor 1 closed."""
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-m", "sim", "schema"], stdout=full, stderr=subprocess.PIPE,
                           text=True, timeout=120)
    full_message = "error: cannot write to standard output: no space left on the device\n"
    assert (r.returncode, r.stderr) == (2, full_message)
    r = subprocess.run([sys.executable, "-m", "sim", "scenarios"], stderr=subprocess.PIPE, text=True,
                       timeout=120, preexec_fn=lambda: os.close(1))
    assert (r.returncode, r.stderr) == (2, "error: cannot write to standard output: it is closed\n")
