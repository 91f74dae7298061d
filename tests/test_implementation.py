"""IMP-1: the recommended implementation date, boundaries tested on both sides."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specpkg.errors import ValidationError
from specpkg.testing.implementation import (
    DateRule,
    boundary_dates,
    implementation_date,
    implementation_table,
)

JUNE = date(2019, 6, 27)
NOVEMBER = date(2019, 11, 7)


@pytest.mark.parametrize(
    ("approval", "expected", "rule"),
    [
        (date(2017, 1, 1), JUNE, DateRule.JUNE_2019),
        (date(2018, 5, 26), JUNE, DateRule.JUNE_2019),
        (date(2018, 5, 27), JUNE, DateRule.JUNE_2019),
        (date(2018, 5, 28), NOVEMBER, DateRule.NOVEMBER_2019),
        (date(2018, 10, 6), NOVEMBER, DateRule.NOVEMBER_2019),
        (date(2018, 10, 7), NOVEMBER, DateRule.NOVEMBER_2019),
        (date(2018, 10, 8), None, DateRule.NOT_SPECIFIED),
        (date(2019, 6, 1), None, DateRule.NOT_SPECIFIED),
    ],
)
def test_imp1_rule_on_both_sides_of_each_deadline(approval, expected, rule):
    result = implementation_date(approval)
    assert result.approval == approval
    assert result.date == expected
    assert result.rule is rule
    assert result.specified is (expected is not None)
    # the reason says the rule in the specification's words, with its dates (IMP-1)
    assert result.reason.startswith("decision to approve made ")
    deadlines = {DateRule.JUNE_2019: ["by 27 May 2018"],
                 DateRule.NOVEMBER_2019: ["after 27 May 2018", "on or before 7 October 2018"],
                 DateRule.NOT_SPECIFIED: ["after 7 October 2018"]}[rule]
    for words in deadlines:
        assert words in result.reason, words
    if expected is not None:
        assert result.reason.endswith(f"implement on {expected.day} {expected:%B %Y}")
    else:  # F-75: the rule gives no date; the reason says so, and that one is needed
        assert result.reason.endswith(": the specification recommends no implementation "
                                      "date for this case; a new date must be decided")


def test_imp1_unspecified_case_says_so_plainly():
    result = implementation_date("2018-10-08")
    assert result.date is None
    assert "recommends no implementation date" in result.reason
    assert result.as_dict()["implementation_date"] is None


def test_imp1_accepts_iso_strings():
    assert implementation_date("2018-05-27").date == JUNE
    assert implementation_date(" 2018-10-07 ").date == NOVEMBER


@pytest.mark.parametrize("bad", ["27/05/2018", "", None, 20180527, datetime(2018, 5, 27, 12)])
def test_imp1_refuses_what_is_not_a_date(bad):
    with pytest.raises(ValidationError) as info:
        implementation_date(bad)
    assert info.value.field == "approval"


def test_imp1_table_over_boundary_dates():
    table = implementation_table(boundary_dates())
    assert list(table["approval"]) == [
        "2018-05-26", "2018-05-27", "2018-05-28", "2018-10-06", "2018-10-07", "2018-10-08",
    ]
    assert list(table["implementation_date"]) == [
        "2019-06-27", "2019-06-27", "2019-11-07", "2019-11-07", "2019-11-07", "not specified",
    ]


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)))
def test_imp1_is_monotone_and_always_after_approval(day):
    result = implementation_date(day)
    if result.date is not None:
        assert result.date > day
        later = implementation_date(date(2018, 10, 7))
        assert result.date <= later.date
    else:
        assert day > date(2018, 10, 7)


def test_f18_both_decision_dates_are_sundays() -> None:
    """F-18: the specification's decision deadlines fall on Sundays."""
    from specpkg.testing import implementation, workdays

    for deadline in (implementation.FIRST_DECISION_DEADLINE,
                     implementation.SECOND_DECISION_DEADLINE):
        assert deadline.strftime("%A") == "Sunday" and not workdays.is_working_day(deadline)


@pytest.mark.parametrize("approval", ["2018-05-27", "2018-10-07", "2018-10-08"])
def test_imp1_every_outcome_says_why_in_words(approval):
    """IMP-1: ``reason`` always explains the outcome; the table shows it beside the rule."""
    result = implementation_date(approval)
    assert isinstance(result.reason, str) and "decision to approve" in result.reason
    row = result.as_dict()
    assert row["rule"] == result.rule.value and row["reason"] == result.reason
    table = implementation_table([approval])
    assert list(table.columns) == ["approval", "implementation_date", "rule", "reason"]
    assert table.iloc[0]["rule"] == result.rule.value
    assert table.iloc[0]["reason"] == result.reason


def test_imp1_empty_table_still_has_its_columns():
    table = implementation_table([])
    assert list(table.columns) == ["approval", "implementation_date", "rule", "reason"]


@pytest.mark.parametrize("bad", ["27/05/2018", datetime(2018, 5, 27, 12)])
def test_imp1_refusal_says_what_was_wrong(bad):
    with pytest.raises(ValidationError) as info:
        implementation_date(bad)
    assert isinstance(info.value.reason, str) and repr(bad) in info.value.reason
