"""Time exact attribution (`drivers.attribution`) of 12 risks at 100,000 iterations.

    .venv/bin/python bench/attribution.py                # 12 risks, 100,000 iterations
    .venv/bin/python bench/attribution.py -n 20000 --risks 8

The network: a serial chain of `--risks` uncertain milestones joined in pairs by merges, each
milestone with its own risk (probability 0.1 to 0.4, adding a PERT delay), and one risk that
scales two milestones, so that risks interact at the merges. It prints the run's time, the
attribution's time (paired-bootstrap intervals of all four statistics included) and their ratio,
checks that the parts add up to the total, and says which statistics got intervals; then the
whole command a user waits for, `lunarsim run FILE -n N --impacts --summary-json - --no-report`
(start-up, run, impacts, attribution and the summary).
Goal (issue 24): 12 risks at 100,000 iterations in under 30 s on the 2-core reference machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sim


def scenario_text(risks: int) -> str:
    lines = ["name: attribution bench", "start: 2030-01-01", "headline: end", "milestones:"]
    ids = []
    for i in range(risks - 1):
        after = "" if i < 2 else f"after: [m{i - 2}, m{i - 1}], "
        lines.append(f"  m{i}: {{{after}duration: {{pert: [60d, 90d, 180d]}}}}")
        ids.append(f"m{i}")
    lines.append(f"  end: {{after: [{ids[-2]}, {ids[-1]}], duration: 10d, target: 2036-01-01}}")
    lines.append("risks:")
    for i in range(risks - 1):
        p = 0.1 + 0.3 * (i % 4) / 3
        lines.append(
            f"  r{i}: {{title: R{i}, probability: {p:.2f}, "
            f"effects: [{{milestones: [m{i}], add: {{pert: [20d, 40d, 120d]}}}}]}}"
        )
    both = f"[{{milestones: [m0, {ids[-1]}], scale: 1.3}}]"
    lines.append(f"  both: {{title: Both, probability: 0.2, effects: {both}}}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--iterations", type=int, default=100_000)
    parser.add_argument("--risks", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.yaml"
        path.write_text(scenario_text(args.risks), encoding="utf-8")
        sc = sim.load(path)
        t0 = time.perf_counter()
        result = sim.simulate(sc, args.iterations, seed=1)
        t1 = time.perf_counter()
        section = result.attribution()
        t2 = time.perf_counter()
        command = [sys.executable, "-m", "sim", "run", str(path), "-n", str(args.iterations), "--seed", "1"]
        command += ["--impacts", "--summary-json", "-", "--no-report", "--no-history"]
        t3 = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True, env=dict(os.environ))
        t4 = time.perf_counter()
    parts = sum(i["p80_days"] for i in section["inputs"])
    load = os.getloadavg()[0]
    print(f"{len(section['inputs'])} factors, {args.iterations:,} iterations; load average {load:.2f}")
    print(f"run {t1 - t0:.1f} s, attribution {t2 - t1:.1f} s (ratio {(t2 - t1) / (t1 - t0):.1f})")
    print(f"P80 shift {section['total']['p80_days']} d, parts sum to {parts:.2f} d")
    with_ci = [
        s for s in ("mean_days", "p50_days", "p80_days", "p_target") if section["inputs"][0]["interval"][s]
    ]
    top = section["inputs"][0]
    print(
        f"95 % intervals for {', '.join(with_ci)}; largest part {top['input']}: P80 {top['p80_days']} d "
        f"in {top['interval']['p80_days']}, mean {top['mean_days']} d in {top['interval']['mean_days']}"
    )
    summary = json.loads(done.stdout)
    assert summary["drivers"]["attribution"]["total"] == section["total"]
    print(f"whole command (run -n {args.iterations} --impacts, no report): {t4 - t3:.1f} s (goal: 30 s)")


if __name__ == "__main__":
    main()
