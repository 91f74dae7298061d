"""England and Wales Working Days (TR-3 timetable, TR-4 window)."""

from __future__ import annotations

from datetime import date

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from specpkg.errors import ValidationError
from specpkg.testing.workdays import (
    add_working_days,
    bank_holidays,
    count_working_days,
    is_working_day,
    next_working_day,
    window_end,
)


def test_england_and_wales_share_one_list_of_bank_holidays():
    for year in range(2017, 2031):
        england = holidays.UnitedKingdom(subdiv="ENG", years=year)
        wales = holidays.UnitedKingdom(subdiv="WLS", years=year)
        assert dict(england) == dict(wales)


def test_scottish_only_holidays_are_not_excluded():
    # 2 January and St Andrew's Day are Scottish bank holidays, not English and Welsh ones.
    assert is_working_day(date(2019, 1, 2))
    assert date(2019, 1, 2) in holidays.UnitedKingdom(subdiv="SCT", years=2019)


@pytest.mark.parametrize(
    "day",
    [
        date(2019, 4, 19),  # Good Friday
        date(2019, 4, 22),  # Easter Monday
        date(2019, 5, 6),  # Early May bank holiday
        date(2019, 12, 25),  # Christmas Day
        date(2019, 12, 26),  # Boxing Day
        date(2022, 9, 19),  # one-off: State Funeral
        date(2023, 5, 8),  # one-off: Coronation
        date(2022, 12, 27),  # substitute day for Christmas Day on a Sunday
        date(2019, 6, 29),  # Saturday
        date(2019, 6, 30),  # Sunday
    ],
)
def test_non_working_days(day):
    assert not is_working_day(day)


def test_bank_holidays_of_2019():
    assert list(bank_holidays(2019)) == [
        date(2019, 1, 1), date(2019, 4, 19), date(2019, 4, 22), date(2019, 5, 6),
        date(2019, 5, 27), date(2019, 8, 26), date(2019, 12, 25), date(2019, 12, 26),
    ]


def test_add_working_days_over_christmas():
    assert add_working_days(date(2019, 12, 23), 1) == date(2019, 12, 24)
    assert add_working_days(date(2019, 12, 24), 1) == date(2019, 12, 27)
    assert add_working_days(date(2019, 12, 27), -1) == date(2019, 12, 24)
    assert add_working_days(date(2019, 12, 25), 0) == date(2019, 12, 25)


def test_window_of_15_working_days_over_easter_2019():
    # 15 Working Days from Monday 15 April 2019 skip Good Friday, Easter Monday and 6 May.
    assert window_end(date(2019, 4, 15), 15) == date(2019, 5, 8)
    assert count_working_days(date(2019, 4, 15), date(2019, 5, 8)) == 15


def test_next_working_day():
    assert next_working_day(date(2019, 4, 19)) == date(2019, 4, 23)
    assert next_working_day(date(2019, 4, 23)) == date(2019, 4, 23)


def test_bad_input_is_refused():
    with pytest.raises(ValidationError):
        count_working_days(date(2019, 5, 2), date(2019, 5, 1))
    with pytest.raises(ValidationError):
        add_working_days(date(2019, 5, 1), 1.5)
    with pytest.raises(ValidationError):
        window_end(date(2019, 5, 1), 0)
    with pytest.raises(ValidationError):
        is_working_day("2019-05-01")


@given(st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31)),
       st.integers(min_value=0, max_value=60))
def test_add_and_count_agree(start, n):
    end = add_working_days(start, n)
    assert count_working_days(start, end) == n + is_working_day(start)
    if n:
        assert is_working_day(end)
    if is_working_day(start) or n == 0:
        assert add_working_days(end, -n) == start
    else:
        assert add_working_days(end, -n) < start


@given(st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31)),
       st.integers(min_value=1, max_value=60))
def test_window_holds_exactly_n_working_days(start, n):
    last = window_end(start, n)
    assert count_working_days(start, last) == n
    assert is_working_day(last)
