"""What signposts cost next to the run they read: `sim.analysis.signposts` on each bundled scenario.

    .venv/bin/python bench/signposts.py            # 100,000 iterations
    .venv/bin/python bench/signposts.py -n 20000

Prints, for each bundled scenario, the seconds the signposts take on the run's result, and their
ratio to `sim.simulate` alone and to what `lunarsim run --no-report` computes (`sim.simulate`
and the summary JSON, signposts included). Goal: at most 0.05 of a run.
"""

from __future__ import annotations

import argparse
import time

import sim
from sim.analysis.signposts import signposts
from sim.bundled import bundled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--iterations", type=int, default=100_000)
    args = parser.parse_args()
    for path, _ in bundled():
        sc = sim.load(path)
        t0 = time.perf_counter()
        result = sim.simulate(sc, args.iterations, seed=1, stream=False)
        simulate = time.perf_counter() - t0
        t0 = time.perf_counter()
        found = signposts(result)
        cost = time.perf_counter() - t0
        t0 = time.perf_counter()
        result.summary(impacts=False)  # the signposts are kept from above: the rest of the summary
        rest = time.perf_counter() - t0
        print(
            f"{path.stem:32} {result.engine:6} {len(found):3} events  signposts {cost:6.3f} s  "
            f"/ simulate {cost / simulate:.3f}  / (simulate + summary) {cost / (simulate + rest + cost):.3f}"
        )


if __name__ == "__main__":
    main()
