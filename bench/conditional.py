"""Benchmark: a scenario with conditional outcomes (`when`) against the same scenario with its
outcomes drawn up front. Goal: at most 1.5 times the time of the whole `lunarsim run` command.

The network: four parallel chains of five PERT tasks joined at the end (as bench/engines.py),
a risk, a task with retries, and three decisions. Up front, each decision draws its outcome
with a probability; conditional, the same decisions choose by what has happened when they
complete: a chain's task not done, a failed attempt, the risk.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sim

# (decision, after, condition, outcome's probability up front)
DECISIONS = (
    ("review-a", "c0-s2", "{not_done: c1-s2}", 0.5),
    ("review-b", "c2-s2", "{failed: c3-s1, at_least: 1}", 0.3),
    ("review-c", "c1-s3", "{any: [{risk: parts}, {not_done: c0-s3}]}", 0.6),
)


def network_yaml(conditional: bool) -> str:
    lines = ["name: bench decisions", "start: 2030-01-01", "milestones:"]
    for chain in range(4):
        for step in range(5):
            mid = f"c{chain}-s{step}"
            lines.append(f"  {mid}:")
            lines.append(f"    duration: {{pert: [{10 + step}d, {20 + step}d, {60 + 5 * chain}d]}}")
            after = [f"c{chain}-s{step - 1}"] if step else []
            after += [d for d, at, _, _ in DECISIONS if at == f"c{chain}-s{step - 1}"]
            if after:
                lines.append(f"    after: [{', '.join(after)}]")
            if mid == "c3-s1":
                lines.append("    success: 0.7")
                lines.append("    retry: {after: 20d, max: 2}")
    for d, at, when, p in DECISIONS:
        chain = at.split("-")[0]
        step = int(at.split("-s")[1])
        later = f"{chain}-s{step + 1}"
        lines += [f"  {d}:", f"    after: [{at}]", "    duration: 5d", "    branches:"]
        if conditional:
            lines.append(f"      replan: {{when: {when}, effects: [{{milestones: [{later}], add: 30d}}]}}")
            lines.append("      as-planned: {}")
        else:
            lines.append(
                f"      replan: {{probability: {p}, effects: [{{milestones: [{later}], add: 30d}}]}}"
            )
            lines.append(f"      as-planned: {{probability: {1 - p:.1f}}}")
    lines += ["  done:", "    after: [c0-s4, c1-s4, c2-s4, c3-s4]"]
    lines += ["risks:", "  parts:", "    probability: 0.4", "    effects: [{milestones: [c1-s1], add: 15d}]"]
    return "\n".join(lines) + "\n"


def command(path: Path, n: int, out: Path, extra: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "run",
            str(path),
            "-n",
            str(n),
            "--seed",
            "1",
            "-q",
            "--summary-json",
            str(out / f"{path.stem}.json"),
            "--out",
            str(out),
            *extra,
        ],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=200_000, help="iterations per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, the fastest kept")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        drawn, when = out / "drawn.yaml", out / "when.yaml"
        drawn.write_text(network_yaml(False), encoding="utf-8")
        when.write_text(network_yaml(True), encoding="utf-8")
        for label, path in (("up front", drawn), ("conditional", when)):
            r = sim.simulate(sim.load(path), 20_000, seed=1)
            shares = {d: f"{r.branch_frequencies()[d]['replan']:.2f}" for d, *_ in DECISIONS}
            print(f"{label:12} engine {r.engine}, P(replan) {shares}")
        configs = (
            ("no report, no impacts", ["--no-report", "--no-impacts"]),
            ("no report", ["--no-report"]),
            ("with report", []),
        )
        for title, extra in configs:
            best = {drawn: float("inf"), when: float("inf")}
            for _ in range(args.repeats):  # alternated, so that load on the machine hits both
                for path in (drawn, when):
                    best[path] = min(best[path], command(path, args.n, out, extra))
            print(
                f"lunarsim run, {args.n:,} iterations, {title}: up front {best[drawn]:.2f} s, "
                f"conditional {best[when]:.2f} s, ratio {best[when] / best[drawn]:.2f} (goal <= 1.5)"
            )
        lib = {drawn: float("inf"), when: float("inf")}
        for _ in range(args.repeats):
            for path in (drawn, when):
                sc = sim.load(path)
                began = time.perf_counter()
                sim.simulate(sc, args.n, seed=1, workers=1)
                lib[path] = min(lib[path], time.perf_counter() - began)
        print(f"sim.simulate alone, 1 worker: ratio {lib[when] / lib[drawn]:.2f}")


if __name__ == "__main__":
    main()
