"""Benchmark: the vector engine against bare NumPy, SimPy against vector, and peak memory."""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

import sim

MILESTONES = 20


def network_yaml() -> str:
    """A 20-milestone network: four parallel chains of five PERT tasks, joined at the end."""
    lines = ["name: bench network", "start: 2030-01-01", "milestones:"]
    for chain in range(4):
        for step in range(5):
            mid = f"c{chain}-s{step}"
            lines.append(f"  {mid}:")
            lines.append(f"    duration: {{pert: [{10 + step}d, {20 + step}d, {60 + 5 * chain}d]}}")
            if step:
                lines.append(f"    after: [c{chain}-s{step - 1}]")
    lines[-1] = lines[-1]  # last chain's end
    lines += ["  done:", "    after: [c0-s4, c1-s4, c2-s4, c3-s4]"]
    return "\n".join(lines) + "\n"


def bare_numpy(n: int, seed: int) -> np.ndarray:
    """The same network written by hand: Beta-PERT draws, sums along chains, max at the join."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    ends = []
    for chain in range(4):
        t = np.zeros(n)
        for step in range(5):
            lo, mode, hi = 10 + step, 20 + step, 60 + 5 * chain
            a = 1 + 4 * (mode - lo) / (hi - lo)
            b = 1 + 4 * (hi - mode) / (hi - lo)
            t = t + lo + (hi - lo) * rng.beta(a, b, n)
        ends.append(t)
    return np.max(ends, axis=0)


def best_of(fn, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=1_000_000, help="iterations for the vector comparison")
    parser.add_argument("--simpy-n", type=int, default=4_000, help="iterations for the SimPy comparison")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.yaml"
        path.write_text(network_yaml())
        sc = sim.load(path)
    n = args.n
    t_bare = best_of(lambda: bare_numpy(n, 1))
    t_vec = best_of(lambda: sim.simulate(sc, n, seed=1, engine="vector", workers=1))
    ours = sim.simulate(sc, n, seed=1, engine="vector", workers=1).finish_of("done")
    theirs = bare_numpy(n, 1)
    m = args.simpy_n
    t_vec_m = best_of(lambda: sim.simulate(sc, m, seed=1, engine="vector", workers=1))
    t_simpy1 = best_of(lambda: sim.simulate(sc, m, seed=1, engine="simpy", workers=1), 1)
    t_simpy2 = best_of(lambda: sim.simulate(sc, m, seed=1, engine="simpy", workers=2), 1)
    tracemalloc.start()
    sim.simulate(sc, 200_000, seed=1, engine="vector", workers=1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"network: {MILESTONES + 1} milestones; vector runs of {n} iterations, SimPy runs of {m}")
    means = f"means {ours.mean():.2f} vs {theirs.mean():.2f} days"
    print(f"vector / bare NumPy          : {t_vec / t_bare:6.2f}   ({means})")
    print(f"SimPy / vector (per iteration): {t_simpy1 / t_vec_m:6.0f}")
    print(f"SimPy workers 2 / workers 1   : {t_simpy2 / t_simpy1:6.2f}")
    print(f"peak memory per iteration     : {peak / 200_000:6.0f} bytes")


if __name__ == "__main__":
    main()
