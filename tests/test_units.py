"""Unit parsing as tables: each accepted spelling with its value, each refusal with its message."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from sim.scenario.units import (
    DAYS_PER_MONTH,
    DAYS_PER_WEEK,
    DAYS_PER_YEAR,
    add_years,
    format_days,
    parse_date,
    parse_duration,
    parse_number,
)

GOOD_DURATIONS: list[tuple[object, float]] = [
    (0, 0.0),
    (0.0, 0.0),
    ("0", 0.0),
    ("0d", 0.0),
    ("90d", 90.0),
    ("90 d", 90.0),
    ("90 days", 90.0),
    ("1 day", 1.0),
    ("90D", 90.0),
    ("  90 Days  ", 90.0),
    ("6w", 42.0),
    ("6 weeks", 42.0),
    ("1 week", 7.0),
    ("18 months", 18 * 30.4375),
    ("1 month", 30.4375),
    ("18mo", 18 * 30.4375),
    ("12 months", 365.25),
    ("2.5y", 2.5 * 365.25),
    ("2.5 yr", 2.5 * 365.25),
    ("3 years", 3 * 365.25),
    ("1 year", 365.25),
    ("3Y", 3 * 365.25),
]

_UNIT_HINT = "write e.g. 90d, 6w, 18 months or 2.5y"
BAD_DURATIONS: list[tuple[object, str]] = [
    (90, "90 needs a unit, e.g. 90d, 90w, 90 months or 90y"),
    ("90", "90 needs a unit, e.g. 90d, 90w, 90 months or 90y"),
    (2.5, "2.5 needs a unit, e.g. 2.5d, 2.5w, 2.5 months or 2.5y"),
    ("1", "1 needs a unit, e.g. 1d, 1w, 1 month or 1y"),
    ("-3y", "'-3y' is negative; durations must be >= 0"),
    ("- 2 days", "'- 2 days' is negative; durations must be >= 0"),
    (-5, "-5 is negative; durations must be >= 0"),
    (True, f"true is not a duration; {_UNIT_HINT}"),
    (False, f"false is not a duration; {_UNIT_HINT}"),
    ("abc", f"'abc' is not a duration; {_UNIT_HINT}"),
    ("3 parsecs", f"'3 parsecs' is not a duration; {_UNIT_HINT}"),
    ("y", f"'y' is not a duration; {_UNIT_HINT}"),
    ("", f"'' is not a duration; {_UNIT_HINT}"),
    (".5y", f"'.5y' is not a duration; {_UNIT_HINT}"),
    (None, f"an empty value is not a duration; {_UNIT_HINT}"),
    ({"d": 3}, f"a mapping is not a duration; {_UNIT_HINT}"),
    (["3d"], f"a list is not a duration; {_UNIT_HINT}"),
    (float("nan"), f"nan is not a duration; {_UNIT_HINT}"),
    (float("inf"), f"inf is not a duration; {_UNIT_HINT}"),
    ("18m", "'18m' is ambiguous; write 18mo or 18 months"),
]


def test_unit_constants() -> None:
    assert (DAYS_PER_WEEK, DAYS_PER_MONTH, DAYS_PER_YEAR) == (7.0, 30.4375, 365.25)
    assert 12 * DAYS_PER_MONTH == DAYS_PER_YEAR


@pytest.mark.parametrize(("text", "days"), GOOD_DURATIONS)
def test_parse_duration_accepts(text: object, days: float) -> None:
    assert parse_duration(text) == days


@pytest.mark.parametrize(("value", "message"), BAD_DURATIONS)
def test_parse_duration_refuses(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_duration(value)


@pytest.mark.parametrize(
    ("value", "number"),
    [(1, 1.0), (1.25, 1.25), (0, 0.0), (-2, -2.0), ("1.5", 1.5), (" 2 ", 2.0), ("1e3", 1000.0)],
)
def test_parse_number_accepts(value: object, number: float) -> None:
    assert parse_number(value) == number


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x", "expected a number, got 'x'"),
        ("1.5y", "expected a number, got '1.5y'"),
        (True, "expected a number, got true"),
        (None, "expected a number, got an empty value"),
        ([1], "expected a number, got a list"),
        (float("nan"), "expected a finite number, got nan"),
        ("inf", "expected a finite number, got 'inf'"),
    ],
)
def test_parse_number_refuses(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_number(value)


@pytest.mark.parametrize(
    ("value", "date"),
    [
        ("2022-04-21", dt.date(2022, 4, 21)),
        ("2022-04", dt.date(2022, 4, 1)),
        ("2022", dt.date(2022, 1, 1)),
        (2022, dt.date(2022, 1, 1)),
        (" 2030-12-31 ", dt.date(2030, 12, 31)),
        (dt.date(2024, 2, 29), dt.date(2024, 2, 29)),
        (dt.datetime(2024, 2, 29, 13, 5), dt.date(2024, 2, 29)),
    ],
)
def test_parse_date_accepts(value: object, date: dt.date) -> None:
    assert parse_date(value) == date


_DATE_HINT = "write YYYY-MM-DD, YYYY-MM or YYYY"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2022-13", f"'2022-13' is not a date; {_DATE_HINT}"),
        ("2023-02-29", f"'2023-02-29' is not a date; {_DATE_HINT}"),
        ("2022-4-1", f"'2022-4-1' is not a date; {_DATE_HINT}"),
        ("21/04/2022", f"'21/04/2022' is not a date; {_DATE_HINT}"),
        ("0000", f"'0000' is not a date; {_DATE_HINT}"),
        (0, f"0 is not a date; {_DATE_HINT}"),
        (True, f"true is not a date; {_DATE_HINT}"),
        (2022.5, f"2022.5 is not a date; {_DATE_HINT}"),
        (None, f"an empty value is not a date; {_DATE_HINT}"),
    ],
)
def test_parse_date_refuses(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_date(value)


@pytest.mark.parametrize(
    ("start", "years", "end"),
    [
        (dt.date(2022, 4, 21), 3, dt.date(2025, 4, 21)),
        (dt.date(2024, 2, 29), 1, dt.date(2025, 2, 28)),
        (dt.date(2024, 2, 29), 4, dt.date(2028, 2, 29)),
        (dt.date(2024, 2, 29), -1, dt.date(2023, 2, 28)),
        (dt.date(2022, 12, 31), 0, dt.date(2022, 12, 31)),
    ],
)
def test_add_years(start: dt.date, years: int, end: dt.date) -> None:
    assert add_years(start, years) == end


@pytest.mark.parametrize(
    ("days", "text"),
    [
        (0.0, "0"),
        (365.25, "1y"),
        (3 * 365.25, "3y"),
        (12 * 30.4375, "1y"),
        (18 * 30.4375, "18 months"),
        (2.5 * 365.25, "30 months"),
        (100.0, "3.3 months"),
        (60.0, "2 months"),
        (59.9, "59.9d"),
        (45.0, "45d"),
        (45.66, "45.7d"),
        (-365.25, "-1y"),
    ],
)
def test_format_days(days: float, text: str) -> None:
    assert format_days(days) == text


@pytest.mark.parametrize("days", [0.0, 45.0, 90.0, 365.25, 547.875, 1095.75, 1000.0, 20.25])
def test_format_days_round_trips_within_its_rounding(days: float) -> None:
    # Months print with one decimal, so a round trip is good to half a tenth of a month.
    assert parse_duration(format_days(days)) == pytest.approx(days, abs=0.05 * DAYS_PER_MONTH)
