"""The DUIS User Roles and which of them the test environment is for (TR-4).

The roles eligible to send Service Request 2.3, whose eligibility the reset takes
over (SR-3), are read from ``data/testing/user_roles.csv`` (made from the DUIS
request matrix by ``tools/make_testing_data.py``): Import and Gas Suppliers.
TR-4 says the environment is open to them; whether it is closed to the others
is model assumption MA-6. A User of another role is refused at admission with
:class:`RoleNotEligible`, or, with MA-6, by the DCC: under a certificate that is
not a Supplier's (:data:`CERTIFICATE_ROLE`, E919) or, as an Export Supplier, by
access control (E915).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from specpkg.duis.codes import ResponseCode
from specpkg.errors import ValidationError
from specpkg.gbcs.catalogue import SUPPLIER_ROLE, UPDATE_DEBT
from specpkg.gbcs.credentials import RemotePartyRole
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


#: The roles that supply a meter: Import Supplier (ESME) and Gas Supplier (GSME).
METER_SUPPLIER_ROLES = frozenset(UserRole(role) for role in SUPPLIER_ROLE.values())

#: The Remote Party Role of the Organisation Certificate a User signs with in each
#: User Role: Suppliers (Import, Export, Gas) hold Supplier certificates, network
#: operators (Electricity Distributor, Gas Transporter) Network Operator ones, the
#: others certificates of role "other". The DCC accepts a reset request only under a
#: Supplier certificate (E919 otherwise).
CERTIFICATE_ROLE: dict[UserRole, RemotePartyRole] = {
    UserRole.IS: RemotePartyRole.SUPPLIER,
    UserRole.ES: RemotePartyRole.SUPPLIER,
    UserRole.GS: RemotePartyRole.SUPPLIER,
    UserRole.ED: RemotePartyRole.NETWORK_OPERATOR,
    UserRole.GT: RemotePartyRole.NETWORK_OPERATOR,
    UserRole.RSA: RemotePartyRole.OTHER,
    UserRole.OU: RemotePartyRole.OTHER,
}


def dcc_refusal(role: UserRole) -> ResponseCode:
    """How the DCC refuses a reset from a User of a role not eligible for it, once let
    into the environment (MA-6): at intake without a Supplier certificate (E919),
    else by access control (E915)."""
    if CERTIFICATE_ROLE[parse_role(role)] is RemotePartyRole.SUPPLIER:
        return ResponseCode.ROLE_NOT_ELIGIBLE
    return ResponseCode.CERTIFICATE_REFUSED


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
    return {info.role: info.name for info in load_user_roles()}[parse_role(role)]


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
            f"{UPDATE_DEBT}; the test environment is open to {names} (model assumption "
            "MA-6: closed to the other roles)",
        )
