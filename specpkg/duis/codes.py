"""DUIS response codes and the one outcome of every Service Request (SR-9, TR-5, TR-7).

``data/duis/response_codes.csv`` is the one table of response codes: for each
code its name, the stage of the flow that gives it (intake, access control,
signed pre-command, anomaly detection, delivery, device), the
:class:`Outcome` it means for the request, its meaning and whether the code is
this workbook's provisional choice. :class:`ResponseCode` names the codes the
package gives; a test keeps the enum and the table equal.

Every Service Request ends in exactly one :class:`Outcome`. Most outcomes are
read from the response code; two have none: the User refused to sign a
Pre-Command that did not correlate (no Signed Pre-Command is sent), and the
User rejected a quarantined command (after its ``E930``).

The E-codes are this workbook's provisional numbering in the DUIS style, not
the DCC's published codes.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from specpkg.errors import SpecError, ValidationError
from specpkg.gbcs.catalogue import RESET_DEBT_REGISTER, SERVICE_REFERENCE_VARIANT
from specpkg.paths import DATA_DIR

RESPONSE_CODES_PATH = DATA_DIR / "duis" / "response_codes.csv"


class ResponseCode(StrEnum):
    """DUIS response codes of this Service Request (rows of response_codes.csv)."""

    SUCCESS = "I0"
    TOO_LARGE = "E901"
    DTD_FORBIDDEN = "E902"
    MALFORMED_XML = "E903"
    WRONG_NAMESPACE = "E904"
    SCHEMA_INVALID = "E905"
    WRONG_SERVICE_REFERENCE = "E906"
    BAD_REQUEST_ID = "E907"
    NO_REGISTER = "E908"
    SEVERAL_REGISTERS = "E909"
    UNKNOWN_REGISTER = "E910"
    BAD_SIGNATURE = "E911"
    UNKNOWN_SENDER = "E912"
    UNKNOWN_DEVICE = "E913"
    NOT_REGISTERED_SUPPLIER = "E914"
    ROLE_NOT_ELIGIBLE = "E915"
    SIGNED_PRECOMMAND_MISMATCH = "E916"
    UNKNOWN_PRECOMMAND = "E917"
    UNSIGNED_CONTENT = "E918"
    CERTIFICATE_REFUSED = "E919"
    RESET_NOT_CONFIRMED = "E920"
    NOT_SUPPORTED_BY_DEVICE = "E921"
    REJECTED_BY_DEVICE = "E922"
    BAD_DEVICE_RESPONSE = "E923"
    UNDELIVERABLE = "E924"
    NO_DEVICE_RESPONSE = "E925"
    QUARANTINED = "E930"
    ANOMALY_REFUSED = "E931"
    COUNTER_NOT_INCREASING = "E940"


class Outcome(StrEnum):
    """How a Service Request ended; exactly one per request (TR-5)."""

    SUCCESS = "success: register is zero"
    NOT_CONFIRMED = "device did not confirm the register is zero"
    REFUSED = "refused by the DCC"
    NOT_SIGNED = "not signed: Pre-Command did not correlate"
    QUARANTINED = "quarantined by anomaly detection"
    REJECTED_BY_USER = "quarantined, then rejected by the User"
    NOT_SUPPORTED = "meter version does not support the reset"
    NO_RESPONSE = "no answer from the meter before the DCC's time-out"
    REJECTED_BY_DEVICE = "meter rejected the command"
    UNDELIVERABLE = "command could not be delivered"


class Stage(StrEnum):
    """Where in the flow a response code is given."""

    INTAKE = "intake"
    ACCESS_CONTROL = "access control"
    SIGNED_PRE_COMMAND = "signed pre-command"
    ANOMALY_DETECTION = "anomaly detection"
    DELIVERY = "delivery"
    DEVICE = "device"


@dataclass(frozen=True)
class CodeInfo:
    """One row of the response code table."""

    code: ResponseCode
    stage: Stage
    outcome: Outcome
    meaning: str
    provisional: bool


@cache
def code_table(path: Path = RESPONSE_CODES_PATH) -> dict[ResponseCode, CodeInfo]:
    """The response code table, by code (read once)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    table = {}
    for row in rows:
        code = ResponseCode(row["code"])
        if code.name != row["name"]:
            raise ValidationError("response_codes", f"{code.value} is named {row['name']!r}, "
                                                    f"not {code.name}")
        table[code] = CodeInfo(code, Stage(row["stage"]), Outcome[row["outcome"]],
                               row["meaning"], row["provisional"] == "yes")
    return table


def response_code_table(path: Path = RESPONSE_CODES_PATH) -> list[dict[str, str]]:
    """The rows of ``data/duis/response_codes.csv`` as text, for tables."""
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def info(code: ResponseCode | str) -> CodeInfo:
    """The table's row for ``code``; ValidationError for a code the table lacks."""
    try:
        return code_table()[ResponseCode(code)]
    except ValueError:
        raise ValidationError("response_code", f"unknown response code {code!r}") from None


def response_code_meaning(code: ResponseCode | str) -> str:
    return info(code).meaning


def outcome_of(code: ResponseCode | str) -> Outcome:
    """The outcome a response code means for its request (TR-5)."""
    return info(code).outcome


def codes_given_at(*stages: Stage) -> frozenset[ResponseCode]:
    """The response codes given at the named stages of the flow."""
    return frozenset(c for c, row in code_table().items() if row.stage in stages)


class DuisError(SpecError, ValueError):
    """A request the DCC refuses: the response ``code`` and a ``reason`` naming the fault.

    ``request_id`` and the service reference are what the error response echoes,
    when they could be read from the request.
    """

    def __init__(
        self,
        code: ResponseCode,
        reason: str,
        *,
        request_id: str | None = None,
        service_reference: str = RESET_DEBT_REGISTER,
        service_reference_variant: str = SERVICE_REFERENCE_VARIANT,
    ) -> None:
        self.code = ResponseCode(code)
        self.reason = reason
        self.request_id = request_id
        self.service_reference = service_reference
        self.service_reference_variant = service_reference_variant
        super().__init__(f"{self.code.value} {self.code.name}: {reason}")

    @property
    def outcome(self) -> Outcome:
        return outcome_of(self.code)
