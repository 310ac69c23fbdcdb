"""What `run` prints at 80 and 120 columns, to a terminal and piped: every column kept, one line
per milestone where titles must be cut (at a word), nothing wider than the window."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

import sim

SCENARIO = "ilrs-2022-announced"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _run(columns: int, tty: bool, *args: str) -> str:
    """`lunarsim run` at `columns` (see `_lunarsim`)."""
    return _lunarsim(columns, tty, "run", SCENARIO, "-n", "2000", "--no-report", *args)


def _lunarsim(columns: int, tty: bool, *args: str) -> str:
    """lunarsim's standard output with `COLUMNS` set (piped), or in a pseudo-terminal that many
    columns wide (with no `COLUMNS`: the terminal's own size is what counts)."""
    command = [sys.executable, "-m", "sim", *args]
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    if not tty:
        done = subprocess.run(command, env={**env, "COLUMNS": str(columns)}, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout
    main, side = pty.openpty()
    fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    quiet = subprocess.DEVNULL
    proc = subprocess.Popen(command, env=env, stdout=side, stderr=quiet, stdin=quiet)
    os.close(side)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert proc.wait(timeout=120) == 0
    return ANSI.sub("", b"".join(chunks).decode("utf-8").replace("\r\n", "\n"))


@pytest.fixture(scope="module")
def titles() -> list[str]:
    scenario = sim.load(SCENARIO)
    return [m.title for m in scenario.milestones.values()]


@pytest.mark.parametrize("tty", [False, True], ids=["piped", "terminal"])
@pytest.mark.parametrize("columns", [80, 120])
def test_run_table_keeps_every_column_and_fits_the_width(columns: int, tty: bool, titles: list[str]) -> None:
    out = _run(columns, tty)
    lines = out.splitlines()
    assert all(len(line.rstrip()) <= columns for line in lines), max(lines, key=len)
    header = next(line for line in lines if line.startswith("milestone"))
    assert header.split() == ["milestone", "P10", "P50", "P90", "target", "P(target)", "done"]
    rows = [line for line in lines if re.search(r"\d %\s*$", line) and not line.startswith(("P10", " "))]
    assert len(rows) == len(titles)  # one line per milestone
    for line, title in zip(rows, titles, strict=True):
        shown = re.split(r"\s{2,}", line.strip())[0]
        # The whole title, or its first whole words and "…": never a word cut in two.
        assert shown == title or (shown.endswith("…") and (title + " ").startswith(shown[:-1] + " ")), shown
    # Dates to the month, and the target column's dates as given.
    assert re.search(r"\b20\d\d-\d\d\b", rows[-1]) and "2032-04-24" in rows[-1]
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b.*\b20\d\d-\d\d-\d\d\b", rows[-1])
    assert "P(target): chance of being done by the end of the target day." in " ".join(out.split())


def test_piped_output_follows_columns_and_a_narrow_one_says_where_the_targets_went() -> None:
    out = _run(60, False)
    assert all(len(line.rstrip()) <= 60 for line in out.splitlines())
    header = next(line for line in out.splitlines() if line.startswith("milestone"))
    assert "target" not in header.split()
    assert "the target dates need 72 columns" in " ".join(out.split())


@pytest.mark.parametrize("tty", [False, True], ids=["piped", "terminal"])
@pytest.mark.parametrize("columns", [80, 120])
def test_sweep_table_keeps_every_percentile_and_fits_the_width(columns: int, tty: bool) -> None:
    out = _lunarsim(
        columns,
        tty,
        "sweep",
        "tutorial-launch-campaign",
        "--set",
        "risks.late-parts.probability=0,0.3",
        "--set",
        "milestones.build.duration={triangular: [8 months, 1y, 2y]},2y",
        "-n",
        "500",
        "--no-report",
    )
    lines = out.splitlines()
    assert all(len(line.rstrip()) <= columns for line in lines), max(lines, key=len)
    header = next(line for line in lines if line.startswith("#"))
    assert header.split()[-5:] == ["P(target)", "P10", "P50", "P80", "P90"]
    rows = [line for line in lines if re.match(r"\d+ ", line)]
    assert len(rows) == 4
    for row in rows:  # four percentile dates to the month, none cut
        assert len(re.findall(r"\b2\d\d\d-\d\d\b", row)) == 4, row
    # Key paths break after their dots, not inside a word.
    assert re.search(r"\bprobability\b", out) and re.search(r"\bduration\b", out)


@pytest.mark.parametrize("tty", [False, True], ids=["piped", "terminal"])
@pytest.mark.parametrize("columns", [80, 120])
def test_compare_prints_one_table_with_the_difference(columns: int, tty: bool, tmp_path: Path) -> None:
    from sim.scenario.units import DAYS_PER_MONTH

    names = ("ilrs-2022-announced", "ilrs-2022-china-alone")
    out = _lunarsim(columns, tty, "compare", *names, "-n", "1000", "--out", str(tmp_path))
    lines = [line for line in out.splitlines() if not line.startswith("report: ")]  # a path, unbroken
    assert all(len(line.rstrip()) <= columns for line in lines), max(lines, key=len)
    header = next(line for line in lines if line.startswith("shared milestone"))
    assert re.split(r"\s{2,}", header.strip())[1:] == [
        "P50 A", "P50 B", "B − A", "P(target) A", "P(target) B",
    ]
    a, b = (sim.simulate(sim.load(name), 1000) for name in names)
    head = a.scenario.headline
    row = next(line for line in lines if line.startswith(a.scenario.milestones[head].title[:12]))
    months = round((b.percentile_days(head, 50) - a.percentile_days(head, 50)) / DAYS_PER_MONTH)
    # A whole-month difference is signed; none at all reads "0".
    assert ("0" if months == 0 else f"{months:+d} mo".replace("-", "−")) in re.split(r"\s{2,}", row.strip())
    assert sum(line.startswith("shared milestone") for line in lines) == 1  # one table, not two
