"""Benchmark `lunarsim lint` (without --effects) as users run it: the whole command, start-up included.

For every bundled scenario it times `python -m sim lint SCENARIO` with a warm derived-numbers
cache (every run after a machine's first), as the median of several runs, next to
`lunarsim --help` (start-up and Typer) and `python -c pass` (the interpreter alone). Goal (issue
24): under 0.5 s wall on every bundled scenario.

The command's environment is this one without PYTHONDONTWRITEBYTECODE: a regular install (pip, a
wheel) has every module byte-compiled, and with that variable set an editable checkout would
compile lunarsim's modules from source on every start (about 0.1 s). Each command runs once
before it is timed, so that its byte code and cache entries exist.

`--against DIR` times the same commands on the code in DIR too (a copy of another commit's `sim`
package, e.g. `git archive main sim | tar -x -C DIR`), run in turn with this checkout's so that a
load that comes and goes falls on both alike, and prints the ratio of their wall times.
`--cache-off` adds the figures with the cache off (`LUNARSIM_CACHE=off`: every run refits the
slip model and re-solves the copulas, which is what every run cost before the cache).

Wall time is the goal; on a busy machine it mostly measures the other processes, so the CPU time
of the command (user + system, from getrusage) is printed beside it: on an idle machine the two
are about equal (lint runs in one thread).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 0.5


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _env(cache: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "LUNARSIM_CACHE": cache}


def timed(
    commands: list[tuple[list[str], Path]], env: dict[str, str], repeat: int
) -> list[tuple[float, float]]:
    """Median wall and CPU seconds of each (argv, folder) over `repeat` runs, run in turn (round
    robin) after one untimed run each. `python -m sim` in a folder runs the `sim` package there."""
    for argv, cwd in commands:
        subprocess.run(argv, cwd=cwd, env=env, capture_output=True)
    wall: list[list[float]] = [[] for _ in commands]
    cpu: list[list[float]] = [[] for _ in commands]
    for _ in range(repeat):
        for (argv, cwd), w, c in zip(commands, wall, cpu):
            start, used = time.perf_counter(), _cpu()
            done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True)
            w.append(time.perf_counter() - start)
            c.append(_cpu() - used)
            if done.returncode not in (0, 3):
                raise SystemExit(f"{' '.join(argv)} failed in {cwd}: {done.stderr.decode()[-400:]}")
    return [(statistics.median(w), statistics.median(c)) for w, c in zip(wall, cpu)]


def _cell(figure: tuple[float, float]) -> str:
    return f"{figure[0]:6.3f} / {figure[1]:5.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-r", "--repeat", type=int, default=7, help="runs per figure (median)")
    parser.add_argument(
        "--against", type=Path, metavar="DIR", help="a folder holding another `sim` to compare"
    )
    parser.add_argument(
        "--cache-off", action="store_true", help="also time every scenario with the cache off"
    )
    parser.add_argument("scenarios", nargs="*", help="default: every bundled scenario")
    opts = parser.parse_args()
    files = [Path(p).resolve() for p in opts.scenarios] or sorted((ROOT / "scenarios").glob("*.yaml"))
    folders = [ROOT] + ([opts.against.resolve()] if opts.against else [])
    python = [sys.executable, "-m", "sim"]
    print(f"load average at start: {os.getloadavg()[0]:.2f}; median of {opts.repeat} runs each")
    print("wall / CPU seconds" + (f"; before: {folders[1]}, after: {ROOT}" if opts.against else ""))
    with tempfile.TemporaryDirectory() as cache:
        env = _env(cache)
        floor = timed([([sys.executable, "-c", "pass"], ROOT)], env, opts.repeat)[0]
        print(f"{'python -c pass':<36} {_cell(floor)}")
        for figure, folder in zip(
            timed([([*python, "--help"], f) for f in folders], env, opts.repeat), folders
        ):
            print(f"{'lunarsim --help':<36} {_cell(figure)}  ({folder.name})")
        head = f"{'scenario':<36} {'after' if opts.against else 'warm cache':>15}"
        head += f" {'before':>15} {'ratio':>6}" if opts.against else ""
        print(f"{head}  goal: wall < {GOAL} s")
        worst = 0.0
        for path in files:
            figures = timed([([*python, "lint", str(path)], f) for f in folders], env, opts.repeat)
            worst = max(worst, figures[0][0])
            row = f"{path.stem:<36} {_cell(figures[0])}"
            if opts.against:
                row += f" {_cell(figures[1])} {figures[1][0] / figures[0][0]:6.2f}"
            if opts.cache_off:
                off = timed([([*python, "lint", str(path)], ROOT)], _env("off"), opts.repeat)[0]
                row += f"  cache off {_cell(off)}"
            print(f"{row}  {'yes' if figures[0][0] < GOAL else 'no'}")
    print(
        f"slowest: {worst:.3f} s wall ({'met' if worst < GOAL else 'not met'}); load average at end: "
        f"{os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
