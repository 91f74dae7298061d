"""DUIS response codes and the one outcome of every Service Request (SR-9, TR-5, TR-7).

``data/duis/response_codes.csv`` is the one table: one row per refusal (or
answer) of the model, with its name, the DUIS response code the User gets, the
stage of the flow that gives it, the :class:`Outcome` it means for the request,
its meaning in the model, the code's meaning in DUIS and the ``source`` of the
mapping: ``DUIS`` where the code's DUIS meaning is the model's case, ``MA-16``
where DUIS has no code for the case and the model assumption MA-16 chooses one
(finding F-60). The codes are DUIS's own: the DCC Systems Response Codes of the
DCC User Interface Specification (I0 Success, I99 Acknowledgement, E1 to E5
Failed Authorisation, E11 to E13 Failed Validation, E19 Device doesn't exist,
E20 and E21 Communications Failure; as reproduced at
https://iananthony3000.wixsite.com/smets2reference-1/copy-of-esme-sr-list), every
one an enumerated value of the ``ResponseCode`` type of the DUIS XML schema
("DUIS Schema V5.1.xsd", SmartDCCInnovation/dccboxed-signing-tool), so every
response passes that schema.

:class:`ResponseCode` has one member per row. Several refusals share a DUIS code
(a request naming two registers and a truncated one both get E12), so a member
is the refusal, and its :attr:`~ResponseCode.value` (and its text, ``str(code)``,
``code == "E12"``) is the DUIS code on the wire. Members are distinct from each
other even when their codes are equal (``SEVERAL_REGISTERS is not
SCHEMA_INVALID``, and they are never equal); ``ResponseCode("E12")`` gives the
row the code stands for when read back from a response. A test keeps the enum
and the table equal.

Every Service Request ends in exactly one :class:`Outcome`, given by the
refusal (the member), not by the wire code alone: I0 is both a confirmed and an
unconfirmed reset, the User telling them apart by the device's response in
``GBCSPayload`` (BR-4, MA-16). Two outcomes have no code: the User refused to
sign a Pre-Command that did not correlate (no Signed Pre-Command is sent), and
the User rejected a quarantined command (after its I99 and DCC Alert).
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

#: The DCC Systems Response Codes of DUIS whose meaning the workbook cites (source in
#: the module docstring); every code the table gives is one of them.
DUIS_CODES: dict[str, str] = {
    "I0": "Success",
    "I99": "Acknowledgement",
    "E1": "Failed Authorisation – Invalid User / User Role",
    "E2": "Failed Authorisation – Invalid User Role / Service Reference",
    "E3": "Failed Authorisation – Invalid User Status",
    "E4": "Failed Authorisation – Invalid User / User Role for Device",
    "E5": "Failed Authorisation – Invalid Device Status",
    "E11": "Failed Validation – Invalid Service Request / device type combination",
    "E12": "Failed Validation – Invalid Request / Command Variant combination",
    "E13": "Failed Validation – Invalid Request Type for URL",
    "E17": "Failed Authorisation – Service Request or Signed Pre-Command is not available "
           "for Local Command Services",
    "E19": "Failed Authorisation – Device doesn't exist",
    "E20": "Communications Failure – Unable to Communicate with Device",
    "E21": "Communications Failure – No Response Received from Device",
    "E30": "Time-out – Future Dated Command",
}


class ResponseCode(StrEnum):
    """One refusal or answer of the model (a row of response_codes.csv); its value is
    the DUIS response code the User receives for it."""

    def __new__(cls, code: str, key: str | None = None) -> ResponseCode:
        member = str.__new__(cls, code)
        member._value_ = key or code  # unique, so that rows sharing a code stay apart
        member.duis = code
        return member

    @property
    def value(self) -> str:  # type: ignore[override]
        """The DUIS response code on the wire."""
        return self.duis

    def __str__(self) -> str:
        return self.duis

    def __repr__(self) -> str:
        return f"<ResponseCode.{self.name}: {self.duis!r}>"

    __format__ = str.__format__

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ResponseCode):
            return self is other
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__

    # the row each code stands for when read back (listed first)
    SUCCESS = "I0"
    ACKNOWLEDGED = "I99"
    SCHEMA_INVALID = "E12"
    UNKNOWN_SENDER = "E1"
    ROLE_NOT_ELIGIBLE = "E2"
    NOT_REGISTERED_SUPPLIER = "E4"
    NOT_SUPPORTED_BY_DEVICE = "E11"
    UNKNOWN_DEVICE = "E19"
    UNDELIVERABLE = "E20"
    NO_DEVICE_RESPONSE = "E21"
    # the other rows, sharing those codes
    TOO_LARGE = ("E12", "TOO_LARGE")
    DTD_FORBIDDEN = ("E12", "DTD_FORBIDDEN")
    MALFORMED_XML = ("E12", "MALFORMED_XML")
    WRONG_NAMESPACE = ("E12", "WRONG_NAMESPACE")
    WRONG_SERVICE_REFERENCE = ("E12", "WRONG_SERVICE_REFERENCE")
    BAD_REQUEST_ID = ("E12", "BAD_REQUEST_ID")
    NO_REGISTER = ("E12", "NO_REGISTER")
    SEVERAL_REGISTERS = ("E12", "SEVERAL_REGISTERS")
    UNKNOWN_REGISTER = ("E12", "UNKNOWN_REGISTER")
    BAD_SIGNATURE = ("E1", "BAD_SIGNATURE")
    UNSIGNED_CONTENT = ("E1", "UNSIGNED_CONTENT")
    CERTIFICATE_REFUSED = ("E1", "CERTIFICATE_REFUSED")
    COUNTER_NOT_INCREASING = ("E12", "COUNTER_NOT_INCREASING")
    SIGNED_PRECOMMAND_MISMATCH = ("E12", "SIGNED_PRECOMMAND_MISMATCH")
    UNKNOWN_PRECOMMAND = ("E12", "UNKNOWN_PRECOMMAND")
    QUARANTINED = ("I99", "QUARANTINED")
    ANOMALY_REFUSED = ("E12", "ANOMALY_REFUSED")
    STALE_RELEASE = ("E12", "STALE_RELEASE")
    RESET_NOT_CONFIRMED = ("I0", "RESET_NOT_CONFIRMED")
    WRONG_DEVICE_TYPE = ("E11", "WRONG_DEVICE_TYPE")
    REJECTED_BY_DEVICE = ("E21", "REJECTED_BY_DEVICE")
    BAD_DEVICE_RESPONSE = ("E21", "BAD_DEVICE_RESPONSE")


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

    ACKNOWLEDGEMENT = "acknowledgement"
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
    outcome: Outcome | None  # None: an acknowledgement, not the end of a request
    meaning: str
    duis_meaning: str
    source: str  # "DUIS", or "MA-16" where DUIS has no code for the case

    @property
    def provisional(self) -> bool:
        """The code is the model's choice (MA-16), not DUIS's for this case."""
        return self.source != "DUIS"


@cache
def code_table(path: Path = RESPONSE_CODES_PATH) -> dict[ResponseCode, CodeInfo]:
    """The response code table, by refusal (read once)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    table = {}
    for row in rows:
        try:
            code = ResponseCode[row["name"]]
        except KeyError:
            raise ValidationError("response_codes", f"no refusal named {row['name']!r}") from None
        if code.value != row["code"]:
            raise ValidationError("response_codes", f"{row['name']} is {code.value}, "
                                                    f"not {row['code']}")
        if DUIS_CODES.get(row["code"]) != row["duis_meaning"]:
            raise ValidationError("response_codes", f"{row['code']} is not the DUIS code "
                                                    f"{row['duis_meaning']!r}")
        table[code] = CodeInfo(code, Stage(row["stage"]),
                               Outcome[row["outcome"]] if row["outcome"] else None,
                               row["meaning"], row["duis_meaning"], row["source"])
    return table


def response_code_table(path: Path = RESPONSE_CODES_PATH) -> list[dict[str, str]]:
    """The rows of ``data/duis/response_codes.csv`` as text, for tables."""
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def info(code: ResponseCode | str) -> CodeInfo:
    """The table's row for ``code`` (a refusal, or a DUIS code read back: the row it
    stands for); ValidationError for a code the table lacks."""
    try:
        return code_table()[code if isinstance(code, ResponseCode) else ResponseCode(code)]
    except (ValueError, KeyError):
        raise ValidationError("response_code", f"unknown response code {code!r}") from None


def response_code_meaning(code: ResponseCode | str) -> str:
    return info(code).meaning


def outcome_of(code: ResponseCode | str) -> Outcome:
    """The outcome a refusal means for its request (TR-5); for a DUIS code read back,
    that of the row it stands for (I0: success, the User confirming it from the
    payload). ValidationError for an acknowledgement, which ends no request."""
    outcome = info(code).outcome
    if outcome is None:
        raise ValidationError("response_code", f"{code} acknowledges; it ends no request")
    return outcome


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
        self.code = code if isinstance(code, ResponseCode) else ResponseCode(code)
        self.reason = reason
        self.request_id = request_id
        self.service_reference = service_reference
        self.service_reference_variant = service_reference_variant
        super().__init__(f"{self.code.value} {self.code.name}: {reason}")

    @property
    def outcome(self) -> Outcome:
        return outcome_of(self.code)
