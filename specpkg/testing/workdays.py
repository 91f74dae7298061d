"""Working Days in England and Wales, for the test-environment window (TR-4) and timetable (TR-3).

The SEC counts time in Working Days: any day other than a Saturday, a Sunday,
Christmas Day, Good Friday or a bank holiday in England and Wales. The bank
holidays come from the ``holidays`` package (``holidays.UnitedKingdom`` with
subdivision ``"ENG"``), never from a hand-typed list. England and Wales share
one list of bank holidays; the package models Wales (``"WLS"``) with the same
rules as England, and ``tests/test_workdays.py`` checks that they agree.
Christmas Day and Good Friday are in that list too.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

from specpkg.errors import ValidationError

SUBDIVISION = "ENG"
ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=256)
def bank_holidays(year: int) -> dict[date, str]:
    """England and Wales bank holidays of one year (date -> name), from ``holidays``."""
    calendar = holidays.UnitedKingdom(subdiv=SUBDIVISION, years=year)
    return dict(sorted(calendar.items()))


def _day(field: str, value: date) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError(field, f"give a calendar date: {value!r}")
    return value


def is_working_day(day: date) -> bool:
    """True for Monday to Friday that is not an England and Wales bank holiday."""
    day = _day("day", day)
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def next_working_day(day: date) -> date:
    """``day`` itself if it is a Working Day, else the first Working Day after it."""
    day = _day("day", day)
    while not is_working_day(day):
        day += ONE_DAY
    return day


def add_working_days(start: date, count: int) -> date:
    """The date ``count`` Working Days after ``start`` (``start`` itself is not counted).

    ``count == 0`` gives ``start`` unchanged; a negative count goes backwards.
    """
    start = _day("start", start)
    if isinstance(count, bool) or not isinstance(count, int):
        raise ValidationError("count", f"must be a whole number of Working Days: {count!r}")
    step = ONE_DAY if count >= 0 else -ONE_DAY
    day, left = start, abs(count)
    while left:
        day += step
        if is_working_day(day):
            left -= 1
    return day


def count_working_days(first: date, last: date) -> int:
    """How many Working Days lie from ``first`` to ``last``, both included."""
    first, last = _day("first", first), _day("last", last)
    if last < first:
        raise ValidationError("last", f"{last} is before {first}")
    total = 0
    day = first
    while day <= last:
        total += is_working_day(day)
        day += ONE_DAY
    return total


def window_end(start: date, working_days: int) -> date:
    """Last day of a window of ``working_days`` Working Days opening on or after ``start``."""
    if isinstance(working_days, bool) or not isinstance(working_days, int) or working_days < 1:
        raise ValidationError("working_days", f"must be a whole number >= 1: {working_days!r}")
    return add_working_days(next_working_day(start), working_days - 1)
