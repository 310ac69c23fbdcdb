"""Benchmark `lunarsim lint` (without --effects) as users run it: the whole command, start-up included.

For every bundled scenario it times the command with the derived-numbers cache off (every run
refits the slip model and re-solves the copulas: what each run cost before the cache) and with a
warm cache (what every run after the first costs), as the median of several runs, next to
`lunarsim --help` (start-up alone). Goal: under 0.5 s warm on every bundled scenario.

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


def seconds(args: list[str], cache: str, repeat: int) -> tuple[float, float]:
    """Median wall and CPU time of `lunarsim ARGS` over `repeat` runs, with LUNARSIM_CACHE=cache."""
    env = dict(os.environ, LUNARSIM_CACHE=cache)
    wall, cpu = [], []
    for _ in range(repeat):
        start, used = time.perf_counter(), _cpu()
        done = subprocess.run([sys.executable, "-m", "sim", *args], env=env, capture_output=True)
        wall.append(time.perf_counter() - start)
        cpu.append(_cpu() - used)
        if done.returncode not in (0, 3):
            raise SystemExit(f"lunarsim {' '.join(args)} failed: {done.stderr.decode()[-400:]}")
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-r", "--repeat", type=int, default=5, help="runs per figure (median)")
    parser.add_argument("scenarios", nargs="*", help="default: every bundled scenario")
    opts = parser.parse_args()
    files = opts.scenarios or sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    print(f"load average at start: {os.getloadavg()[0]:.2f}; median of {opts.repeat} runs each")
    with tempfile.TemporaryDirectory() as cache:
        wall, cpu = seconds(["--help"], cache, opts.repeat)
        print(f"{'lunarsim --help':<36} wall {wall:5.2f} s, CPU {cpu:5.2f} s")
        head = f"{'scenario':<36} {'no cache':>15} {'warm cache':>15} {'ratio':>6}"
        print(f"{head}  (wall / CPU seconds; ratio of wall)  goal: warm wall < {GOAL} s")
        worst = 0.0
        for path in files:
            off = seconds(["lint", path], "off", opts.repeat)
            seconds(["lint", path], cache, 1)  # fill the cache
            warm = seconds(["lint", path], cache, opts.repeat)
            worst = max(worst, warm[0])
            met = "yes" if warm[0] < GOAL else "no"
            cells = f"{off[0]:6.2f} / {off[1]:5.2f}  {warm[0]:6.2f} / {warm[1]:5.2f}"
            print(f"{Path(path).name:<36} {cells}  {off[0] / warm[0]:6.1f}  {met}")
    print(f"slowest warm: {worst:.2f} s wall ({'met' if worst < GOAL else 'not met'})")


if __name__ == "__main__":
    main()
