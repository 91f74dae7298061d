"""Service Request records as anomaly detection receives them, and their checks (SR-12).

One :class:`Request` per Signed Pre-Command: the request id (the RequestID's
counter), the User, the Service Request reference, the device, the Debt
Register, the time (whole seconds) and the data value the command writes.
:func:`check_fields` runs the checks that need no history, in this order, the
first failing one wins: record shape, request id (integer >= 0), User (a known
one), Service Request reference, device id (16 hex digits), register (a Debt
Register, required for a reset), timestamp (whole seconds >= 0), data value
(0..2**31-1). The engines add the two checks that need history: duplicate and
out of order (:class:`Refusal` lists all, in order).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NamedTuple

import numpy as np

from specpkg.anomaly.thresholds import (
    parse_service_reference,
    parse_user_id,
)
from specpkg.errors import ValidationError
from specpkg.gbcs.catalogue import RESET_DEBT_REGISTER
from specpkg.gbcs.envelope import COUNTER_MAX
from specpkg.meter.registers import INT32_MAX, DebtRegister

_DEVICE_ID = re.compile(r"^[0-9A-Fa-f]{16}$")
REGISTERS: tuple[DebtRegister, ...] = tuple(DebtRegister)
NO_REGISTER = -1
BAD_REGISTER = -2
#: The latest timestamp (whole seconds) a record may carry; the engines refuse later.
TIMESTAMP_MAX = 2**62


class Refusal(IntEnum):
    """Why a record was refused, in the order the checks run (0 = not refused)."""

    NONE = 0
    RECORD = 1
    REQUEST_ID = 2
    USER = 3
    SERVICE = 4
    DEVICE = 5
    REGISTER = 6
    TIMESTAMP = 7
    DATA_VALUE = 8
    DUPLICATE = 9
    OUT_OF_ORDER = 10

    @property
    def field(self) -> str:
        return _REFUSAL_FIELDS[self]

    @property
    def description(self) -> str:
        return _REFUSAL_TEXT[self]


_REFUSAL_FIELDS = {
    Refusal.NONE: "",
    Refusal.RECORD: "record",
    Refusal.REQUEST_ID: "request_id",
    Refusal.DUPLICATE: "request_id",
    Refusal.USER: "user_id",
    Refusal.SERVICE: "service_reference",
    Refusal.DEVICE: "device_id",
    Refusal.REGISTER: "register",
    Refusal.TIMESTAMP: "timestamp",
    Refusal.DATA_VALUE: "data_value",
    Refusal.OUT_OF_ORDER: "timestamp",
}

_REFUSAL_TEXT = {
    Refusal.NONE: "",
    Refusal.RECORD: "not a record of the 7 request fields",
    Refusal.REQUEST_ID: "not an integer 0..2**64-1",
    Refusal.DUPLICATE: "not greater than the last from this User for this device",
    Refusal.USER: "not a known User",
    Refusal.SERVICE: "not a Service Request reference",
    Refusal.DEVICE: "not 16 hexadecimal digits",
    Refusal.REGISTER: "not a Debt Register (a reset needs one)",
    Refusal.TIMESTAMP: "not whole seconds >= 0",
    Refusal.DATA_VALUE: "not an integer 0..2**31-1",
    Refusal.OUT_OF_ORDER: "earlier than a request already accepted",
}


class Request(NamedTuple):
    """A Service Request record as received (fields not yet checked)."""

    request_id: Any
    user_id: Any
    service_reference: Any
    device_id: Any
    register: Any
    timestamp: Any
    data_value: Any


FIELDS = Request._fields


# --- field checks shared by both engines -------------------------------------------


def _as_int(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        return None
    value = int(value)
    return value if low <= value <= high else None


def check_request_id(value: Any) -> int | None:
    """A request id is the RequestID's counter: 0..COUNTER_MAX, as everywhere."""
    return _as_int(value, 0, COUNTER_MAX)


def check_user_id(value: Any) -> str | None:
    try:
        return parse_user_id(value)
    except ValidationError:
        return None


def check_service_reference(value: Any) -> str | None:
    try:
        return parse_service_reference(value)
    except ValidationError:
        return None


def check_device_id(value: Any) -> str | None:
    return value.upper() if isinstance(value, str) and _DEVICE_ID.match(value) else None


def register_code(value: Any) -> int:
    """Index into :data:`REGISTERS`, ``NO_REGISTER`` for None, ``BAD_REGISTER`` if unknown."""
    if value is None:
        return NO_REGISTER
    if isinstance(value, DebtRegister):
        return REGISTERS.index(value)
    if isinstance(value, str):
        for i, member in enumerate(REGISTERS):
            if value in (member.value, member.name):
                return i
    return BAD_REGISTER


def check_timestamp(value: Any) -> int | None:
    return _as_int(value, 0, TIMESTAMP_MAX)


def check_data_value(value: Any) -> int | None:
    return _as_int(value, 0, INT32_MAX)


def as_request(record: Any) -> Request | None:
    if isinstance(record, Request):
        return record
    if isinstance(record, dict):
        if set(record) != set(FIELDS):
            return None
        return Request(**record)
    if isinstance(record, Sequence) and not isinstance(record, str | bytes):
        return Request(*record) if len(record) == len(FIELDS) else None
    return None


@dataclass(frozen=True)
class Checked:
    """The fields of a record after the checks that need no history."""

    refusal: Refusal
    request_id: int | None = None
    user_id: str | None = None
    service_reference: str | None = None
    register: int = NO_REGISTER
    timestamp: int = 0
    data_value: int = 0
    device_id: str | None = None


def check_fields(record: Any, known_users: frozenset[str] | None = None) -> Checked:
    """The checks that need no history; duplicates and order are decided by the engines.

    With ``known_users`` a well-formed but unknown User ID is refused as USER.
    """
    req = as_request(record)
    if req is None:
        return Checked(Refusal.RECORD)
    request_id = check_request_id(req.request_id)
    user = check_user_id(req.user_id)
    service = check_service_reference(req.service_reference)
    device = check_device_id(req.device_id)
    register = register_code(req.register)
    timestamp = check_timestamp(req.timestamp)
    value = check_data_value(req.data_value)
    refusal = Refusal.NONE
    if request_id is None:
        refusal = Refusal.REQUEST_ID
    elif user is None or (known_users is not None and user not in known_users):
        refusal = Refusal.USER
    elif service is None:
        refusal = Refusal.SERVICE
    elif device is None:
        refusal = Refusal.DEVICE
    elif register == BAD_REGISTER or (register == NO_REGISTER and service == RESET_DEBT_REGISTER):
        refusal = Refusal.REGISTER
    elif timestamp is None:
        refusal = Refusal.TIMESTAMP
    elif value is None:
        refusal = Refusal.DATA_VALUE
    return Checked(refusal, request_id, user, service, register,
                   timestamp if timestamp is not None else 0,
                   value if value is not None else 0, device)
