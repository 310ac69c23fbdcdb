"""Benchmark what users wait for: the whole CLI run and the library calls against bare NumPy and SimPy loops.

The network: 30 milestones; milestone i > 0 follows up to two earlier ones drawn with
numpy.random.default_rng(1).choice(i, size=min(i, 2), replace=False); every duration is
triangular on [1d, 2d, 5d]. Each figure is from one run; ratios are time over the bare loop's.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

MILESTONES = 30
PERCENTILES = (10, 50, 80, 90)  # what a summary reports per milestone
ROOT = Path(__file__).resolve().parent.parent


def predecessors() -> list[list[int]]:
    """Each milestone's predecessors, drawn exactly as the benchmark's definition says."""
    rng = np.random.default_rng(1)
    return [
        [] if i == 0 else sorted(int(p) for p in rng.choice(i, size=min(i, 2), replace=False))
        for i in range(MILESTONES)
    ]


def network_yaml() -> str:
    lines = ["name: bench floor network", "start: 2030-01-01", "milestones:"]
    for i, preds in enumerate(predecessors()):
        lines.append(f"  m{i}:")
        lines.append("    duration: {triangular: [1d, 2d, 5d]}")
        if preds:
            lines.append(f"    after: [{', '.join(f'm{p}' for p in preds)}]")
    return "\n".join(lines) + "\n"


def bare_numpy(n: int, seed: int) -> np.ndarray:
    """Sample, take the critical path (max over predecessors), percentiles of every milestone."""
    rng = np.random.default_rng(seed)
    finish = np.empty((MILESTONES, n))
    for i, preds in enumerate(predecessors()):
        start = np.max(finish[preds], axis=0) if preds else 0.0
        finish[i] = start + rng.triangular(1.0, 2.0, 5.0, n)
    return np.percentile(finish, PERCENTILES, axis=1)


def bare_simpy(n: int, seed: int) -> float:
    """One SimPy Environment per iteration, a process per milestone; durations drawn up front."""
    import simpy

    preds = predecessors()
    durations = np.random.default_rng(seed).triangular(1.0, 2.0, 5.0, (n, MILESTONES)).tolist()
    total = 0.0
    for i in range(n):
        env = simpy.Environment()
        done = [env.event() for _ in range(MILESTONES)]
        row = durations[i]

        def milestone(k: int, env: simpy.Environment = env, done: list = done, row: list = row) -> Any:
            if preds[k]:
                yield env.all_of([done[p] for p in preds[k]])
            yield env.timeout(row[k])
            done[k].succeed()

        for k in range(MILESTONES):
            env.process(milestone(k))
        env.run()
        total += env.now
    return total / n


def timed(fn: Callable[[], Any]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def peak_of(fn: Callable[[], Any]) -> int:
    """Peak bytes Python and NumPy allocate while `fn` runs (tracemalloc)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run_child(args: list[str], cwd: Path) -> tuple[float, int, int]:
    """Wall seconds, exit status and peak RSS in bytes (the largest of it and its worker processes).

    Linux carries a process's peak RSS across fork and exec, so a child started from this (large)
    process would report at least this one's peak: /usr/bin/time, a small process, starts it.
    """
    timer = shutil.which("time") or "/usr/bin/time"
    with tempfile.TemporaryFile() as sink, tempfile.NamedTemporaryFile("r") as report:
        began = time.perf_counter()
        proc = subprocess.run(
            [timer, "-f", "%M", "-o", report.name, *args],
            cwd=cwd,
            stdout=sink,
            stderr=subprocess.STDOUT,
            check=False,
        )
        seconds = time.perf_counter() - began
        if proc.returncode:
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace")[-2000:])
        kib = int(report.read().split()[-1])
    return seconds, proc.returncode, kib * 1024


def lunarsim() -> str:
    here = Path(sys.executable).parent / "lunarsim"
    return str(here) if here.exists() else shutil.which("lunarsim") or "lunarsim"


def mb(x: float) -> str:
    return f"{x / 2**20:7.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=1_000_000, help="iterations of the vector comparisons")
    parser.add_argument("--simpy-n", type=int, default=20_000, help="iterations of the SimPy comparisons")
    parser.add_argument("--big-n", type=int, default=10_000_000, help="iterations of the memory run")
    parser.add_argument("--status-n", type=int, default=100_000, help="iterations of ilrs-2026-status")
    parser.add_argument(
        "--skip", default="", help="comma-separated parts to skip: cli,library,simpy,help,big,status"
    )
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    n, m = args.n, args.simpy_n
    work = Path(tempfile.mkdtemp(prefix="lunarsim-bench-"))
    net = work / "floor.yaml"
    net.write_text(network_yaml())
    print(f"network: {MILESTONES} milestones, triangular [1d, 2d, 5d]; one run each; cpus {os.cpu_count()}")
    # Other work on the machine shows in every ratio, most in the two-worker speed-up.
    print("load average (1, 5, 15 min) at start: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))

    # A regular install (pip, a wheel) byte-compiles the package; an editable checkout run with
    # PYTHONDONTWRITEBYTECODE would compile every module from source on each start (about 0.1 s).
    compileall.compile_dir(ROOT / "sim", quiet=1)

    t_bare = timed(lambda: bare_numpy(n, 1))
    peak_bare = peak_of(lambda: bare_numpy(n, 1))
    print(
        f"bare NumPy loop, {n:,} iterations     : {t_bare:7.2f} s  {n / t_bare:12,.0f} it/s  "
        f"peak {mb(peak_bare)}"
    )

    if "cli" not in skip:
        cmd = [
            lunarsim(),
            "run",
            str(net),
            "-n",
            str(n),
            "--seed",
            "1",
            "--no-report",
            "--summary-json",
            str(work / "summary.json"),
        ]
        t_cli, rc, rss = run_child(cmd, work)
        print(
            f"lunarsim run (CLI, all cores)         : {t_cli:7.2f} s  {n / t_cli:12,.0f} it/s  "
            f"peak RSS {mb(rss)}  exit {rc}  ratio {t_cli / t_bare:5.2f} (goal <= 1.0, stretch 0.6)"
        )
        t_cli1, rc, rss = run_child([*cmd, "--workers", "1"], work)
        print(
            f"lunarsim run (CLI, --workers 1)       : {t_cli1:7.2f} s  {n / t_cli1:12,.0f} it/s  "
            f"peak RSS {mb(rss)}  exit {rc}  ratio {t_cli1 / t_bare:5.2f}"
        )

    if "library" not in skip:
        import sim
        from sim.analysis.summary import drivers, summary

        sc = sim.load(net)
        t_sim = timed(lambda: sim.simulate(sc, n, seed=1, engine="vector", workers=1))
        result = sim.simulate(sc, n, seed=1, engine="vector", workers=1)
        t_sum = timed(lambda: (summary(result), drivers(result)))
        peak_lib = peak_of(lambda: sim.simulate(sc, n, seed=1, engine="vector", workers=1))
        print(
            f"sim.simulate (vector, 1 worker)       : {t_sim:7.2f} s  {n / t_sim:12,.0f} it/s  "
            f"peak {mb(peak_lib)}  ratio {t_sim / t_bare:5.2f}"
        )
        print(
            f"summary + drivers of that result      : {t_sum:7.2f} s  ratio (simulate + these) "
            f"{(t_sim + t_sum) / t_bare:5.2f}"
        )
        del result

    if "simpy" not in skip:
        import sim

        sc = sim.load(net)
        t_bsim = timed(lambda: bare_simpy(m, 1))
        t_s1 = timed(lambda: sim.simulate(sc, m, seed=1, engine="simpy", workers=1))
        t_s2 = timed(lambda: sim.simulate(sc, m, seed=1, engine="simpy", workers=2))
        print(f"bare SimPy loop, {m:,} iterations       : {t_bsim:7.2f} s  {m / t_bsim:12,.0f} it/s")
        print(
            f"SimPy engine, 1 worker                : {t_s1:7.2f} s  {m / t_s1:12,.0f} it/s  "
            f"ratio {t_s1 / t_bsim:5.2f} (goal <= 1.3)"
        )
        print(
            f"SimPy engine, 2 workers               : {t_s2:7.2f} s  {m / t_s2:12,.0f} it/s  "
            f"speed-up {t_s1 / t_s2:5.2f} (goal >= 1.7)"
        )

    if "help" not in skip:
        t_help, rc, rss = run_child([lunarsim(), "--help"], work)
        print(
            f"lunarsim --help                       : {t_help:7.2f} s  peak RSS {mb(rss)}  "
            f"exit {rc}  (goal < 0.3 s, stretch 0.15 s)"
        )

    if "big" not in skip:
        big = args.big_n
        t_big, rc, rss = run_child(
            [
                lunarsim(),
                "run",
                "ilrs-2022-announced",
                "-n",
                str(big),
                "--seed",
                "1",
                "--quiet",
                "--out",
                str(work / "reports"),
            ],
            work,
        )
        print(
            f"ilrs-2022-announced, {big:,} it, report: {t_big:7.2f} s  peak RSS {mb(rss)}  exit {rc}  "
            "(goal < 1.5 GB)"
        )

    if "status" not in skip:
        sn = args.status_n
        t_st, rc, rss = run_child(
            [
                lunarsim(),
                "run",
                "ilrs-2026-status",
                "-n",
                str(sn),
                "--seed",
                "1",
                "--quiet",
                "--out",
                str(work / "reports"),
            ],
            work,
        )
        print(
            f"ilrs-2026-status, {sn:,} it, report  : {t_st:7.2f} s  peak RSS {mb(rss)}  exit {rc}  "
            "(goal < 10 s)"
        )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
