"""The test environment's availability and capacity (TR-4).

* available for at least 15 Working Days (:class:`AvailabilityWindow`), opening
  on the first Working Day on or after its start;
* capacity and cost assumptions as a table (:class:`CapacityAssumptions`, from
  ``data/testing/capacity_assumptions.csv``): the costs are based on up to 10
  Users, of whom at least two Large Suppliers. That is the cost basis, not an
  admission cap: more Users may test, and are shown as beyond the cost basis
  (:meth:`CapacityAssumptions.compare`). No price invented, the DCC fills them;
* Service Request mapping updates and testing issues management are voluntary
  (:class:`VoluntaryServices`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from specpkg.errors import ValidationError
from specpkg.testing import workdays
from specpkg.testing.roles import TESTING_DATA, _read_csv

MIN_WINDOW_WORKING_DAYS = 15


class EnvironmentClosed(ValidationError):
    """An action dated outside the environment's availability window (TR-4)."""


# --------------------------------------------------------------------------- window (TR-4)


@dataclass(frozen=True)
class AvailabilityWindow:
    """The environment's availability: ``working_days`` Working Days from ``start`` (TR-4).

    The window opens on the first Working Day on or after ``start``. Fewer than
    15 Working Days is refused.
    """

    start: date
    working_days: int = MIN_WINDOW_WORKING_DAYS

    def __post_init__(self) -> None:
        if isinstance(self.start, datetime) or not isinstance(self.start, date):
            raise ValidationError("start", f"give a calendar date: {self.start!r}")
        days = self.working_days
        if isinstance(days, bool) or not isinstance(days, int):
            raise ValidationError("working_days", f"must be a whole number: {days!r}")
        if days < MIN_WINDOW_WORKING_DAYS:
            raise ValidationError(
                "working_days",
                f"{days} Working Days is too short: the environment must be available for "
                f"at least {MIN_WINDOW_WORKING_DAYS} Working Days (TR-4)",
            )

    @property
    def first_day(self) -> date:
        return workdays.next_working_day(self.start)

    @property
    def last_day(self) -> date:
        return workdays.window_end(self.start, self.working_days)

    def is_open(self, day: date) -> bool:
        """True on a Working Day inside the window."""
        return self.first_day <= day <= self.last_day and workdays.is_working_day(day)


# --------------------------------------------------------------------------- capacity (TR-4)


@dataclass(frozen=True)
class CostInput:
    """A cost the DCC must provide; ``value`` (whole pounds) stays ``None`` until it does."""

    parameter: str
    unit: str
    value: int | None
    source: str
    note: str


@dataclass(frozen=True)
class CapacityAssumptions:
    """Capacity and cost assumptions of the Testing Service (TR-4).

    Read from ``data/testing/capacity_assumptions.csv``. ``costed_users``: the set
    number of Users the costs are based on (up to 10), of whom at least
    ``min_large_suppliers`` Large Suppliers; an assumption to compare the Users
    with, not a limit on them. No price is invented: every cost row is blank
    until the DCC fills it.
    """

    costed_users: int
    min_large_suppliers: int
    min_window_working_days: int
    costs: tuple[CostInput, ...]

    def __post_init__(self) -> None:
        if not 1 <= self.costed_users <= 10:
            raise ValidationError("costed_users",
                                  f"TR-4 bases costs on up to 10 Users: {self.costed_users}")
        if self.min_large_suppliers < 2:
            raise ValidationError(
                "min_large_suppliers", f"TR-4 notes at least two: {self.min_large_suppliers}"
            )
        if self.min_large_suppliers > self.costed_users:
            raise ValidationError("min_large_suppliers", "more Large Suppliers than Users")
        if self.min_window_working_days < MIN_WINDOW_WORKING_DAYS:
            raise ValidationError(
                "min_window_working_days", f"TR-4 requires at least {MIN_WINDOW_WORKING_DAYS}"
            )

    def compare(self, users: int, large_suppliers: int) -> CostBasis:
        """How the Users admitted compare with the cost basis (TR-4)."""
        return CostBasis(users, large_suppliers, self.costed_users, self.min_large_suppliers)

    def to_frame(self) -> pd.DataFrame:
        """The assumptions and costs in words (TR-4): what each is, its value and unit."""
        rows = [
            {"assumption": "Users the testing costs are based on (not a cap)",
             "kind": "cost basis", "value": f"{self.costed_users:,}", "unit": "Users"},
            {"assumption": "Large Suppliers that may test, at least", "kind": "cost basis",
             "value": f"{self.min_large_suppliers:,}", "unit": "Large Suppliers"},
            {"assumption": "the environment's shortest window", "kind": "capacity",
             "value": f"{self.min_window_working_days:,}", "unit": "Working Days"},
        ] + [
            {"assumption": c.note.removeprefix("to be provided by the DCC: "), "kind": "cost",
             "value": "to be provided by the DCC" if c.value is None else f"{c.value:,}",
             "unit": "pounds" if c.unit == "GBP" else c.unit}
            for c in self.costs
        ]
        return pd.DataFrame(rows, columns=["assumption", "kind", "value", "unit"])


@dataclass(frozen=True)
class CostBasis:
    """The Users of the environment against the cost basis of TR-4: Users beyond the
    costed number may test, and make the DCC's costs exceed its basis."""

    users: int
    large_suppliers: int
    costed_users: int
    min_large_suppliers: int

    @property
    def users_beyond_cost_basis(self) -> int:
        return max(0, self.users - self.costed_users)

    @property
    def within_cost_basis(self) -> bool:
        return self.users_beyond_cost_basis == 0

    @property
    def large_suppliers_as_assumed(self) -> bool:
        """At least the assumed number of Large Suppliers is testing."""
        return self.large_suppliers >= self.min_large_suppliers


def _whole(field_name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValidationError(field_name, f"not a whole number: {text!r}") from None


def load_capacity_assumptions(path: Path | None = None) -> CapacityAssumptions:
    """Read the capacity and cost table (TR-4)."""
    rows = _read_csv(path or TESTING_DATA / "capacity_assumptions.csv")
    by_name = {r["parameter"]: r for r in rows}
    costs = tuple(
        CostInput(r["parameter"], r["unit"],
                  _whole(r["parameter"], r["value"]) if r["value"].strip() else None,
                  r["source"], r["note"])
        for r in rows if r["kind"] == "cost"
    )
    return CapacityAssumptions(
        costed_users=_whole("costed_users", by_name["costed_users"]["value"]),
        min_large_suppliers=_whole("min_large_suppliers", by_name["min_large_suppliers"]["value"]),
        min_window_working_days=_whole(
            "min_window_working_days", by_name["min_window_working_days"]["value"]
        ),
        costs=costs,
    )


@dataclass(frozen=True)
class VoluntaryServices:
    """The DCC services a User may take up or not (TR-4 a, b): both voluntary."""

    sr_mapping_updates: bool = False
    testing_issues_management: bool = False


