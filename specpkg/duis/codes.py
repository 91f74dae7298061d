"""DUIS side of the new Service Request 2.4 "Reset Debt Register" (SR-9, TR-5, TR-7).

A User asks for a reset with one signed DUIS request naming exactly one Debt
Register (SR-9)::

    <sr:Request schemaVersion="5.4">
      <sr:Header>RequestID, CommandVariant, ServiceReference 2.4, ServiceReferenceVariant 2.4
      <sr:Body><sr:ResetDebtRegister><sr:TimeDebtRegister1/></sr:ResetDebtRegister></sr:Body>
      <ds:Signature>... (enveloped, by the User's ds key)

:func:`request_xml` builds and signs one; :func:`validate_request` takes one
from outside through the hardened parser, the signature check, the specific
checks below and the schema ``data/duis/ResetDebtRegister.xsd``, and either
returns an :class:`AcceptedRequest` or raises :class:`DuisError` with a
response code from ``data/duis/response_codes.csv``; :func:`error_response`
turns that into a DUIS error response. :func:`service_response` wraps the
device's GBCS response in the Service Response (``I0``) and
:func:`parse_response` reads any of them back.

The E-codes are this workbook's provisional numbering in the DUIS style, not
the DCC's published codes. All times come from a ``clock`` argument (default
:data:`DEFAULT_CLOCK`), so outputs are reproducible.
"""

from __future__ import annotations

import csv
from enum import StrEnum
from pathlib import Path

from specpkg.errors import SpecError, ValidationError
from specpkg.gbcs.catalogue import (
    RESET_DEBT_REGISTER,
    SERVICE_REFERENCE_VARIANT,
)
from specpkg.paths import DATA_DIR

RESPONSE_CODES_PATH = DATA_DIR / "duis" / "response_codes.csv"


class ResponseCode(StrEnum):
    """DUIS response codes of this Service Request (see response_codes.csv)."""

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
    RESET_NOT_CONFIRMED = "E920"
    NOT_SUPPORTED_BY_DEVICE = "E921"
    REJECTED_BY_DEVICE = "E922"
    BAD_DEVICE_RESPONSE = "E923"
    UNDELIVERABLE = "E924"
    QUARANTINED = "E930"


#: Codes given after the request itself was valid: by the DCC's access control,
#: its check of the Signed Pre-Command, anomaly detection, or the device (see flow).
POST_VALIDATION_CODES = frozenset({
    ResponseCode.SUCCESS, ResponseCode.NOT_REGISTERED_SUPPLIER, ResponseCode.ROLE_NOT_ELIGIBLE,
    ResponseCode.SIGNED_PRECOMMAND_MISMATCH, ResponseCode.UNKNOWN_PRECOMMAND,
    ResponseCode.RESET_NOT_CONFIRMED, ResponseCode.NOT_SUPPORTED_BY_DEVICE,
    ResponseCode.REJECTED_BY_DEVICE, ResponseCode.BAD_DEVICE_RESPONSE, ResponseCode.UNDELIVERABLE,
    ResponseCode.QUARANTINED,
})


def response_code_table(path: Path = RESPONSE_CODES_PATH) -> list[dict[str, str]]:
    """The rows of ``data/duis/response_codes.csv`` (code, name, meaning, provisional)."""
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def response_code_meaning(code: str) -> str:
    for row in response_code_table():
        if row["code"] == code:
            return row["meaning"]
    raise ValidationError("response_code", f"unknown response code {code!r}")


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
