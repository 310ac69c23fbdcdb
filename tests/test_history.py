"""The history store: `lunarsim run` records every run, `lunarsim history` lists them, and a
damaged or newer store is refused, never overwritten."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from test_cli import ROOT, TUTORIAL, lunarsim

from sim.analysis import history


def _run(store: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return lunarsim(
        "run", str(TUTORIAL), "-n", "300", "--seed", "5", "--no-report", "-q", "--history", str(store), *extra
    )


def test_tests_never_write_the_users_store():
    assert os.environ["LUNARSIM_HISTORY"] != str(history.default_path())
    assert history.store_path() == Path(os.environ["LUNARSIM_HISTORY"])


def test_a_run_is_recorded_with_what_it_found(tmp_path):
    store = tmp_path / "h.sqlite"
    r = _run(store, "--summary-json", str(tmp_path / "s.json"))
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "s.json").read_text())
    (entry,) = history.runs(store)
    assert entry["scenario"]["sha256"] == summary["scenario"]["sha256"]
    assert entry["scenario"]["path"] == str(TUTORIAL)
    assert (entry["iterations"], entry["seed"]) == (300, 5)
    head = summary["milestones"][summary["headline"]]
    assert entry["headline"]["p50"] == head["percentiles_date"]["50"]
    assert entry["headline"]["p80"] == head["percentiles_date"]["80"]
    assert entry["headline"]["p_target"] == head["p_target"]
    full = history.run_by_id(store, entry["id"])
    assert full is not None and full["resolved"]["name"] == summary["scenario"]["name"]
    assert full["milestones"].keys() == summary["milestones"].keys()


def test_history_lists_newest_first_and_filters_by_scenario(tmp_path):
    store = tmp_path / "h.sqlite"
    assert _run(store).returncode == 0
    assert _run(store, "-n", "200").returncode == 0
    r = lunarsim("history", "--history", str(store), "--json")
    assert r.returncode == 0, r.stderr
    listed = json.loads(r.stdout)
    assert [e["iterations"] for e in listed] == [200, 300]
    assert len(json.loads(lunarsim("history", str(TUTORIAL), "--history", str(store), "--json").stdout)) == 2
    assert json.loads(lunarsim("history", "no-such-scenario", "--history", str(store), "--json").stdout) == []
    text = lunarsim("history", "--history", str(store)).stdout
    assert text.count("Tutorial: a small lunar lander") == 2


def test_no_history_records_nothing(tmp_path):
    store = tmp_path / "h.sqlite"
    assert _run(store, "--no-history").returncode == 0
    assert not store.exists()
    assert history.runs(store) == []


def test_two_concurrent_runs_are_both_recorded(tmp_path):
    store = tmp_path / "h.sqlite"
    command = [sys.executable, "-m", "sim", "run", str(TUTORIAL), "-n", "300", "--no-report", "-q"]
    env = {**os.environ, "LUNARSIM_HISTORY": str(store)}
    procs = [
        subprocess.Popen(
            [*command, "--seed", str(seed)], env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True
        )
        for seed in (1, 2, 3)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert sorted(e["seed"] for e in history.runs(store)) == [1, 2, 3]
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_damaged_store_is_refused_and_left_as_it_was(tmp_path):
    store = tmp_path / "h.sqlite"
    junk = b"this is not a database, and it is somebody's file" * 100
    store.write_bytes(junk)
    for r in (_run(store), lunarsim("history", "--history", str(store))):
        assert r.returncode == 2
        (line,) = r.stderr.strip().splitlines()
        assert line.startswith(f"error: {store}: the history store is damaged or not a lunarsim history")
        assert "Traceback" not in r.stderr
    assert store.read_bytes() == junk


def test_a_newer_or_foreign_store_is_refused(tmp_path):
    newer = tmp_path / "newer.sqlite"
    assert _run(newer).returncode == 0
    with sqlite3.connect(newer) as conn:
        conn.execute(f"PRAGMA user_version = {history.FORMAT + 1}")
    r = _run(newer)
    assert r.returncode == 2
    assert "written by a newer lunarsim" in r.stderr
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (x)")
    r = lunarsim("history", "--history", str(foreign))
    assert r.returncode == 2 and "not a lunarsim history" in r.stderr


def test_default_store_follows_xdg_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert history.default_path() == tmp_path / "lunarsim" / "history.sqlite"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert history.default_path() == Path.home() / ".local" / "share" / "lunarsim" / "history.sqlite"
    monkeypatch.delenv("LUNARSIM_HISTORY")
    assert history.store_path() == history.default_path()
    assert history.store_path(tmp_path / "x.sqlite") == tmp_path / "x.sqlite"


def test_history_report_draws_each_scenarios_trend(tmp_path, write):
    store = tmp_path / "h.sqlite"
    text = TUTORIAL.read_text(encoding="utf-8")
    hostile = write(text.replace('name: "Tutorial', 'name: "<b>x</b> Tutorial', 1), "hostile.yaml")
    for seed in ("1", "2"):
        assert _run(store, "--seed", seed).returncode == 0
    r = lunarsim("run", str(hostile), "-n", "200", "--no-report", "-q", "--history", str(store))
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    r = lunarsim("history", "--history", str(store), "--report", "--out", str(out))
    assert r.returncode == 0, r.stderr
    page = out / "history.html"
    assert f"report: {page}" in r.stdout
    html = page.read_text(encoding="utf-8")
    assert html.count('id="fig-trend-') == 2  # one chart per scenario and headline
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_a_plain_listing_is_answered_without_typer_and_prints_what_the_typer_command_does(tmp_path):
    store = tmp_path / "h.sqlite"
    assert _run(store).returncode == 0 and _run(store).returncode == 0
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('typer' in sys.modules, 'pydantic' in sys.modules, file=sys.stderr))\n"
        "sys.argv = ['lunarsim', *sys.argv[1:]]\n"
        "from sim.cli import main\n"
        "main()\n"
    )
    env = {**os.environ, "LUNARSIM_HISTORY": str(store)}
    outputs = {}
    for extra in ([], ["--debug"]):  # --debug is not a plain listing: the Typer command prints it
        for form in ([], ["--json"], [str(TUTORIAL)]):
            r = subprocess.run(
                [sys.executable, "-c", probe, "history", *form, *extra],
                capture_output=True,
                text=True,
                env=env,
            )
            assert r.returncode == 0, r.stderr
            assert r.stderr.strip() == ("True True" if extra else "False False"), (form, extra, r.stderr)
            outputs[(tuple(form), bool(extra))] = r.stdout
    for form in ([], ["--json"], [str(TUTORIAL)]):
        assert outputs[(tuple(form), False)] == outputs[(tuple(form), True)]
    assert len(json.loads(outputs[(("--json",), False)])) == 2
    # Help, options it does not know and mistakes go to the Typer command, which explains them.
    r = lunarsim("history", "--history", str(store), "--nope")
    assert r.returncode == 2 and "No such option" in r.stderr.replace("no such option", "No such option")
    r = lunarsim("history", "--help")
    assert r.returncode == 0 and "--report" in r.stdout


def test_a_damaged_store_is_refused_by_the_plain_listing_too(tmp_path):
    store = tmp_path / "h.sqlite"
    store.write_bytes(b"not a database at all, just some bytes" * 100)
    r = lunarsim("history", "--history", str(store))
    assert r.returncode == 2
    assert r.stderr.startswith("error: ") and "h.sqlite" in r.stderr and len(r.stderr.splitlines()) == 1


def test_the_listing_reads_the_same_with_or_without_sqlites_json_functions(tmp_path):
    store = tmp_path / "h.sqlite"
    assert _run(store).returncode == 0 and _run(store, "--seed", "6").returncode == 0
    conn = sqlite3.connect(store)
    conn.row_factory = sqlite3.Row
    parsed = [history._entry(r) for r in conn.execute(f"SELECT {history._LISTED} FROM runs ORDER BY id DESC")]
    conn.close()
    assert history.runs(store) == parsed  # json_extract in SQLite; the fallback parses in Python
    assert parsed[0]["headline"]["p50"] is not None and parsed[0]["seed"] == 6
