"""A status date with retries that wait for a resource: checked against an event simulation of
its own (no lunarsim engine), and the engines against each other.

The status date conditions a milestone's own draws on its not being done by then, every other
input as drawn: exactly what rejection gives, redrawing the milestone's own inputs (durations,
retry times, attempt outcomes) until it is not done by the status day.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from stats import proportion_se, within

import sim

ENGINES = ["simpy", "vector"]

EXAMPLE = """
    name: a retry queues behind another claim
    start: 2030-01-01
    as_of: 2030-01-31
    resources:
      pad: {capacity: 1}
    milestones:
      q2: {duration: 20d, success: 0.5, retry: {after: 2d, max: 1}, uses: {pad: {}}}
      gate: {duration: 1d, actual: 2030-01-13}
      q3: {after: [gate], duration: 30d, uses: {pad: {}}}
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_retry_that_waits_for_the_pad_completes_after_the_status_date(scenario, engine):
    r = sim.simulate(scenario(EXAMPLE), 4000, seed=1, engine=engine)
    # The status day is day 30 (its end: 31). q2's first attempt ends on day 20, so it failed;
    # q3 asked for the pad on day 12, before q2's retry (day 20), and holds it from 20 to 50;
    # the retry runs 50 to 52, after the status day, and succeeds half the time
    # (SE sqrt(0.25 / 4000), k = 4).
    q2 = r.finish_of("q2")
    assert set(q2.tolist()) == {52.0, math.inf}
    within(float(np.isfinite(q2).mean()), 0.5, proportion_se(0.5, q2.size))
    assert r.finish_of("q3").tolist() == [50.0] * 4000


RANDOM = """
    name: retries queue around a status date
    start: 2030-01-01
    as_of: 2030-01-31
    resources:
      pad: {capacity: 1}
    milestones:
      q2:
        duration: {uniform: [10d, 40d]}
        success: 0.5
        retry: {after: {uniform: [1d, 6d]}, max: 2}
        uses: {pad: {}}
      gate: {duration: 1d, actual: 2030-01-13}
      q3: {after: [gate], duration: {uniform: [20d, 40d]}, uses: {pad: {}}}
"""

STATUS_END = 31.0  # the end of the status day, 2030-01-31 (day 30)


def _oracle(n: int, seed: int) -> np.ndarray:
    """q2's finish day in n futures conditioned on q2 not being done by the status day.

    The pad serves claims in the order they are made (q2 first at equal times; no overtaking).
    q3 asks on day 12 and cannot be done by the status day (it starts on day 12 at the
    earliest and takes at least 20 days), so its draw is its prior one. q2's own draws are
    redrawn, q3's kept, until q2 is not done by the status day.
    """
    rng = np.random.default_rng(seed)
    out = np.empty(n)
    for i in range(n):
        d3 = rng.uniform(20.0, 40.0)
        while True:
            work = [rng.uniform(10.0, 40.0), rng.uniform(1.0, 6.0), rng.uniform(1.0, 6.0)]
            ok = rng.random(3) < 0.5
            free, asked, q3_served, finish = 0.0, 0.0, False, math.inf
            for k in range(3):
                if not q3_served and asked > 12.0:
                    free = max(12.0, free) + d3  # q3's claim came first
                    q3_served = True
                start = max(asked, free)
                free = asked = start + work[k]
                if ok[k]:
                    finish = asked
                    break
            if not finish < STATUS_END:
                break
        out[i] = finish
    return out


@pytest.mark.parametrize("engine", ENGINES)
def test_conditioning_with_queued_retries_matches_an_event_simulation(scenario, engine):
    n, m = 20_000, 20_000
    got = sim.simulate(scenario(RANDOM), n, seed=7, engine=engine).finish_of("q2")
    want = _oracle(m, 11)
    # Each share is compared with SE sqrt(p (1 - p) (1/n + 1/m)) of the difference, k = 4.
    for day in (35.0, 45.0, 55.0, 65.0, math.inf):
        p = float((want < day).mean()) if math.isfinite(day) else float(np.isfinite(want).mean())
        q = float((got < day).mean()) if math.isfinite(day) else float(np.isfinite(got).mean())
        se = math.sqrt(max(p * (1 - p), 1e-12) * (1 / n + 1 / m))
        within(q, p, se)
