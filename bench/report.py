"""Benchmark: building one scenario's HTML report from a finished run, as `lunarsim run` does."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import sim
from sim.analysis.impacts import by_default
from sim.analysis.sensitivity import criticality, tornado
from sim.report.charts import ReportInputs, figures_of, report_charts
from sim.report.page import report_html

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", nargs="?", default="ilrs-2026-status")
    parser.add_argument("-n", "--iterations", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = ROOT / "scenarios" / f"{args.scenario}.yaml"
    report_html(sim.simulate(sim.load(path), 200, 0, workers=1), impacts=False)  # warm caches
    t0 = time.perf_counter()
    result = sim.simulate(sim.load(path), args.iterations, args.seed)
    simulate = time.perf_counter() - t0
    impacts = by_default(result)
    print(f"{args.scenario}, {args.iterations:,} iterations ({result.engine}): simulated in {simulate:.1f} s")
    # The report `lunarsim run` writes: the sensitivity and criticality analyses (kept on the
    # result afterwards), the figures, the page; the exact impacts only when they are cheap.
    t0 = time.perf_counter()
    report_html(result)
    first = time.perf_counter() - t0
    shown = "with impacts" if impacts else "impacts left out"
    print(f"  report, as `lunarsim run` writes it ({shown}): {first:6.3f} s")
    head = result.scenario.headline
    order = [head, *[m for m in result.milestone_ids if m != head]]
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        ranked, shares = tornado(result, head), criticality(result, head)
        t1 = time.perf_counter()
        figures_of(report_charts(), ReportInputs(result, order, ranked, shares))
        t2 = time.perf_counter()
        report_html(result, impacts=impacts)
        t3 = time.perf_counter()
        stages = {"analyses (kept)": t1 - t0, "figures": t2 - t1, "report again": t3 - t2}
        for stage, seconds in stages.items():
            best[stage] = min(best.get(stage, float("inf")), seconds)
    print(f"  then, best of {args.repeat}:")
    for stage, seconds in best.items():
        print(f"    {stage:16s} {seconds:6.3f} s")
    print(f"goal: report under {GOAL_SECONDS:.1f} s: {'met' if first < GOAL_SECONDS else 'NOT met'}")


if __name__ == "__main__":
    main()
