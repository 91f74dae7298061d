"""The DCC test environment for SECMP0002 as a runnable object (TR-4..TR-10).

What the Testing Requirements ask of the environment, and where it is here:

* TR-4: open only to the User Roles eligible to send Service Request 2.3
  (:func:`eligible_roles`, from ``data/testing/user_roles.csv``); available for
  at least 15 Working Days (:class:`AvailabilityWindow`); capacity and cost
  assumptions as a table (:class:`CapacityAssumptions`, costs left for the DCC
  to fill); Service Request mapping updates and testing issues management are
  voluntary (:class:`VoluntaryServices`).
* TR-5, TR-7: :func:`check_acceptance` over :class:`TestCaseRecord` rows.
* TR-6: :class:`TestPack`, Parse and Correlate and the Message Mapping
  Catalogue in the same version.
* TR-8: Users add Type 1 and Type 2 Devices to their test Smart Metering
  Systems (:meth:`TestEnvironment.add_device`).
* TR-9: Test Communications Hubs for every HAN x WAN variant combination
  (:func:`ch_combinations`), and test stubs of meters before and at the Release
  (:class:`MeterVersion`, made by a pluggable :class:`DeviceStubFactory`).
* TR-10: Users set volume and data value Anomaly Detection Thresholds and read
  quarantine notifications in a per-User inbox; the screening itself is a
  pluggable :class:`AnomalyDetector`.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from specpkg.errors import ValidationError
from specpkg.gbcs.catalogue import UPDATE_DEBT
from specpkg.paths import DATA_DIR

TESTING_DATA = DATA_DIR / "testing"
#: The Service Request whose eligible roles the new one inherits (SR-3): 2.3 Update Debt.


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


# --------------------------------------------------------------------------- roles (TR-4)


class UserRole(StrEnum):
    """DUIS User Roles (codes as in the DUIS request matrix)."""

    IS = "IS"
    ES = "ES"
    GS = "GS"
    ED = "ED"
    GT = "GT"
    RSA = "RSA"
    OU = "OU"


@dataclass(frozen=True)
class RoleInfo:
    """One row of ``data/testing/user_roles.csv`` (TR-4)."""

    role: UserRole
    name: str
    eligible: bool


def load_user_roles(path: Path | None = None) -> tuple[RoleInfo, ...]:
    """The User Roles and their eligibility for SR 2.3, from the project's data (TR-4)."""
    rows = _read_csv(path or TESTING_DATA / "user_roles.csv")
    return tuple(
        RoleInfo(UserRole(r["role"]), r["name"], r["eligible"] == "yes") for r in rows
    )


def eligible_roles(path: Path | None = None) -> tuple[UserRole, ...]:
    """The roles the environment is open to: those eligible to send SR 2.3 (TR-4)."""
    return tuple(info.role for info in load_user_roles(path) if info.eligible)


def role_name(role: UserRole) -> str:
    return {info.role: info.name for info in load_user_roles()}[role]


def parse_role(value: Any) -> UserRole:
    try:
        return UserRole(value)
    except ValueError:
        known = ", ".join(r.value for r in UserRole)
        raise ValidationError("role", f"unknown User Role {value!r} (known: {known})") from None


class RoleNotEligible(ValidationError):
    """A User Role that may not use the SECMP0002 test environment (TR-4)."""

    def __init__(self, role: UserRole, eligible: Sequence[UserRole]) -> None:
        self.role = role
        self.eligible = tuple(eligible)
        names = ", ".join(f"{r.value} ({role_name(r)})" for r in self.eligible)
        super().__init__(
            "role",
            f"{role.value} ({role_name(role)}) is not eligible to send Service Request "
            f"{UPDATE_DEBT}; the test environment is open to {names} only",
        )
