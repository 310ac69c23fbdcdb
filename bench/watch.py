"""Benchmark: one watch-mode re-run of a bundled scenario (load, simulate, render), split by stage."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import sim
from sim.cli.watch import render
from sim.report.page import report_html

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", nargs="?", default="ilrs-2022-announced")
    parser.add_argument("-n", "--iterations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = ROOT / "scenarios" / f"{args.scenario}.yaml"
    # Warm up as a watch session is warm after its first run (plotly.js read, templates compiled).
    render(sim.simulate(sim.load(path), 1000, 0, workers=1))
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        scenario = sim.load(path)
        t1 = time.perf_counter()
        result = sim.simulate(scenario, args.iterations, 0, workers=1)
        t2 = time.perf_counter()
        render(result)  # exactly what sim.cli.watch shows after a save
        t3 = time.perf_counter()
        stages = {"load": t1 - t0, "simulate": t2 - t1, "report": t3 - t2, "total": t3 - t0}
        for stage, seconds in stages.items():
            best[stage] = min(best.get(stage, float("inf")), seconds)
    print(f"{args.scenario}, {args.iterations:,} iterations, {result.engine} engine, best of {args.repeat}:")
    for stage, seconds in best.items():
        print(f"  {stage:9s} {seconds:6.3f} s")
    print(f"goal: total under {GOAL_SECONDS:.1f} s: {'met' if best['total'] < GOAL_SECONDS else 'NOT met'}")
    # For comparison, not part of the goal: the report `lunarsim run` writes, whose exact impacts
    # re-run the model once per risk and decision outcome (watch mode leaves them out).
    t0 = time.perf_counter()
    report_html(result)
    seconds = time.perf_counter() - t0
    print(f"  (report with impacts, as `lunarsim run` writes it when they are cheap: {seconds:.3f} s)")


if __name__ == "__main__":
    main()
