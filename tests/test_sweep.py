"""Sweeps: `--set` parsing and validation, the grid, common random numbers across variants, tables."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math

import pytest

from sim.analysis.sweep import parse_setting, sweep, variants, write_table
from sim.errors import ScenarioError

N = 4000
CHAIN = """
    name: sweep
    start: 2030-01-01
    seed: 11
    milestones:
      a: {duration: 100d}
      b: {after: [a], duration: 50d, target: 2030-05-31}
      other: {duration: {triangular: [10d, 40d, 200d]}, target: 2030-03-01}
    risks:
      strike:
        probability: 0.1
        effects: [{milestones: [b], add: 40d}]
"""


def test_parse_setting_reads_yaml_values_and_keeps_commas_in_brackets():
    s = parse_setting("milestones.a.duration=2y,{uniform: [1y, 3y]},100d")
    assert s.key == ("milestones", "a", "duration")
    assert s.values == ("2y", {"uniform": ["1y", "3y"]}, "100d")
    assert parse_setting("risks.x.probability=0.1, 0.5").values == (0.1, 0.5)


@pytest.mark.parametrize("text", ["risks.x.probability", "=0.1", "risks..probability=0.1", "risks.x.p="])
def test_malformed_settings_name_the_set(text):
    with pytest.raises(ScenarioError, match="--set"):
        parse_setting(text)


def test_a_sweep_over_a_risk_probability_moves_only_what_it_can_reach(write):
    path = write(CHAIN)
    probabilities = (0.0, 0.25, 0.5, 0.75)
    rows = sweep(path, [parse_setting("risks.strike.probability=0,0.25,0.5,0.75")], N, workers=1)
    assert [r["variant"] for r in rows] == [v for v in (1, 2, 3, 4) for _ in range(3)]
    by = {(r["risks.strike.probability"], r["milestone"]): r for r in rows}
    # The risk cannot reach `other`: every statistic is identical in every variant (same draws).
    shared = ("variant", "risks.strike.probability")
    others = [{k: v for k, v in by[(p, "other")].items() if k not in shared} for p in probabilities]
    assert all(o == others[0] for o in others)
    # b ends on day 150, or 190 where struck. The target (2030-05-31) is day 150, met exactly where
    # not struck: P(target) = 1 - p within 4 standard errors, sqrt(p (1 - p) / N), and since a
    # higher probability only adds occurrences, it never rises from one variant to the next.
    previous = 1.0
    for p in probabilities:
        b = by[(p, "b")]
        se = math.sqrt(p * (1 - p) / N)
        assert abs(b["p_target"] - (1 - p)) <= 4 * se + 1e-12
        assert b["p_target"] <= previous
        previous = b["p_target"]
        assert b["done_fraction"] == 1.0
        # The struck share is exactly 1 - P(target): P50 is 190 once over half are struck, P80
        # once over a fifth are (inverted CDF), P10 only past nine tenths.
        struck = 1 - b["p_target"]
        assert b["p50_days"] == (190.0 if struck > 0.5 else 150.0)
        assert b["p80_days"] == (190.0 if struck > 0.2 else 150.0)
        assert b["p10_days"] == 150.0
    assert by[(0.0, "b")]["p_target"] == 1.0
    assert by[(0.0, "b")]["p90_days"] == 150.0


def test_the_grid_is_the_product_of_the_settings(write):
    path = write(CHAIN)
    settings = [
        parse_setting("risks.strike.probability=0.2,0.4"),
        parse_setting("milestones.a.duration=10d,20d,30d"),
    ]
    grid = variants(path, settings)
    assert [v.values for v in grid] == [(p, d) for p in (0.2, 0.4) for d in ("10d", "20d", "30d")]
    assert grid[4].scenario.milestones["a"].duration.mode == 20.0
    assert grid[4].scenario.risks["strike"].probability == 0.4


def test_a_bad_value_is_a_located_error_naming_the_set(write):
    path = write(CHAIN)
    with pytest.raises(ScenarioError) as err:
        variants(path, [parse_setting("risks.strike.probability=0.5,1.5")])
    text = str(err.value)
    assert str(path) in text and "risks.strike.probability" in text
    assert "--set risks.strike.probability=1.5" in text
    assert ":10:18 " in text  # the line and column of the probability in the file


def test_a_bad_path_names_the_set(write):
    path = write(CHAIN)
    expected = r"--set risks\.strikes\.probability=0\.5: there is no 'risks\.strikes'"
    with pytest.raises(ScenarioError, match=expected):
        variants(path, [parse_setting("risks.strikes.probability=0.5")])


def test_workers_do_not_change_the_table(write):
    path = write(CHAIN)
    setting = [parse_setting("risks.strike.probability=0.2,0.6")]
    assert sweep(path, setting, 1000, workers=2) == sweep(path, setting, 1000, workers=1)


def test_tables_in_csv_and_parquet(write, tmp_path, capsys):
    rows = sweep(write(CHAIN), [parse_setting("risks.strike.probability=0.2,0.6")], 500, workers=1)
    out = write_table(rows, tmp_path / "t.csv")
    assert out is not None
    read = list(csv.DictReader(out.open()))
    assert list(read[0]) == ["variant", "risks.strike.probability", *STAT_COLUMNS_CLI]
    assert len(read) == 6 and float(read[1]["p50_days"]) == rows[1]["p50_days"]
    # Full values, and beside them the calendar day each percentile falls in (empty: never).
    start = dt.date.fromisoformat("2030-01-01")
    for row in read:
        for p in (10, 50, 80, 90):
            days, day = row[f"p{p}_days"], row[f"p{p}_date"]
            expected = "" if not days else (start + dt.timedelta(days=math.floor(float(days)))).isoformat()
            assert day == expected
    assert write_table(rows, "-") is None
    assert list(csv.DictReader(io.StringIO(capsys.readouterr().out))) == read
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(write_table(rows, tmp_path / "t.parquet"))
    assert table.to_pylist() == rows
    assert not list(tmp_path.glob("*.tmp*"))
    with pytest.raises(ValueError, match="--table"):
        write_table(rows, tmp_path / "t.txt")


# The command line: `lunarsim sweep`, in process through the console script's main.


def _figures(html: str) -> dict:
    import json

    start = html.index('id="lunarsim-figures">') + len('id="lunarsim-figures">')
    return json.loads(html[start : html.index("</script>", start)])


def test_cli_table_to_stdout_is_the_only_stdout(write, tmp_path):
    from test_cli import lunarsim

    path = write(CHAIN)
    r = lunarsim(
        "sweep",
        str(path),
        "--set",
        "risks.strike.probability=0,0.5",
        "-n",
        "1000",
        "--table",
        "-",
        "--out",
        str(tmp_path / "out"),
    )
    assert r.returncode == 0, r.stderr
    table = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(table[0]) == ["variant", "risks.strike.probability", *STAT_COLUMNS_CLI]
    assert [(row["variant"], row["milestone"]) for row in table] == [
        (v, m) for v in ("1", "2") for m in ("a", "b", "other")
    ]
    # Common random numbers: the library's numbers at the scenario's seed (11), whatever the caller.
    library = sweep(path, [parse_setting("risks.strike.probability=0,0.5")], 1000, 11, workers=1)
    assert [row["p_target"] for row in table] == [
        "" if x["p_target"] is None else repr(x["p_target"]) for x in library
    ]
    assert "report: " in r.stderr and (tmp_path / "out").is_dir()


STAT_COLUMNS_CLI = [
    "milestone",
    "done_fraction",
    "p10_days",
    "p50_days",
    "p80_days",
    "p90_days",
    "p_target",
    "p10_date",
    "p50_date",
    "p80_date",
    "p90_date",
]


@pytest.mark.parametrize(
    ("setting", "needle"),
    [
        ("risks.nothing.probability=0.1", "there is no 'risks.nothing'"),
        ("risks.strike.probability=0.1,2", "--set"),
        ("risks.strike.probability", "expected KEY.PATH=V1,V2"),
    ],
)
def test_cli_bad_settings_exit_2_naming_the_set_and_write_nothing(write, tmp_path, setting, needle):
    from test_cli import lunarsim

    path = write(CHAIN)
    out = tmp_path / "out"
    r = lunarsim(
        "sweep",
        str(path),
        "--set",
        setting,
        "-n",
        "100",
        "--out",
        str(out),
        "--table",
        str(tmp_path / "t.csv"),
    )
    assert r.returncode == 2 and r.stdout == ""
    assert needle in r.stderr and "--set" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "t.csv").exists() and not any(out.glob("*.html")) if out.exists() else True


def test_cli_bad_table_suffix_exits_2_before_running(write, tmp_path):
    from test_cli import lunarsim

    r = lunarsim(
        "sweep",
        str(write(CHAIN)),
        "--set",
        "risks.strike.probability=0.1",
        "--table",
        str(tmp_path / "t.xlsx"),
    )
    assert r.returncode == 2 and "--table must end in .csv or .parquet" in r.stderr


def test_sweep_report_one_key_plots_the_headline_against_the_value(write, tmp_path):
    from test_cli import lunarsim

    path = write(CHAIN.replace("seed: 11", "seed: 11\n    headline: b"))
    r = lunarsim(
        "sweep",
        str(path),
        "--set",
        "risks.strike.probability=0,0.25,0.75",
        "-n",
        "2000",
        "--out",
        str(tmp_path),
        "--table",
        str(tmp_path / "t.csv"),
    )
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "sweep-scenario-risks-strike-probability.html").read_text(encoding="utf-8")
    figs = _figures(html)
    assert list(figs) == ["fig-sweep-target", "fig-sweep-dates"]
    rows = [x for x in csv.DictReader((tmp_path / "t.csv").open()) if x["milestone"] == "b"]
    target = figs["fig-sweep-target"]["data"][0]
    assert target["x"] == [0, 0.25, 0.75]
    assert target["y"] == [float(x["p_target"]) for x in rows]
    # b ends on day 150 (2030-05-31) or, struck, 190 (2030-07-10): P80 moves once over a fifth are struck.
    p80 = next(t for t in figs["fig-sweep-dates"]["data"] if t["name"] == "P80")
    assert p80["y"] == ["2030-05-31", "2030-07-10", "2030-07-10"]
    assert html.count('<tr><td class="num">') == 3  # one table row per variant


def test_sweep_report_two_keys_draws_heatmaps_and_escapes_values(write, tmp_path):
    from test_cli import lunarsim

    path = write(CHAIN.replace("seed: 11", "seed: 11\n    headline: b"))
    r = lunarsim(
        "sweep",
        str(path),
        "--set",
        "risks.strike.probability=0,0.5",
        "--set",
        "milestones.b.title=<img src=x onerror=alert(1)>,plain",
        "-n",
        "500",
        "--out",
        str(tmp_path),
        "--no-report",
    )
    assert r.returncode == 0 and not list(tmp_path.glob("*.html"))
    r = lunarsim(
        "sweep",
        str(path),
        "--set",
        "risks.strike.probability=0,0.5",
        "--set",
        "milestones.b.title=<img src=x onerror=alert(1)>,plain",
        "-n",
        "500",
        "--out",
        str(tmp_path),
    )
    assert r.returncode == 0, r.stderr
    (page,) = tmp_path.glob("sweep-*.html")
    html = page.read_text(encoding="utf-8")
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    figs = _figures(html)
    assert list(figs) == ["fig-sweep-target", "fig-sweep-p50", "fig-sweep-p80"]
    heat = figs["fig-sweep-target"]["data"][0]
    assert heat["type"] == "heatmap" and len(heat["z"]) == 2 and len(heat["z"][0]) == 2
    assert heat["x"][0] == "&lt;img src=x onerror=alert(1)&gt;"  # Plotly decodes it back to text


def test_a_misspelt_set_key_gets_a_did_you_mean(write):
    expected = r"there is no 'risks\.strik' in the scenario; did you mean 'risks\.strike'\?"
    with pytest.raises(ScenarioError, match=expected):
        variants(write(CHAIN), [parse_setting("risks.strik.probability=0.5")])


# --- hostile settings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("start=2030-13-45", "start: '2030-13-45' is not a date; write YYYY-MM-DD, YYYY-MM or YYYY "
         "(with --set start=2030-13-45)"),
        ("start=2030-02-30", "start: '2030-02-30' is not a date; write YYYY-MM-DD, YYYY-MM or YYYY "
         "(with --set start=2030-02-30)"),
        ("milestones.a.duration=!!int ''",
         "--set \"milestones.a.duration=!!int ''\": cannot read the values: '' is not a valid int "
         "(tagged !!int)"),
        ("risks.strike.probability=!!float '_'",
         "--set \"risks.strike.probability=!!float '_'\": cannot read the values: '_' is not a valid float "
         "(tagged !!float)"),
        ("iterations=10,20", "--set 'iterations=10,20': iterations is the same in every variant of a sweep "
         "(give it with -n); vary another key"),
        ("seed=1,2", "--set 'seed=1,2': seed is the same in every variant of a sweep (give it with --seed; "
         "the variants share it so that they differ only where the values act); vary another key"),
    ],
)
def test_cli_hostile_settings_are_one_located_line(write, tmp_path, setting, message):
    from test_cli import lunarsim

    path = write(CHAIN)
    r = lunarsim("sweep", str(path), "--set", setting, "-n", "100", "--no-report")
    assert (r.returncode, r.stdout) == (2, "")
    assert len(r.stderr.splitlines()) == 1 and r.stderr.rstrip().endswith(message), r.stderr


def test_a_swept_start_moves_the_variants_dates(write, tmp_path):
    """`b` ends 150 days after `start`: 2030-05-31 from 2030-01-01, 2031-05-31 from 2031-01-01."""
    from test_cli import lunarsim

    path = write(CHAIN.replace("probability: 0.1", "probability: 0"))
    rows = sweep(path, [parse_setting("start=2030-01-01,2031-01-01")], 200, 1, workers=1)
    b = [r for r in rows if r["milestone"] == "b"]
    # Days from the file's start (2030-01-01): 150, and 365 + 150 for the variant a year later.
    assert [r["p50_days"] for r in b] == [150.0, 515.0]
    assert [r["p_target"] for r in b] == [1.0, 0.0]  # the target stays 2030-05-31
    r = lunarsim("sweep", str(path), "--set", "start=2030-01-01,2031-01-01", "-n", "200",
                 "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert [str(r["p50_date"]) for r in b] == ["2030-05-31", "2031-05-31"]  # the data file's dates
    assert "2030-05" in r.stdout and "2031-05" in r.stdout  # the terminal's table, to the month
    page = next((tmp_path / "out").glob("*.html")).read_text()
    assert "2031-05-31" in page


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(write, tmp_path):
    path = write(CHAIN)
    setting = parse_setting("name='=HYPERLINK(1)','+1','-1','@SUM(1)',plain")
    rows = sweep(path, [setting], 50, 1, workers=1)
    write_table(rows, tmp_path / "t.csv")
    names = [row["name"] for row in csv.DictReader(io.StringIO((tmp_path / "t.csv").read_text()))]
    assert names[::3] == ["'=HYPERLINK(1)", "'+1", "'-1", "'@SUM(1)", "plain"]
