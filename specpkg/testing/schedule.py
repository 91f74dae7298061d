"""When testing must start to meet the implementation date (TR-3, IMP-1, finding F-17).

The phases of the test plan run one after another (the critical path), counted in
Working Days. :func:`latest_start` is the last day testing can start and still end
the Working Day before an implementation date; :func:`deadlines` gives it for both
dates of IMP-1. The specification does not say how long before the implementation
date testing must end (finding F-17): this is the latest possible start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from specpkg.testing import implementation, workdays


@dataclass(frozen=True)
class Deadline:
    """The latest start of testing that finishes the day before an implementation date."""

    rule: str
    implementation: date
    latest_start: date


def latest_start(implementation_date: date, working_days: int) -> date:
    """The latest day testing of ``working_days`` Working Days (its phases one after
    another: the critical path) can start and end before ``implementation_date``."""
    last = workdays.add_working_days(implementation_date, -1)
    return workdays.add_working_days(last, -(working_days - 1))


def deadlines(working_days: int) -> list[Deadline]:
    """The two IMP-1 implementation dates and the latest test start for each (IMP-1, TR-3)."""
    rules = [implementation.implementation_date(implementation.FIRST_DECISION_DEADLINE),
             implementation.implementation_date(implementation.SECOND_DECISION_DEADLINE)]
    return [Deadline(r.rule.value, r.date, latest_start(r.date, working_days))
            for r in rules if r.date is not None]
