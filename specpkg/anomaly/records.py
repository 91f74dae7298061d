"""Threshold anomaly detection of Service Requests (SR-12, TR-10).

The reset commands are Critical, so the DCC checks each one against the
Anomaly Detection Thresholds its User set (:mod:`specpkg.thresholds`) before
delivering it. Every request ends exactly once in one :class:`Outcome`:

* ``REFUSED``: the record itself is invalid (:class:`Refusal` says why); it is
  never counted against a threshold;
* ``DELIVERED``: within every threshold, sent on to the device;
* ``QUARANTINED``: over at least one threshold; held with its reason, and the
  User and the DCC each get a :class:`Notification`. The User then releases it
  (it becomes ``DELIVERED``) or rejects it (``REJECTED``).

Two engines implement the same rules and must agree exactly:

* :class:`ThresholdEngine`, the reference: one request at a time, rolling
  windows as deques, with the quarantine, release/reject and notifications;
* :func:`specpkg.replay.replay`, vectorised with numpy over a
  :class:`~specpkg.replay.RequestBatch`, for bulk analysis (millions of requests).

Rules both follow, in this order, for each request in arrival order:

1. refusal checks, the first failing one wins: record shape, request_id
   (integer >= 0), duplicate request_id (seen in any earlier record), user_id
   (a known User), service_reference, device_id (16 hex digits), register
   (a Debt Register, required for a reset "2.4", else optional), timestamp
   (integer seconds >= 0), data_value (integer 0..2**31-1), and finally
   out-of-order: a timestamp earlier than that of an earlier accepted request;
2. thresholds of the request's User and Service Request: a volume threshold is
   exceeded when the count of accepted requests of that pair in
   ``(t - window, t]``, this one included, is above the limit; a data value
   threshold is exceeded when ``data_value > limit``. The exceeded ones form a
   bit mask over :meth:`ThresholdTable.for_request`.
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
from specpkg.meter.registers import INT32_MAX, DebtRegister

_DEVICE_ID = re.compile(r"^[0-9A-Fa-f]{16}$")
REGISTERS: tuple[DebtRegister, ...] = tuple(DebtRegister)
NO_REGISTER = -1
BAD_REGISTER = -2


class Refusal(IntEnum):
    """Why a record was refused, in the order the checks run (0 = not refused)."""

    NONE = 0
    RECORD = 1
    REQUEST_ID = 2
    DUPLICATE = 3
    USER = 4
    SERVICE = 5
    DEVICE = 6
    REGISTER = 7
    TIMESTAMP = 8
    DATA_VALUE = 9
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
    Refusal.REQUEST_ID: "not an integer >= 0",
    Refusal.DUPLICATE: "already received",
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
    return _as_int(value, 0, 2**63 - 1)


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
    return _as_int(value, 0, 2**62)


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
    """The checks that need no history; duplicates and order are decided by the engine.

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
