"""Reference classes: how announced launch dates of lunar and planetary missions actually slipped.

The data are the sourced rows of `sim/data/reference-classes.csv`. Each row is one announced
launch date (a forecast): when it was announced, the date announced, and the actual launch (empty
while the mission has not flown). Its slip ratio is

    (actual launch - announcement date) / (announced launch - announcement date),

1 for a launch exactly on the announced date, 2 for a launch taking twice the announced time. A
mission that has not flown by `DATA_AS_OF` is right-censored: its ratio is only known to exceed
(DATA_AS_OF - announcement date) / (announced launch - announcement date). A class's distribution
of ratios is the Kaplan-Meier estimate, which counts a censored row as "at least this late" rather
than dropping it or calling it on time.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from sim.messages import did_you_mean

# The day the dataset was last checked: a mission with no launch by then is still waiting.
DATA_AS_OF = dt.date(2026, 11, 28)

# Shorter horizons are launch-campaign scrubs (weather, pad slots), whose ratios say nothing about
# how a development schedule of years stretches; such rows stay in the data but out of the classes.
MIN_HORIZON_DAYS = 180

# Fewer usable forecasts than this give quantiles too coarse to draw from.
MIN_FORECASTS = 5

ALL = "all"

CLASSES: dict[str, str] = {
    ALL: "every forecast in the dataset",
    "russian-lunar": "Roscosmos/Lavochkin lunar missions (Luna-25 to Luna-29, lunar power plant)",
    "chinese-lunar": "CNSA robotic lunar missions (Chang'e, Queqiao)",
    "chinese-space": "Chinese lunar and planetary missions, robotic and crewed",
    "lunar-landers": "robotic lunar landers of any agency or company",
    "commercial-lunar": (
        "privately built lunar landers (Astrobotic, Intuitive Machines, ispace, SpaceIL, Firefly)"
    ),
    "crewed-lunar": "crewed lunar flights and landings (Artemis, China's crewed landing)",
    "artemis": "NASA's Artemis flights and first crewed landing",
    "nasa-science": "NASA planetary science missions",
    "esa-science": "ESA planetary science missions",
    "planetary": "missions beyond the Moon, any agency",
}


@dataclass(frozen=True)
class Forecast:
    """One announced launch date and what became of it."""

    mission: str
    agency: str
    classes: tuple[str, ...]
    announced_on: dt.date
    announced_launch: dt.date
    launched_on: dt.date | None
    announcement_source: str
    launch_source: str
    note: str
    line: int

    @property
    def horizon_days(self) -> int:
        """Days from the announcement to the announced launch."""
        return (self.announced_launch - self.announced_on).days

    @property
    def censored(self) -> bool:
        """True while the mission has not launched by DATA_AS_OF."""
        return self.launched_on is None

    @property
    def ratio(self) -> float:
        """The slip ratio; for a censored row, the lower bound it is known to exceed."""
        end = self.launched_on if self.launched_on is not None else DATA_AS_OF
        return (end - self.announced_on).days / self.horizon_days


def _period(text: str) -> tuple[dt.date, dt.date]:
    """First and last day of `YYYY`, `YYYY-MM` or `YYYY-MM-DD`."""
    parts = [int(p) for p in text.strip().split("-")]
    if len(parts) == 3:
        day = dt.date(*parts)
        return day, day
    if len(parts) == 2:
        first = dt.date(parts[0], parts[1], 1)
        nxt = dt.date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
        return first, nxt - dt.timedelta(days=1)
    if len(parts) == 1:
        return dt.date(parts[0], 1, 1), dt.date(parts[0], 12, 31)
    raise ValueError(f"{text!r} is not YYYY, YYYY-MM or YYYY-MM-DD")


def _middle(text: str) -> dt.date:
    first, last = _period(text)
    return first + (last - first) // 2


def _end(text: str) -> dt.date:
    return _period(text)[1]


def dataset_path() -> Path:
    """Where the bundled CSV lives."""
    return Path(str(resources.files("sim") / "data" / "reference-classes.csv"))


def read_forecasts(path: Path | None = None) -> tuple[Forecast, ...]:
    """Every row of the dataset, dates resolved.

    A date known to the month or year stands for the middle of that period, except the announced
    launch, which stands for its last day: "launch in 2024" is kept by a launch on 31 Dec 2024.
    """
    source = path if path is not None else dataset_path()
    rows: list[Forecast] = []
    with source.open(encoding="utf-8", newline="") as fh:
        for line, raw in enumerate(csv.DictReader(fh), start=2):
            launched = raw["launched_on"].strip()
            rows.append(
                Forecast(
                    mission=raw["mission"].strip(),
                    agency=raw["agency"].strip(),
                    classes=tuple(c.strip() for c in raw["classes"].split(";") if c.strip()),
                    announced_on=_middle(raw["announced_on"]),
                    announced_launch=_end(raw["announced_launch"]),
                    launched_on=_middle(launched) if launched else None,
                    announcement_source=raw["announcement_source"].strip(),
                    launch_source=raw["launch_source"].strip(),
                    note=raw["note"].strip(),
                    line=line,
                )
            )
    return tuple(rows)


@dataclass(frozen=True)
class SlipClass:
    """The slip ratios of one class and their Kaplan-Meier distribution."""

    name: str
    description: str
    forecasts: tuple[Forecast, ...]  # the usable ones (horizon >= MIN_HORIZON_DAYS)
    excluded: int  # rows of the class left out for a short horizon

    @property
    def n(self) -> int:
        return len(self.forecasts)

    @property
    def n_censored(self) -> int:
        return sum(f.censored for f in self.forecasts)

    @functools.cached_property
    def _km(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Kaplan-Meier atoms (ratios with a launch, their probabilities) and the mass left over.

        The left-over mass is the estimated probability of slipping beyond the largest censored
        ratio, which the data cannot place; `support` puts it at that ratio (a lower bound).
        """
        ratios = np.array([f.ratio for f in self.forecasts])
        events = np.array([not f.censored for f in self.forecasts])
        # At a tie an event comes before a censoring: the censored row was still at risk then.
        order = np.lexsort((~events, ratios))
        ratios, events = ratios[order], events[order]
        at_risk = len(ratios)
        surv = 1.0
        values: list[float] = []
        probs: list[float] = []
        for i in range(len(ratios)):
            if events[i]:
                mass = surv / at_risk
                values.append(float(ratios[i]))
                probs.append(mass)
                surv -= mass
            at_risk -= 1
        return np.array(values), np.array(probs), max(surv, 0.0)

    @property
    def tail_mass(self) -> float:
        """Probability the estimate cannot place: slips beyond every observed launch."""
        return self._km[2]

    @property
    def tail_at(self) -> float:
        """Where `support` puts the tail mass: the largest censored lower bound."""
        censored = [f.ratio for f in self.forecasts if f.censored]
        return max(censored) if censored else math.nan

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """Ratios and probabilities (summing to 1), the tail mass placed at `tail_at`.

        Placing it there rather than beyond understates the slips still under way: the draws are
        as late as the data show and no later.
        """
        values, probs, tail = self._km
        if tail > 1e-12:
            values = np.append(values, self.tail_at)
            probs = np.append(probs, tail)
        order = np.argsort(values, kind="stable")
        return values[order], probs[order]

    def quantile(self, q: float) -> tuple[float, bool]:
        """The q-quantile of the ratio and whether it is only a lower bound (in the tail mass)."""
        values, probs, _ = self._km
        cum = np.cumsum(probs)
        idx = int(np.searchsorted(cum, q - 1e-12, side="left"))
        if idx < values.size:
            return float(values[idx]), False
        return self.tail_at, True


def _classes_of(rows: tuple[Forecast, ...]) -> dict[str, SlipClass]:
    out: dict[str, SlipClass] = {}
    for name, description in CLASSES.items():
        members = [f for f in rows if name == ALL or name in f.classes]
        usable = tuple(f for f in members if f.horizon_days >= MIN_HORIZON_DAYS)
        out[name] = SlipClass(name, description, usable, len(members) - len(usable))
    return out


@functools.lru_cache(maxsize=1)
def reference_classes() -> dict[str, SlipClass]:
    """Every class of the bundled dataset, by name."""
    return _classes_of(read_forecasts())


def slip_class(name: str) -> SlipClass:
    """The named class; ValueError with a did-you-mean for an unknown or too small one."""
    classes = reference_classes()
    if name not in classes:
        close = did_you_mean(name, list(classes))
        hint = f"{close} " if close else ""
        raise ValueError(
            f"unknown reference class {name!r} ({hint}usable classes: {', '.join(usable_classes())}; "
            "`lunarsim reference` lists them)"
        )
    found = classes[name]
    if found.n < MIN_FORECASTS:
        raise ValueError(
            f"reference class {name!r} has {found.n} usable forecasts (need {MIN_FORECASTS}); "
            "choose a broader class such as 'lunar-landers' or 'all'"
        )
    return found


def usable_classes() -> list[str]:
    """Names of the classes with enough forecasts to draw from."""
    return [c.name for c in reference_classes().values() if c.n >= MIN_FORECASTS]


def reference_table() -> list[dict[str, object]]:
    """One row per class: counts and P10/P50/P90 of the slip ratio (None where too few)."""
    table: list[dict[str, object]] = []
    for cls in reference_classes().values():
        row: dict[str, object] = {
            "class": cls.name,
            "description": cls.description,
            "forecasts": cls.n,
            "censored": cls.n_censored,
            "excluded_short": cls.excluded,
            "missions": len({f.mission for f in cls.forecasts}),
            "tail_mass": round(cls.tail_mass, 3),
        }
        for q in (0.1, 0.5, 0.9):
            key = f"p{round(q * 100)}"
            if cls.n >= MIN_FORECASTS:
                value, lower = cls.quantile(q)
                row[key] = {"ratio": round(value, 2), "at_least": lower}
            else:
                row[key] = None
        table.append(row)
    return table
