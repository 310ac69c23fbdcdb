"""Landing odds from the record of lunar landing attempts: the data, the method, and the scenarios
that use it."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from stats import proportion_se, within

import sim
from sim.scenario import landings

ROOT = Path(__file__).resolve().parent.parent

# Which operator flies each bundled lander, for checking that scenario values come from the method.
OPERATOR = {
    "change-7-landing": "CNSA",
    "change-8-landing": "CNSA",
    "luna-25-landing": "Roscosmos",
    "luna-27-landing": "Roscosmos",
    "luna-28-landing": "Roscosmos",
}


def test_every_attempt_is_sourced_and_since_2013():
    rows = landings.attempts()
    assert len(rows) >= 15
    for a in rows:
        assert a.attempt_on >= dt.date(2013, 1, 1), a.mission
        assert a.url.startswith(("http://", "https://")), a.mission
        assert a.title and a.outlet and a.published[:4].isdigit(), a.mission
        assert a.kind in {"state", "private"}, a.mission
    # The attempts the method is meant to cover are all there.
    missions = {a.mission for a in rows}
    for name in ("Chang'e-3", "Chang'e-6", "Beresheet", "Luna-25", "SLIM", "IM-1 Odysseus"):
        assert name in missions


def test_the_file_is_plain_csv_with_one_row_per_attempt():
    path = ROOT / "sim" / "data" / "lunar-landings.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(landings.attempts())
    assert len({r["mission"] for r in rows}) == len(rows)


def _by_hand(operator: str, as_of: dt.date) -> float:
    """The method's three steps, recomputed from the raw rows without the module's helpers."""
    k = landings.PRIOR_WEIGHT
    rows = [a for a in landings.attempts() if a.attempt_on <= as_of]
    scores = {"landed": 1.0, "partial": 0.5, "lost": 0.0}
    overall = (sum(scores[a.outcome] for a in rows) + 1) / (len(rows) + 2)
    newcomer: list[float] = []
    experienced: list[float] = []
    down: set[str] = set()
    for a in rows:
        (experienced if a.operator in down else newcomer).append(scores[a.outcome])
        if scores[a.outcome] > 0:
            down.add(a.operator)
    group = experienced if operator in down else newcomer
    rate = (sum(group) + k * overall) / (len(group) + k)
    own = [scores[a.outcome] for a in rows if a.operator == operator]
    return (sum(own) + k * rate) / (len(own) + k)


@pytest.mark.parametrize("operator", ["CNSA", "Roscosmos", "ISRO", "ispace", "a new operator"])
@pytest.mark.parametrize("as_of", [dt.date(2022, 4, 24), dt.date(2026, 11, 25)])
def test_estimate_follows_the_documented_formula(operator, as_of):
    got = landings.estimate(operator, as_of).probability
    assert got == pytest.approx(_by_hand(operator, as_of), abs=1e-12)


def test_a_failure_lowers_and_a_landing_raises_the_estimate():
    # ISRO before and after its two attempts: Chandrayaan-2 lost, Chandrayaan-3 landed.
    before = landings.estimate("ISRO", dt.date(2019, 9, 1)).probability
    after_loss = landings.estimate("ISRO", dt.date(2019, 9, 30)).probability
    after_landing = landings.estimate("ISRO", dt.date(2023, 8, 31)).probability
    assert after_loss < before < after_landing


def test_only_what_was_known_on_the_date_counts():
    # Luna-25 (lost, August 2023) is not yet in a 2022 estimate for Roscosmos.
    e2022 = landings.estimate("Roscosmos", dt.date(2022, 4, 24))
    e2026 = landings.estimate("Roscosmos", dt.date(2026, 11, 25))
    assert (e2022.attempts, e2026.attempts) == (0, 1)
    assert e2026.probability < e2022.probability


def test_the_interval_contains_the_mean():
    e = landings.estimate("CNSA", dt.date(2026, 11, 25))
    low, high = e.interval()
    assert 0 < low < e.probability < high <= 1


@pytest.mark.parametrize("name", ["ilrs-2022-announced", "ilrs-2026-status"])
def test_bundled_landing_odds_are_the_methods_to_two_decimals(name):
    """Each lander's `success` is its operator's estimate on the scenario's own date (its status
    date, else its start: a 2022 file may not know of later attempts), to two decimals."""
    sc = sim.load(ROOT / "scenarios" / f"{name}.yaml")
    as_of = sc.as_of or sc.start
    checked = 0
    for mid, operator in OPERATOR.items():
        if mid not in sc.milestones:
            continue
        assert sc.milestones[mid].success == landings.success(operator, as_of), (name, mid)
        checked += 1
    assert checked >= 3


def test_luna_27b_is_russias_second_attempt_a_year_after_27a():
    sc = sim.load(ROOT / "scenarios" / "ilrs-2026-status.yaml")
    retry = sc.milestones["luna-27-landing"].retry
    assert retry is not None and retry.max == 1
    result = sim.simulate(sc, 4000, seed=3)
    p = landings.success("Roscosmos", sc.as_of)
    done = result.done_fraction("luna-27-landing")
    # Two independent attempts at p: done with probability 1 - (1 - p)^2 (the other risks only
    # delay it, well within the horizon). Tolerance k = 4 standard errors, sqrt(q (1 - q) / n).
    expected = 1 - (1 - p) ** 2
    within(done, expected, proportion_se(expected, 4000))
