"""Units of time and the parsers that turn scenario text into days, plain numbers and dates."""

from __future__ import annotations

import datetime
import math
import numbers
import re

from sim.messages import show

DAYS_PER_WEEK = 7.0
DAYS_PER_MONTH = 30.4375  # 365.25 / 12: the mean Julian month, so that 12 months == 1y exactly
DAYS_PER_YEAR = 365.25

_UNIT_DAYS: dict[str, float] = {
    "d": 1.0,
    "day": 1.0,
    "days": 1.0,
    "w": DAYS_PER_WEEK,
    "wk": DAYS_PER_WEEK,
    "wks": DAYS_PER_WEEK,
    "week": DAYS_PER_WEEK,
    "weeks": DAYS_PER_WEEK,
    "mo": DAYS_PER_MONTH,
    "month": DAYS_PER_MONTH,
    "months": DAYS_PER_MONTH,
    "y": DAYS_PER_YEAR,
    "yr": DAYS_PER_YEAR,
    "yrs": DAYS_PER_YEAR,
    "year": DAYS_PER_YEAR,
    "years": DAYS_PER_YEAR,
}

# How a unit may be written (case-insensitive), each with its length in days.
UNIT_NAMES: tuple[str, ...] = tuple(_UNIT_DAYS)

# The unit spellings of `_UNIT_DAYS` (the JSON Schema is built from them), plus an optional sign so that a
# negative duration gets its own message instead of "not a duration".
_DURATION_RE = re.compile(r"([+-]?)\s*(\d+(?:\.\d+)?)\s*([a-z]*)", re.IGNORECASE)
_DATE_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _not_a_duration(value: object) -> ValueError:
    return ValueError(f"{show(value)} is not a duration; write e.g. 90d, 6w, 18 months or 2.5y")


def _needs_unit(text: str) -> ValueError:
    if text.startswith("-"):
        return _negative(text)
    months = "month" if float(text) == 1 else "months"
    return ValueError(f"{text} needs a unit, e.g. {text}d, {text}w, {text} {months} or {text}y")


def _negative(text: str) -> ValueError:
    return ValueError(f"{text} is negative; durations must be >= 0")


def _bare_zero(value: object) -> float:
    """A number written without a unit: only 0 means something (0 days whatever the unit)."""
    x = float(value)  # type: ignore[arg-type]
    if not math.isfinite(x):
        raise _not_a_duration(value)
    if x != 0.0:
        raise _needs_unit(show(value))
    return 0.0


def _parse_days_signed(value: object) -> float:
    """Like `parse_duration` but lets a negative value through, so callers can name the key."""
    if _is_real(value):
        return _bare_zero(value)
    if not isinstance(value, str):
        raise _not_a_duration(value)
    match = _DURATION_RE.fullmatch(value.strip())
    if match is None:
        raise _not_a_duration(value)
    sign, number, unit = match.groups()
    x = float(number)
    unit = unit.lower()
    if unit == "":
        if x != 0.0:
            raise _needs_unit(value.strip())
        return 0.0
    if unit == "m":
        amount = sign + number
        raise ValueError(f"{show(value)} is ambiguous; write {amount}mo or {amount} months")
    if unit not in _UNIT_DAYS:
        raise _not_a_duration(value)
    days = x * _UNIT_DAYS[unit]
    if not math.isfinite(days):
        raise _not_a_duration(value)
    return -days if sign == "-" else days


def parse_duration(value: object) -> float:
    """A fixed duration in days: `90d`, `90 days`, `6w`, `18 months`, `18mo`, `2.5y` or 0.

    Units are case-insensitive and may be separated by spaces. A bare number other than zero is
    refused because its unit would be a guess. Raises ValueError (one line) for a negative value,
    a missing or unknown unit, or anything that is not a duration.
    """
    days = _parse_days_signed(value)
    if days < 0:
        raise _negative(show(value))
    return days


def parse_number(value: object) -> float:
    """A unitless finite number (int, float or numeric string, never a bool); else ValueError."""
    if _is_real(value):
        x = float(value)  # type: ignore[arg-type]
    elif isinstance(value, str):
        try:
            x = float(value.strip())
        except ValueError:
            raise ValueError(f"expected a number, got {show(value)}") from None
    else:
        raise ValueError(f"expected a number, got {show(value)}")
    if not math.isfinite(x):
        raise ValueError(f"expected a finite number, got {show(value)}")
    return x


def parse_date(value: object) -> datetime.date:
    """A date from `2022-04-21`, `2022-04` (the 1st), `2022` or 2022 (1 January), or a date.

    Raises ValueError naming the accepted forms.
    """
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    parts: tuple[int, int, int] | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        parts = (value, 1, 1)
    elif isinstance(value, str):
        match = _DATE_RE.fullmatch(value.strip())
        if match is not None:
            year, month, day = match.groups()
            parts = (int(year), int(month or 1), int(day or 1))
    if parts is not None:
        try:
            return datetime.date(*parts)
        except (ValueError, OverflowError):
            pass
    raise ValueError(f"{show(value)} is not a date; write YYYY-MM-DD, YYYY-MM or YYYY")


DEFAULT_HORIZON_YEARS = 50


def default_horizon(start: datetime.date) -> datetime.date | None:
    """The horizon when a scenario gives none: 50 years after start; None if that is past 9999."""
    try:
        return add_years(start, DEFAULT_HORIZON_YEARS)
    except (ValueError, OverflowError):
        return None


def add_years(d: datetime.date, years: int) -> datetime.date:
    """The same calendar day `years` later (or earlier); 29 Feb becomes 28 Feb in common years."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def first_of_month_after(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month `months` calendar months after the month of `day`."""
    total = day.year * 12 + (day.month - 1) + months
    return datetime.date(total // 12, total % 12 + 1, 1)


def format_days(days: float) -> str:
    """A short human form of a duration for messages: `3y`, `18 months` or `45d`.

    Whole years print as years; from 60 days on, months with at most one decimal; below that,
    days with at most one decimal. Each form parses back with `parse_duration`.
    """
    if not math.isfinite(days):
        return str(days)
    if days == 0:
        return "0"
    years = days / DAYS_PER_YEAR
    if round(years) != 0 and abs(years - round(years)) <= 1e-9 * abs(years):
        return f"{round(years)}y"
    if abs(days) >= 60.0:
        return f"{round(days / DAYS_PER_MONTH, 1):.12g} months"
    return f"{round(days, 1):.12g}d"
