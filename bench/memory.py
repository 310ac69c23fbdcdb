"""Benchmark: peak memory of a streamed `lunarsim run` stays flat as the iterations grow.

    .venv/bin/python bench/memory.py                      # 10^7 and 3·10^7 (about a minute)
    .venv/bin/python bench/memory.py -n 10^7 -n 3*10^7 -n 10^8
    .venv/bin/python bench/memory.py --workers 1 -n 10^6 -n 3*10^6

Runs the whole command a user runs, report included, `lunarsim run ilrs-2022-announced -n N
--seed 1 --quiet --out <temp>`, once per N, and prints for each:

- peak RSS of the largest process (`/usr/bin/time -f %M`, which Linux reports for the largest of
  the command and its workers; a small process starts the command, so the benchmark's own peak is
  not carried into it across fork);
- peak total memory of the command and its workers together: the sum of their proportional set
  sizes (`Pss` of /proc/PID/smaps_rollup, shared pages divided among the processes sharing them),
  sampled every 0.1 s, so a peak shorter than that can be missed.

Goals (issue 18): the peak at 3·10^7 within 10 % of the peak at 10^7, and under 500 MB at 10^8.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def lunarsim() -> str:
    here = Path(sys.executable).parent / "lunarsim"
    return str(here) if here.exists() else shutil.which("lunarsim") or "lunarsim"


def count(text: str) -> int:
    """10^7, 3*10^7, 1e7 or 10000000."""
    text = text.replace("·", "*").replace(" ", "")
    factor = 1
    if "*" in text:
        head, text = text.split("*", 1)
        factor = int(head)
    if "^" in text:
        base, power = text.split("^", 1)
        return factor * int(base) ** int(power)
    return factor * int(float(text))


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it, from /proc/PID/task/*/children."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
    return found


def pss(pid: int) -> int:
    """Proportional set size of one process in bytes (0 once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def measure(n: int, workers: int | None, out: Path) -> tuple[float, int, int, int]:
    """Seconds, exit status, peak RSS of the largest process and peak summed PSS of one run."""
    timer = shutil.which("time") or "/usr/bin/time"
    command = [lunarsim(), "run", "ilrs-2022-announced", "-n", str(n), "--seed", "1", "--quiet"]
    command += ["--out", str(out)] + (["--workers", str(workers)] if workers else [])
    with tempfile.NamedTemporaryFile("r") as report, tempfile.TemporaryFile() as sink:
        began = time.perf_counter()
        proc = subprocess.Popen([timer, "-f", "%M", "-o", report.name, *command], stdout=sink, stderr=sink)
        total = 0
        while proc.poll() is None:
            total = max(total, sum(pss(p) for p in descendants(proc.pid)[1:]))  # not /usr/bin/time
            time.sleep(0.1)
        seconds = time.perf_counter() - began
        if proc.returncode:
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace")[-2000:])
        kib = int(report.read().split()[-1])
    return seconds, proc.returncode, kib * 1024, total


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("-n", action="append", type=count, help="iterations (repeat; default 10^7, 3*10^7)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    args = parser.parse_args()
    sizes = args.n or [10**7, 3 * 10**7]
    print(f"ilrs-2022-announced, report included; cpus {os.cpu_count()}, workers {args.workers or 'all'}")
    print("load average (1, 5, 15 min) at start: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    peaks = []
    with tempfile.TemporaryDirectory(prefix="lunarsim-memory-") as work:
        for n in sizes:
            seconds, rc, rss, total = measure(n, args.workers, Path(work))
            peaks.append(rss)
            print(
                f"{n:>13,} iterations: {seconds:7.1f} s  exit {rc}  peak RSS (largest process) "
                f"{rss / 1e6:6.0f} MB  peak PSS (all processes) {total / 1e6:6.0f} MB"
            )
    for n, rss in zip(sizes[1:], peaks[1:]):
        print(f"peak at {n:,} / peak at {sizes[0]:,}: {rss / peaks[0]:.3f}")


if __name__ == "__main__":
    main()
