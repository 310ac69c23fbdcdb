"""Reference classes: how announced launch dates of lunar and planetary missions actually slipped.

The data are the sourced rows of `sim/data/reference-classes.csv`. Each row is one announced
launch date (a forecast): when it was announced, the date announced, and the actual launch (empty
while the mission has not flown). Its slip ratio is

    (actual launch - announcement date) / (announced launch - announcement date),

1 for a launch exactly on the announced date, 2 for a launch taking twice the announced time. A
mission that has not flown by `DATA_AS_OF` is right-censored: its ratio is only known to exceed
(DATA_AS_OF - announcement date) / (announced launch - announcement date). A class's distribution
of ratios is the Kaplan-Meier estimate, which counts a censored row as "at least this late" rather
than dropping it or calling it on time. The fitted slip model over the same rows (partial pooling,
interval-coded dates, lead time) is `sim.scenario.slipfit`.

A date is written to the precision its source gives: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, or a range
`START/END` of those ("2026/2027", "2027-05/2027-08" for "mid-2027"). The Kaplan-Meier estimate
uses each period's middle day; the fitted model uses the whole period (`Forecast.ratio_bounds`).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import math
from collections.abc import Callable
from contextvars import ContextVar
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


class ReferenceDataError(ValueError):
    """A bad row of a reference-data CSV: `path:line: column: what is wrong`."""

    def __init__(self, file: Path, line: int, column: str, why: str) -> None:
        self.file, self.line, self.column, self.why = file, line, column, why
        super().__init__(f"{file}:{line}: {column}: {why}")

CLASSES: dict[str, str] = {
    ALL: "every forecast in the dataset",
    "russian-lunar": "Roscosmos/Lavochkin lunar missions (Luna-25 to Luna-29, lunar power plant)",
    "russian-space": (
        "Roscosmos lunar and planetary missions (the Luna missions, Phobos-Grunt, ExoMars's lander)"
    ),
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
    # The periods the dates stand for, (first day, last day); None means the exact day above.
    announced_on_period: tuple[dt.date, dt.date] | None = None
    announced_launch_period: tuple[dt.date, dt.date] | None = None
    launched_on_period: tuple[dt.date, dt.date] | None = None

    @property
    def ratio_bounds(self) -> tuple[float, float]:
        """The slip ratio's range allowed by the dates' precision; (lower bound, inf) if censored.

        Each date is any instant of its period (a day is [day, day + 1)); the ratio is monotone in
        each date, so its extremes lie at the periods' corners.
        """
        return self._ratio_bounds

    @functools.cached_property
    def _ratio_bounds(self) -> tuple[float, float]:
        one = dt.timedelta(days=1)

        def span(period: tuple[dt.date, dt.date] | None, day: dt.date) -> tuple[dt.date, dt.date]:
            first, last = period if period is not None else (day, day)
            return first, last + one

        a_s = span(self.announced_on_period, self.announced_on)
        p_s = span(self.announced_launch_period, self.announced_launch)
        # A period opening sooner than MIN_HORIZON_DAYS after the announcement ("in 2020", said in
        # April 2020) is read from that horizon on: the classes hold development schedules, and a
        # promise of "tomorrow" would make the ratio unbounded.
        soonest = a_s[1] + dt.timedelta(days=MIN_HORIZON_DAYS)
        if p_s[1] > soonest:
            p_s = (max(p_s[0], soonest), p_s[1])
        if self.launched_on is None:
            l_s = (DATA_AS_OF + one, DATA_AS_OF + one)
        else:
            l_s = span(self.launched_on_period, self.launched_on)
        corners = [(lt - at).days / (pt - at).days for at in a_s for pt in p_s for lt in l_s]
        return min(corners), (math.inf if self.launched_on is None else max(corners))

    @property
    def shortest_horizon_days(self) -> int:
        """Days from the latest possible announcement to the earliest possible announced launch."""
        a_last = self.announced_on_period[1] if self.announced_on_period else self.announced_on
        p_first = self.announced_launch_period[0] if self.announced_launch_period else self.announced_launch
        return (p_first - a_last).days

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
    """First and last day of `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or a range `START/END` of those."""
    if "/" in text:
        start, _, end = text.partition("/")
        first, last = _period(start)[0], _period(end)[1]
        if last < first:
            raise ValueError(f"{text.strip()!r} ends before it starts")
        return first, last
    try:
        parts = [int(p) for p in text.strip().split("-")]
    except ValueError:
        parts = []
    if len(parts) == 3:
        day = dt.date(*parts)
        return day, day
    if len(parts) == 2:
        first = dt.date(parts[0], parts[1], 1)
        nxt = dt.date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
        return first, nxt - dt.timedelta(days=1)
    if len(parts) == 1:
        return dt.date(parts[0], 1, 1), dt.date(parts[0], 12, 31)
    raise ValueError(f"{text.strip()!r} is not YYYY, YYYY-MM, YYYY-MM-DD or a range START/END of those")


def period_text(day: dt.date, period: tuple[dt.date, dt.date] | None) -> str:
    """A date as its source gave it: `2023-08-10`, `2022-07`, `2028` or a range `2026/2027`."""
    if period is None:
        return day.isoformat()
    first, last = period
    if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31):
        a, b = str(first.year), str(last.year)
    elif first.day == 1 and (last + dt.timedelta(days=1)).day == 1:
        a, b = f"{first.year}-{first.month:02d}", f"{last.year}-{last.month:02d}"
    else:
        a, b = first.isoformat(), last.isoformat()
    return a if a == b else f"{a}/{b}"


def _middle(period: tuple[dt.date, dt.date]) -> dt.date:
    first, last = period
    return first + (last - first) // 2


def dataset_path() -> Path:
    """Where the bundled CSV lives."""
    return Path(str(resources.files("sim") / "data" / "reference-classes.csv"))


COLUMNS = (
    "mission",
    "agency",
    "classes",
    "announced_on",
    "announced_launch",
    "launched_on",
    "announcement_source",
    "launch_source",
    "note",
)


def read_forecasts(path: Path | None = None, *, extra_classes: bool = False) -> tuple[Forecast, ...]:
    """Every row of a reference-data CSV (the bundled one by default), dates resolved.

    A date known to a month, a year or a range stands for the middle day of that period here (the
    Kaplan-Meier estimate needs one day); the period itself is kept for the fitted model. A bad
    row raises ReferenceDataError naming the file, the line and the column. `extra_classes`
    allows class names beyond the bundled ones (a user's own classes).
    """
    source = path if path is not None else dataset_path()
    rows: list[Forecast] = []
    with source.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise ReferenceDataError(
                source, 1, ", ".join(missing), f"missing (the columns are {', '.join(COLUMNS)})"
            )
        for raw in reader:
            rows.append(_forecast_of(raw, source, reader.line_num, extra_classes))
    return tuple(rows)


_Bad = Callable[[str, str], ReferenceDataError]  # the row's error for a column, and why


def _periods(raw: dict[str, str], bad: _Bad) -> dict[str, tuple[dt.date, dt.date] | None]:
    """The row's three dates as periods (first and last day), None where empty."""
    periods: dict[str, tuple[dt.date, dt.date] | None] = {}
    for column in ("announced_on", "announced_launch", "launched_on"):
        text = raw[column].strip()
        if not text:
            periods[column] = None
            continue
        try:
            periods[column] = _period(text)
        except ValueError as exc:
            raise bad(column, str(exc)) from None
    return periods


def _classes(raw: dict[str, str], bad: _Bad, extra_classes: bool) -> tuple[str, ...]:
    """The row's classes, each a known one (unless `extra_classes`) and none the class of all."""
    classes = tuple(c.strip() for c in raw["classes"].split(";") if c.strip())
    unknown = [c for c in classes if c not in CLASSES]
    if unknown and not extra_classes:
        close = did_you_mean(unknown[0], list(CLASSES))
        raise bad("classes", f"unknown class {unknown[0]!r}{f' ({close})' if close else ''}")
    if ALL in classes:
        raise bad("classes", f"{ALL!r} holds every row already; name narrower classes")
    return classes


def _check_sources(raw: dict[str, str], bad: _Bad) -> None:
    for column in ("announcement_source", "launch_source"):
        text = raw[column].strip()
        if text and (not text.startswith(("https://", "http://")) or " " in text):
            raise bad(column, f"{text[:60]!r} is not a web address (https://...)")


def _check_flown(
    raw: dict[str, str], bad: _Bad, on: tuple[dt.date, dt.date], flown: tuple[dt.date, dt.date]
) -> None:
    """A launch is sourced, after its announcement and not after the data date."""
    if not raw["launch_source"].strip():
        raise bad("launch_source", "is empty although launched_on is given")
    if flown[0] <= on[1]:
        raise bad("launched_on", "must be after announced_on")
    if flown[0] > DATA_AS_OF:
        raise bad("launched_on", f"is after the data date {DATA_AS_OF}; leave it empty while waiting")


def _forecast_of(raw: dict[str, str], source: Path, line: int, extra_classes: bool) -> Forecast:
    def bad(column: str, why: str) -> ReferenceDataError:
        return ReferenceDataError(source, line, column, why)

    if None in raw or any(raw.get(c) is None for c in COLUMNS):
        raise bad("(row)", f"expected {len(COLUMNS)} comma-separated values ({', '.join(COLUMNS)})")
    for column in ("mission", "agency", "classes", "announced_on", "announced_launch", "announcement_source"):
        if not raw[column].strip():
            raise bad(column, "is empty")
    periods = _periods(raw, bad)
    classes = _classes(raw, bad, extra_classes)
    _check_sources(raw, bad)
    on, launch, flown = periods["announced_on"], periods["announced_launch"], periods["launched_on"]
    assert on is not None and launch is not None
    if launch[1] <= on[1]:
        raise bad("announced_launch", "must end after announced_on (a forecast names a later date)")
    # "In 2020", said in April 2020, means the rest of 2020: the period starts after the announcement.
    launch = (max(launch[0], on[1] + dt.timedelta(days=1)), launch[1])
    if on[0] > DATA_AS_OF:
        raise bad("announced_on", f"is after the data date {DATA_AS_OF}")
    if flown is not None:
        _check_flown(raw, bad, on, flown)

    def keep(period: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date] | None:
        return None if period[0] == period[1] else period

    return Forecast(
        mission=raw["mission"].strip(),
        agency=raw["agency"].strip(),
        classes=classes,
        announced_on=_middle(on),
        announced_launch=_middle(launch),
        launched_on=_middle(flown) if flown is not None else None,
        announcement_source=raw["announcement_source"].strip(),
        launch_source=raw["launch_source"].strip(),
        note=raw["note"].strip(),
        line=line,
        announced_on_period=keep(on),
        announced_launch_period=keep(launch),
        launched_on_period=keep(flown) if flown is not None else None,
    )


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
        # Launches with the same ratio are one atom (the draws cannot tell them apart).
        merged, inverse = np.unique(values, return_inverse=True)
        return merged, np.bincount(inverse, weights=probs, minlength=merged.size)

    def quantile(self, q: float) -> tuple[float, bool]:
        """The q-quantile of the ratio and whether it is only a lower bound (in the tail mass)."""
        values, probs, _ = self._km
        cum = np.cumsum(probs)
        idx = int(np.searchsorted(cum, q - 1e-12, side="left"))
        if idx < values.size:
            return float(values[idx]), False
        return self.tail_at, True


# Rows a scenario's `reference_data` file adds to the bundled record while that scenario is read
# (set by the loader; the reference forms parsed meanwhile keep them).
EXTRA_ROWS: ContextVar[tuple[Forecast, ...]] = ContextVar("reference_extra_rows", default=())


def _classes_of(rows: tuple[Forecast, ...]) -> dict[str, SlipClass]:
    own = {c: "a class of the scenario's own reference data" for f in rows for c in f.classes}
    out: dict[str, SlipClass] = {}
    for name, description in {**CLASSES, **{k: v for k, v in own.items() if k not in CLASSES}}.items():
        members = [f for f in rows if name == ALL or name in f.classes]
        usable = tuple(f for f in members if f.horizon_days >= MIN_HORIZON_DAYS)
        out[name] = SlipClass(name, description, usable, len(members) - len(usable))
    return out


@functools.lru_cache(maxsize=1)
def bundled_forecasts() -> tuple[Forecast, ...]:
    """The bundled dataset's rows, read once."""
    return read_forecasts()


@functools.lru_cache(maxsize=1)
def reference_classes() -> dict[str, SlipClass]:
    """Every class of the bundled dataset, by name."""
    return _classes_of(bundled_forecasts())


@functools.lru_cache(maxsize=8)
def record_classes(extra: tuple[Forecast, ...]) -> dict[str, SlipClass]:
    """Every class of the bundled dataset plus `extra` rows (a scenario's own data), by name."""
    return reference_classes() if not extra else _classes_of(bundled_forecasts() + extra)


def slip_class(name: str, extra: tuple[Forecast, ...] = ()) -> SlipClass:
    """The named class; ValueError with a did-you-mean for an unknown or too small one."""
    classes = record_classes(extra)
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
