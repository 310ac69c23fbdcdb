"""Benchmark: the bench network in other open Python tools, each in its own interpreter, vs bare NumPy."""

from __future__ import annotations

import argparse
import graphlib
import inspect
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from engines import bare_numpy, best_of, network_yaml  # the sibling bench/engines.py

import sim

JOIN = "done"

# Every snippet starts with this: it reads the network and run settings as JSON on standard input,
# answers {"missing": true} when the tool's module is not importable, and times one call best-of.
PREAMBLE = """
import importlib.util
import json
import sys
import time

spec = json.load(sys.stdin)
tasks, n, repeats, seed, join = spec["tasks"], spec["n"], spec["repeats"], spec["seed"], spec["join"]
if importlib.util.find_spec(spec["module"]) is None:
    print(json.dumps({"missing": True}))
    raise SystemExit(0)


def best_of(run):
    best, out = float("inf"), None
    for _ in range(repeats):
        began = time.perf_counter()
        out = run()
        best = min(best, time.perf_counter() - began)
    return best, out


def report(seconds, mean, note=""):
    print(json.dumps({"seconds": seconds, "mean": float(mean), "note": note}))
"""

# pmcontrols.pert(): activity-on-node records with a, m, b; samples lambda=4 Beta-PERT.
PMCONTROLS = """
import pmcontrols as pm

activities = [
    {"id": t["id"], "predecessors": t["after"], **dict(zip("amb", t["pert"] or (0, 0, 0)))}
    for t in tasks
]
seconds, result = best_of(lambda: pm.pert(activities, n_sim=n, seed=seed))
# mc_mean is the mean project finish, the latest activity: the join, the network's only sink.
report(seconds, result.stats["mc_mean"], "its call also computes criticality indices")
"""

# trueppm_scheduler.monte_carlo(): a Project of Tasks with three-point estimates and FS links, on a
# seven-day calendar so that working days are calendar days.
TRUEPPM = """
from datetime import date, timedelta

from trueppm_scheduler import Calendar, Dependency, Project, Task, monte_carlo

start = date(2030, 1, 1)
items = []
for t in tasks:
    if t["pert"]:
        lo, mode, hi = (timedelta(days=x) for x in t["pert"])
        items.append(Task(id=t["id"], name=t["id"], duration=lo, optimistic_duration=lo,
                          most_likely_duration=mode, pessimistic_duration=hi))
    else:
        items.append(Task(id=t["id"], name=t["id"], duration=timedelta(0)))
links = [Dependency(predecessor_id=p, successor_id=t["id"]) for t in tasks for p in t["after"]]
project = Project(id="bench", name="bench", start_date=start, tasks=items, dependencies=links,
                  calendar=Calendar(working_days=0b1111111))
seconds, result = best_of(lambda: monte_carlo(project, runs=n, seed=seed))
# distribution holds each run's finish as the day it is shown on; a finish at the end of day k
# (counting the start day as day 1) is shown on start + k - 1.
mean = sum((d - start).days + 1 for d in result.distribution) / len(result.distribution)
report(seconds, mean, "Beta moment-fitted to the PERT mean and sd, not lambda=4; whole-day finishes")
"""

# squigglepy: lazy distribution arithmetic, sampled once at the join with sample().
SQUIGGLEPY = """
import squigglepy as sq

finish = {}
for t in tasks:
    ready = None
    for p in t["after"]:
        ready = finish[p] if ready is None else sq.dist_max(ready, finish[p])
    work = sq.pert(*t["pert"]) if t["pert"] else None
    if work is None:
        finish[t["id"]] = ready if ready is not None else sq.const(0)
    else:
        finish[t["id"]] = work if ready is None else ready + work


def run():
    sq.set_seed(seed)
    return sq.sample(finish[join], n=n, verbose=False)


seconds, samples = best_of(run)
fans_out = len({p for t in tasks for p in t["after"]}) < sum(len(t["after"]) for t in tasks)
report(seconds, samples.mean(), "resamples a milestone shared by several successors" if fans_out else "")
"""

# mcprojsim: a Project of tasks with low/expected/high estimates, run by SimulationEngine. It has no
# PERT (triangular or lognormal) and no zero-length task (triangular needs low < high), so the
# join is dropped and a milestone without work is replaced by its predecessors in others' links.
MCPROJSIM = """
import numpy as np
from mcprojsim import Project, SimulationEngine

by_id = {t["id"]: t for t in tasks}


def links(ids):
    out = []
    for p in ids:
        out += [p] if by_id[p]["pert"] else links(by_id[p]["after"])
    return sorted(set(out))


project = Project(
    project={"name": "bench", "start_date": "2030-01-01", "distribution": "triangular"},
    tasks=[
        {"id": t["id"], "name": t["id"], "dependencies": links(t["after"]),
         "estimate": dict(zip(("low", "expected", "high"), t["pert"]), unit="hours")}
        for t in tasks if t["pert"]
    ],
)
sinks = [t for t in tasks if not any(t["id"] in u["after"] for u in tasks)]
assert [t["id"] for t in sinks] == [join], "the project finish stands for the join only when it is the sink"


def run():
    return SimulationEngine(iterations=n, random_seed=seed, show_progress=False, workers=1).run(project)


seconds, result = best_of(run)
# Estimates go in as "hours" so that no unit conversion applies; the numbers are read back as days.
note = "no PERT here: triangular on the same three points, hence the later mean"
report(seconds, np.mean(result.durations), note)
"""


@dataclass(frozen=True)
class Tool:
    """One alternative: its PyPI name, the module it imports, and the snippet that times it."""

    package: str
    module: str
    snippet: str


TOOLS = [
    Tool("pmcontrols", "pmcontrols", PMCONTROLS),
    Tool("trueppm-scheduler", "trueppm_scheduler", TRUEPPM),
    Tool("squigglepy", "squigglepy", SQUIGGLEPY),
    Tool("mcprojsim", "mcprojsim", MCPROJSIM),
]

# Bare NumPy again, in the alternatives' interpreter, to show whether the two interpreters differ.
BARE_NUMPY = (
    "import numpy as np\n\n"
    + inspect.getsource(bare_numpy)
    + "\nseconds, out = best_of(lambda: bare_numpy(n, seed))\nreport(seconds, out.mean())\n"
)


def network() -> list[dict[str, Any]]:
    """The bench network read back from `network_yaml()`: id, predecessors and PERT days, in order."""
    doc = yaml.safe_load(network_yaml())
    tasks: dict[str, dict[str, Any]] = {}
    for mid, body in doc["milestones"].items():
        pert = None
        if "duration" in body:
            pert = [float(str(v).removesuffix("d")) for v in body["duration"]["pert"]]
        tasks[mid] = {"id": mid, "after": list(body.get("after", [])), "pert": pert}
    order = graphlib.TopologicalSorter({k: v["after"] for k, v in tasks.items()}).static_order()
    return [tasks[k] for k in order]


def run_snippet(python: str, module: str, body: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Run one snippet in `python` (isolated mode, from an empty folder) and return its JSON answer."""
    payload = json.dumps({**spec, "module": module})
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [python, "-I", "-c", PREAMBLE + body],
            input=payload,
            capture_output=True,
            text=True,
            cwd=folder,
            check=False,
        )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        err = done.stderr.strip().splitlines()
        return {"error": err[-1] if err else f"exit code {done.returncode}"}
    answer: dict[str, Any] = json.loads(lines[-1])
    return answer


def describe(python: str) -> str:
    """Python and NumPy versions of an interpreter, for the header."""
    probe = "import sys, numpy; print(sys.version.split()[0], numpy.__version__)"
    done = subprocess.run([python, "-I", "-c", probe], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return f"{python} (no NumPy)"
    version, numpy_version = done.stdout.split()
    return f"{python} (Python {version}, NumPy {numpy_version})"


def best_of_with(fn: Callable[[], np.ndarray], repeats: int) -> tuple[float, np.ndarray]:
    """`best_of` from engines.py, also keeping the last run's output for its mean."""
    out: list[np.ndarray] = []
    seconds = best_of(lambda: out.append(fn()), repeats)
    return seconds, out[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=100_000, help="iterations for every tool")
    parser.add_argument(
        "--alt-python",
        default=sys.executable,
        help="interpreter of the virtualenv that holds the alternatives (default: this one)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if shutil.which(args.alt_python) is None:
        parser.error(f"--alt-python {args.alt_python}: no such interpreter")
    n, seed, repeats = args.n, args.seed, 3
    tasks = network()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.yaml"
        path.write_text(network_yaml())
        sc = sim.load(path)

    t_bare, bare = best_of_with(lambda: bare_numpy(n, seed), repeats)
    t_vec, ours = best_of_with(
        lambda: sim.simulate(sc, n, seed=seed, engine="vector", workers=1).finish_of(JOIN), repeats
    )
    here = f"{sys.executable} (Python {sys.version.split()[0]}, NumPy {np.__version__})"
    print(f"network: {len(tasks)} milestones; {n} iterations, best of {repeats}")
    print(f"lunarsim and bare NumPy in {here}")
    print(f"alternatives in {describe(args.alt_python)}")
    print(f"bare NumPy: mean {bare.mean():.1f} days")
    print(f"lunarsim vector / bare NumPy: {t_vec / t_bare:.1f} (mean {ours.mean():.1f} days)")

    spec = {"tasks": tasks, "n": n, "repeats": repeats, "seed": seed, "join": JOIN}
    calib = run_snippet(args.alt_python, "numpy", BARE_NUMPY, spec)
    label = "bare NumPy in the alternatives' interpreter"
    if "seconds" in calib:
        print(f"{label} / bare NumPy: {calib['seconds'] / t_bare:.1f} (mean {calib['mean']:.1f} days)")
    else:
        print(f"{label}: {'NumPy not installed' if calib.get('missing') else calib['error']}")
    for tool in TOOLS:
        got = run_snippet(args.alt_python, tool.module, tool.snippet, spec)
        if got.get("missing"):
            print(f"{tool.package}: not installed")
        elif "error" in got:
            print(f"{tool.package}: failed ({got['error']})")
        else:
            note = f"; {got['note']}" if got["note"] else ""
            ratio = got["seconds"] / t_bare
            print(f"{tool.package} / bare NumPy: {ratio:.1f} (mean {got['mean']:.1f} days{note})")


if __name__ == "__main__":
    main()
