"""The recommended implementation date of SECMP0002 (IMP-1).

Section 4 of the Solution Design Specification gives exactly two dates:

* 27 June 2019, if the decision to approve is made by (on or before) 27 May 2018;
* 7 November 2019, if the decision to approve is made after 27 May 2018 but on
  or before 7 October 2018.

For an approval after 7 October 2018 the specification recommends no date.
:func:`implementation_date` then says so plainly (``date`` is ``None``) instead
of guessing a later release.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

import pandas as pd

from specpkg.errors import ValidationError

FIRST_DECISION_DEADLINE = date(2018, 5, 27)
FIRST_IMPLEMENTATION_DATE = date(2019, 6, 27)
SECOND_DECISION_DEADLINE = date(2018, 10, 7)
SECOND_IMPLEMENTATION_DATE = date(2019, 11, 7)
NOT_SPECIFIED_TEXT = "not specified"


class DateRule(StrEnum):
    """Which branch of the IMP-1 rule an approval date falls under."""

    JUNE_2019 = "approved on or before 27 May 2018"
    NOVEMBER_2019 = "approved after 27 May 2018 and on or before 7 October 2018"
    NOT_SPECIFIED = "approved after 7 October 2018"


@dataclass(frozen=True)
class ImplementationDate:
    """The outcome of the IMP-1 rule for one approval date.

    ``date`` is ``None`` when the specification recommends no date; ``reason``
    always says in words why the result is what it is.
    """

    approval: date
    date: date | None
    rule: DateRule
    reason: str

    @property
    def specified(self) -> bool:
        """True when the specification gives a date for this approval (IMP-1)."""
        return self.date is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "approval": self.approval.isoformat(),
            "implementation_date": self.date.isoformat() if self.date else None,
            "rule": self.rule.value,
            "reason": self.reason,
        }


def parse_date(field: str, value: Any) -> date:
    """A calendar date from a ``date`` or an ISO ``YYYY-MM-DD`` string; else ValidationError."""
    if isinstance(value, datetime):
        raise ValidationError(field, f"give a calendar date, not a date-time: {value!r}")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError(field, f"not a date (expected YYYY-MM-DD): {value!r}")


def _day(value: date) -> str:
    """``27 May 2018``: a date as the specification writes it."""
    return f"{value.day} {value:%B %Y}"


def implementation_date(approval: date | str) -> ImplementationDate:
    """Apply the IMP-1 rule to the date of the decision to approve SECMP0002; the reason
    names the deadline and the date from the rule's own constants."""
    day = parse_date("approval", approval)
    if day <= FIRST_DECISION_DEADLINE:
        return ImplementationDate(
            day, FIRST_IMPLEMENTATION_DATE, DateRule.JUNE_2019,
            f"decision to approve made by {_day(FIRST_DECISION_DEADLINE)}: implement on "
            f"{_day(FIRST_IMPLEMENTATION_DATE)}",
        )
    if day <= SECOND_DECISION_DEADLINE:
        return ImplementationDate(
            day, SECOND_IMPLEMENTATION_DATE, DateRule.NOVEMBER_2019,
            f"decision to approve made after {_day(FIRST_DECISION_DEADLINE)} but on or before "
            f"{_day(SECOND_DECISION_DEADLINE)}: implement on "
            f"{_day(SECOND_IMPLEMENTATION_DATE)}",
        )
    return ImplementationDate(
        day, None, DateRule.NOT_SPECIFIED,
        f"decision to approve made after {_day(SECOND_DECISION_DEADLINE)}: the specification "
        "recommends no implementation date for this case; a new date must be decided",
    )


def implementation_table(approvals: Iterable[date | str]) -> pd.DataFrame:
    """One row per approval date: the IMP-1 outcome, in the order given.

    Where the specification gives no date the column says ``not specified``.
    """
    rows = []
    for approval in approvals:
        row = implementation_date(approval).as_dict()
        row["implementation_date"] = row["implementation_date"] or NOT_SPECIFIED_TEXT
        rows.append(row)
    columns = ["approval", "implementation_date", "rule", "reason"]
    return pd.DataFrame(rows, columns=columns)


def boundary_dates() -> list[date]:
    """The approval dates on both sides of each IMP-1 deadline."""
    one = timedelta(days=1)
    return [
        FIRST_DECISION_DEADLINE - one, FIRST_DECISION_DEADLINE, FIRST_DECISION_DEADLINE + one,
        SECOND_DECISION_DEADLINE - one, SECOND_DECISION_DEADLINE, SECOND_DECISION_DEADLINE + one,
    ]
