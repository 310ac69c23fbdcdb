"""Lunar landing attempts since 2013, and the per-attempt success probability they support.

The data are the sourced rows of `sim/data/lunar-landings.csv`: one row per lander that set out
for the Moon (launched successfully towards it), with the day its landing was attempted or the
mission lost, and what happened. An attempt scores 1 if the lander came down intact and
upright (`landed`), 0.5 if it came down intact but not upright, so that its surface mission
was cut short (`partial`: SLIM, IM-1, IM-2), and 0 if it was lost before or during the landing
(`lost`, including Luna-25, lost in the manoeuvre into its pre-landing orbit, and Peregrine,
which never reached the Moon).

An operator's chance of landing its next attempt is the mean of a Beta distribution pooled in
two steps (partial pooling; "empirical Bayes" with a fixed prior weight):

1. Every attempt up to the cut-off date, with a uniform Beta(1, 1) prior: the overall rate
   m_all = (S_all + 1) / (N_all + 2).
2. The operator's group: **newcomers** (attempts by operators that had not yet come down intact,
   landed or partial, before that attempt) or **experienced** (operators that had). The group's
   rate is pulled towards the overall rate with the weight of `PRIOR_WEIGHT` attempts:
   m_group = (S_group + k m_all) / (N_group + k).
3. The operator: a Beta(k m_group, k (1 - m_group)) prior updated with its own attempts, whose
   mean is p = (S_op + k m_group) / (N_op + k). The group is the one the operator's next attempt
   would fall in.

S is the sum of the scores and N the number of attempts; k = `PRIOR_WEIGHT` = 2, so a group's
record counts as much as two of the operator's own attempts. The weight is a judgement (the data
are too few to fit it); `lunarsim landings --as-of DATE` shows the result at any date, so a
scenario dated in the past uses only what was known then. The posterior is also summarised by
its 5th and 95th percentiles, which say how little a handful of attempts pins a rate down.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from dataclasses import dataclass
from importlib import resources

# How many attempts' worth of weight the group's rate carries in an operator's prior.
PRIOR_WEIGHT = 2.0

# Scenario values are this many decimal places of the method's probability.
DECIMALS = 2

SCORES = {"landed": 1.0, "partial": 0.5, "lost": 0.0}


@dataclass(frozen=True)
class Attempt:
    """One lander that set out for the Moon, and what became of it."""

    mission: str
    operator: str
    kind: str  # "state" or "private"
    attempt_on: dt.date
    outcome: str  # a key of SCORES
    title: str
    outlet: str
    published: str
    url: str
    note: str
    line: int

    @property
    def score(self) -> float:
        return SCORES[self.outcome]


@dataclass(frozen=True)
class Estimate:
    """An operator's chance of landing its next attempt, as of a date."""

    operator: str
    as_of: dt.date
    group: str  # "newcomer" or "experienced"
    attempts: int
    score: float  # sum of its attempts' scores
    group_rate: float  # the prior's mean
    overall_rate: float
    alpha: float  # posterior Beta parameters
    beta: float

    @property
    def probability(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def rounded(self) -> float:
        """The value a scenario's `success:` takes."""
        return round(self.probability, DECIMALS)

    def interval(self, low: float = 0.05, high: float = 0.95) -> tuple[float, float]:
        """Percentiles of the posterior Beta distribution."""
        from scipy.stats import beta as beta_dist

        return (
            float(beta_dist.ppf(low, self.alpha, self.beta)),
            float(beta_dist.ppf(high, self.alpha, self.beta)),
        )


@functools.cache
def attempts() -> tuple[Attempt, ...]:
    """Every row of the data file, in date order."""
    text = resources.files("sim").joinpath("data/lunar-landings.csv").read_text(encoding="utf-8")
    rows = []
    for line, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        if row["outcome"] not in SCORES:
            outcome = row["outcome"]
            raise ValueError(f"lunar-landings.csv:{line}: outcome {outcome!r} is not one of {sorted(SCORES)}")
        rows.append(
            Attempt(
                mission=row["mission"],
                operator=row["operator"],
                kind=row["kind"],
                attempt_on=dt.date.fromisoformat(row["attempt_on"]),
                outcome=row["outcome"],
                title=row["title"],
                outlet=row["outlet"],
                published=row["published"],
                url=row["url"],
                note=row["note"],
                line=line,
            )
        )
    return tuple(sorted(rows, key=lambda a: (a.attempt_on, a.line)))


def known(as_of: dt.date) -> list[Attempt]:
    """The attempts made on or before `as_of`."""
    return [a for a in attempts() if a.attempt_on <= as_of]


def groups(rows: list[Attempt]) -> dict[str, str]:
    """Each attempt's group, by mission: "experienced" once its operator has come down intact."""
    down: set[str] = set()
    out = {}
    for a in rows:
        out[a.mission] = "experienced" if a.operator in down else "newcomer"
        if a.score > 0:
            down.add(a.operator)
    return out


def operators() -> list[str]:
    """Every operator in the data, in order of first attempt."""
    return list(dict.fromkeys(a.operator for a in attempts()))


def estimate(operator: str, as_of: dt.date) -> Estimate:
    """`operator`'s chance of landing its next attempt after `as_of` (see the module's docstring).

    An operator with no attempt yet (or not in the data) is a newcomer with no record of its own.
    """
    rows = known(as_of)
    group_of = groups(rows)
    k = PRIOR_WEIGHT
    overall = (sum(a.score for a in rows) + 1.0) / (len(rows) + 2.0)
    own = [a for a in rows if a.operator == operator]
    group = "experienced" if any(a.score > 0 for a in own) else "newcomer"
    members = [a for a in rows if group_of[a.mission] == group]
    group_rate = (sum(a.score for a in members) + k * overall) / (len(members) + k)
    score = sum(a.score for a in own)
    return Estimate(
        operator=operator,
        as_of=as_of,
        group=group,
        attempts=len(own),
        score=score,
        group_rate=group_rate,
        overall_rate=overall,
        alpha=score + k * group_rate,
        beta=(len(own) - score) + k * (1.0 - group_rate),
    )


def success(operator: str, as_of: dt.date) -> float:
    """The per-attempt success probability a scenario dated `as_of` uses for `operator`."""
    return estimate(operator, as_of).rounded
