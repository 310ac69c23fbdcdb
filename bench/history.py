"""Benchmark: what the history store adds to `lunarsim run`, and `lunarsim history` over 1,000 runs.

Recording is timed as `lunarsim run` does it (re-reading the resolved scenario, one locked insert)
into a store that already holds 1,000 runs; listing is the whole `lunarsim history` command as a
subprocess, beside `lunarsim --version` (the start-up every command pays) in the same session.
A plain `lunarsim history` is answered without Typer (`sim.cli.quick`); `lunarsim history --debug`
prints the same listing through the Typer command, as every `history` did before, so the ratio of
the two, measured in one run, is what answering it without Typer saves. `python -c pass` is the
interpreter's own start-up, the floor of any command.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sim
from sim.analysis.history import record
from sim.scenario.extends import read_chain

ROOT = Path(__file__).resolve().parent.parent
RECORD_GOAL = 0.050
LIST_GOAL = 0.3


def _walls(commands: list[list[str]], env: dict[str, str], repeat: int) -> list[float]:
    """The median wall time of each command, run in turn (round robin) so that a load that comes
    and goes on a shared machine falls on all of them alike."""
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(repeat):
        for command, spent in zip(commands, times):
            t0 = time.perf_counter()
            subprocess.run(command, env=env, check=True, capture_output=True)
            spent.append(time.perf_counter() - t0)
    return [statistics.median(spent) for spent in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", nargs="?", default="ilrs-2026-status")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    path = ROOT / "scenarios" / f"{args.scenario}.yaml"
    result = sim.run(sim.load(path), 2000, 1, workers=1)
    summary = result.summary(str(path), impacts=False)
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "history.sqlite"
        for _ in range(args.runs):
            record(store, summary, read_chain(path)[0].data, result.scenario.as_of)
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            record(store, summary, read_chain(path)[0].data, result.scenario.as_of)
            times.append(time.perf_counter() - t0)
        rec = statistics.median(times)
        env = {**os.environ, "LUNARSIM_HISTORY": str(store)}
        lunarsim = [sys.executable, "-m", "sim"]
        listing, listing_json, start_up, typer_path, floor = _walls(
            [
                [*lunarsim, "history"],
                [*lunarsim, "history", "--json"],
                [*lunarsim, "--version"],
                [*lunarsim, "history", "--debug"],
                [sys.executable, "-c", "pass"],
            ],
            env,
            args.repeat,
        )
    n = args.runs + args.repeat
    print(f"{args.scenario}, store of {args.runs:,} runs, median of {args.repeat}:")
    print(f"  record one run        {rec * 1000:7.1f} ms   (goal < {RECORD_GOAL * 1000:.0f} ms)")
    print(f"  lunarsim history      {listing:7.3f} s    ({n:,} lines; goal < {LIST_GOAL} s)")
    print(f"  lunarsim history --json {listing_json:5.3f} s")
    ratio = listing / start_up
    print(f"  lunarsim --version    {start_up:7.3f} s    (start-up; history / start-up = {ratio:.2f})")
    print(
        f"  history through Typer {typer_path:7.3f} s    (`history --debug`, as before; "
        f"without / through Typer = {listing / typer_path:.2f})"
    )
    print(f"  python -c pass        {floor:7.3f} s    (the interpreter's start-up)")


if __name__ == "__main__":
    main()
