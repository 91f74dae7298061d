"""ZCL frames inside a GBZ component: Change Debt and Default Response (SR-1, BR-5).

* ZCL frame: frame control, [manufacturer code], sequence number, command id,
  payload; payload integers are little-endian.
* Prepayment cluster ``0705`` command ``02`` Change Debt: the command GCS04
  sends once per Debt Register, and that the GSME reset use cases reuse with
  parameters chosen so that the register becomes zero (SR-1).
* ZCL Default Response (``0B``): command id + status, all a GSME answers
  (BR-5: no register value, so no personal data).

Each layout is defined once, in :data:`ChangeDebtStruct`,
:data:`DefaultResponseStruct` and :data:`ZclFrameStruct` (typed values and dump
rows); :func:`fast_frame` and :func:`fast_frame_bytes` are the hand-rolled fast
paths, checked equal by the property tests.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any

from construct import (
    GreedyBytes,
    If,
    Int8ub,
    Int16ul,
    Int32sl,
    Int32ul,
    Struct,
    Switch,
    Terminated,
    this,
)

from specpkg.errors import ValidationError
from specpkg.gbcs import wire
from specpkg.gbcs.typed import OpenEnum, StrictEnum, Typed
from specpkg.gbcs.wire import Framed, Shown
from specpkg.meter.registers import DebtRegister

PREPAYMENT_CLUSTER = 0x0705
CHANGE_DEBT = 0x02
DEFAULT_RESPONSE = 0x0B

FC_CLUSTER_SPECIFIC = 0x01
FC_MANUFACTURER = 0x04
FC_SERVER_TO_CLIENT = 0x08

#: ZigBee UTCTime counts whole seconds from 2000-01-01 00:00:00 UTC, in a uint32.
ZIGBEE_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_UINT32_MAX = 2**32 - 1
_SECOND = timedelta(seconds=1)


def zigbee_time(at: datetime) -> int:
    """``at`` as ZigBee UTCTime (seconds since :data:`ZIGBEE_EPOCH`, whole seconds down);
    ValidationError for a naive time or one outside the uint32 range."""
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise ValidationError("time", f"a timezone-aware datetime is needed, got {at!r}")
    seconds = (at - ZIGBEE_EPOCH) // _SECOND
    if not 0 <= seconds <= _UINT32_MAX:
        raise ValidationError("time", f"{at.isoformat()} is outside ZigBee UTCTime "
                                      f"(2000-01-01 to 2136-02-07)")
    return seconds


def from_zigbee_time(seconds: int) -> datetime:
    """ZigBee UTCTime back to an aware datetime (for tables and checks)."""
    return ZIGBEE_EPOCH + seconds * _SECOND


class RecoveryMethod(IntEnum):
    """Debt recovery method of Change Debt."""

    TIME_BASED = 0x00
    PAYMENT_BASED = 0x01


class DebtAmountType(IntEnum):
    """Debt amount type of Change Debt: which register, absolute or incremental."""

    TYPE1_ABSOLUTE = 0x00
    TYPE1_INCREMENTAL = 0x01
    TYPE2_ABSOLUTE = 0x02
    TYPE2_INCREMENTAL = 0x03
    TYPE3_ABSOLUTE = 0x04
    TYPE3_INCREMENTAL = 0x05

    @property
    def register(self) -> DebtRegister:
        """Type 1/2 are the Time Debt Registers, Type 3 the Payment Debt Register."""
        return _AMOUNT_TYPE_REGISTER[self.value // 2]

    @property
    def incremental(self) -> bool:
        return bool(self.value & 1)

    @classmethod
    def of(cls, register: DebtRegister, incremental: bool) -> DebtAmountType:
        """The amount type that adjusts ``register`` (absolute or incremental)."""
        return cls(_AMOUNT_TYPE_REGISTER.index(register) * 2 + int(incremental))


_AMOUNT_TYPE_REGISTER = [
    DebtRegister.TIME_DEBT_1,
    DebtRegister.TIME_DEBT_2,
    DebtRegister.PAYMENT_DEBT,
]


class RecoveryFrequency(IntEnum):
    """Debt recovery frequency of Change Debt."""

    HOURLY = 0x00
    DAILY = 0x01
    WEEKLY = 0x02
    MONTHLY = 0x03
    QUARTERLY = 0x04


class ZclStatus(IntEnum):
    """ZCL status codes a Default Response may carry."""

    SUCCESS = 0x00
    FAILURE = 0x01
    NOT_AUTHORIZED = 0x7E
    MALFORMED_COMMAND = 0x80
    UNSUP_CLUSTER_COMMAND = 0x81
    UNSUP_GENERAL_COMMAND = 0x82
    INVALID_FIELD = 0x85
    UNSUPPORTED_ATTRIBUTE = 0x86
    INVALID_VALUE = 0x87
    INSUFFICIENT_SPACE = 0x89
    NOT_FOUND = 0x8B
    INVALID_DATA_TYPE = 0x8D
    HARDWARE_FAILURE = 0xC0
    SOFTWARE_FAILURE = 0xC1


@dataclass(frozen=True, slots=True)
class ChangeDebt:
    """ZCL Change Debt (SR-1). Amounts are signed pence, times ZigBee UTC."""

    issuer_event_id: int
    debt_amount: int
    recovery_method: RecoveryMethod
    amount_type: DebtAmountType
    recovery_start_time: int = 0
    collection_time: int = 0
    frequency: RecoveryFrequency = RecoveryFrequency.HOURLY
    recovery_amount: int = 0
    balance_percentage: int = 0
    debt_label: bytes = b""

    @property
    def register(self) -> DebtRegister:
        return self.amount_type.register


@dataclass(frozen=True, slots=True)
class DefaultResponse:
    """ZCL Default Response: the command answered and a status (BR-5)."""

    command_id: int
    status: ZclStatus | int

    @property
    def success(self) -> bool:
        return self.status == ZclStatus.SUCCESS


@dataclass(frozen=True, slots=True)
class ZclFrame:
    """A ZCL frame; ``payload`` is ChangeDebt, DefaultResponse or opaque bytes."""

    frame_control: int
    sequence: int
    command_id: int
    payload: ChangeDebt | DefaultResponse | bytes
    manufacturer_code: int | None = None


def _hex2(value: int) -> str:
    return f"0x{value:02X}"


def _amount_type_meaning(value: DebtAmountType, _context: Any) -> str:
    return f"{value.register.label}, {'incremental' if value.incremental else 'absolute'}"


ChangeDebtStruct = Typed(Struct(
    "issuer_event_id" / Shown(Int32ul, "issuer event id"),
    "debt_label" / Framed(
        Shown(Int8ub, "debt label length", lambda v, _: "" if v else "empty"),
        Shown(GreedyBytes, "debt label")),
    "debt_amount" / Shown(Int32sl, "debt amount", "pence"),
    "recovery_method" / Shown(StrictEnum(Int8ub, RecoveryMethod), "debt recovery method"),
    "amount_type" / Shown(StrictEnum(Int8ub, DebtAmountType), "debt amount type",
                          _amount_type_meaning),
    "recovery_start_time" / Shown(Int32ul, "debt recovery start time", "ZigBee UTC seconds"),
    "collection_time" / Shown(Int16ul, "debt recovery collection time"),
    "frequency" / Shown(StrictEnum(Int8ub, RecoveryFrequency), "debt recovery frequency"),
    "recovery_amount" / Shown(Int32sl, "debt recovery amount", "pence"),
    "balance_percentage" / Shown(Int16ul, "debt recovery balance percentage", "basis points"),
    Terminated,
), ChangeDebt)
"""ZCL Prepayment cluster Change Debt payload (little-endian)."""

DefaultResponseStruct = Typed(Struct(
    "command_id" / Shown(Int8ub, "answered command id", show=_hex2),
    "status" / Shown(OpenEnum(Int8ub, ZclStatus), "status",
                     lambda v, _: v.name if isinstance(v, ZclStatus) else "unknown",
                     show=lambda v: _hex2(int(v))),
    Terminated,
), DefaultResponse)
"""ZCL Default Response payload."""


def payload_kind(frame_control: int, command_id: int, cluster_id: int) -> str:
    """Which payload a ZCL frame carries: change_debt, default_response or raw."""
    frame_type = frame_control & 0x03
    if frame_type == 0 and command_id == DEFAULT_RESPONSE:
        return "default_response"
    if (frame_type == FC_CLUSTER_SPECIFIC and not frame_control & FC_SERVER_TO_CLIENT
            and cluster_id == PREPAYMENT_CLUSTER and command_id == CHANGE_DEBT):
        return "change_debt"
    return "raw"


_COMMAND_NAMES = {"change_debt": "Change Debt", "default_response": "Default Response", "raw": ""}


def _frame_control_meaning(value: int, _context: Any) -> str:
    kind = "cluster-specific" if value & 0x03 else "general"
    way = "server to client" if value & FC_SERVER_TO_CLIENT else "client to server"
    return f"{kind}, {way}"


ZclFrameStruct = Typed(Struct(
    "frame_control" / Shown(Int8ub, "ZCL frame control", _frame_control_meaning, show=_hex2),
    "manufacturer_code" / If(this.frame_control & FC_MANUFACTURER,
                             Shown(Int16ul, "manufacturer code")),
    "sequence" / Shown(Int8ub, "sequence number"),
    "command_id" / Shown(Int8ub, "command id", lambda v, ctx: _COMMAND_NAMES[
        payload_kind(ctx.frame_control, v, ctx._.cluster_id)], show=_hex2),
    "payload" / Switch(
        lambda ctx: payload_kind(ctx.frame_control, ctx.command_id, ctx._.cluster_id),
        {"change_debt": ChangeDebtStruct, "default_response": DefaultResponseStruct},
        default=Shown(GreedyBytes, "payload", "opaque"),
    ),
), ZclFrame)
"""A ZCL frame in a GBZ component (whose cluster id picks the payload)."""

# --- fast paths ------------------------------------------------------------------------

_CHANGE_DEBT_HEAD = struct.Struct("<IB")
_CHANGE_DEBT_TAIL = struct.Struct("<iBBIHBiH")
_RECOVERY_METHOD = {m.value: m for m in RecoveryMethod}
_AMOUNT_TYPE = {m.value: m for m in DebtAmountType}
_FREQUENCY = {m.value: m for m in RecoveryFrequency}
_STATUS = {m.value: m for m in ZclStatus}


def fast_frame(cluster_id: int, frame: bytes) -> ZclFrame:
    """Hand-rolled fast path of ZclFrameStruct (raises wire.Fallback when in doubt)."""
    control, sequence, command_id = frame[0], frame[1], frame[2]
    if control & FC_MANUFACTURER:
        raise wire.Fallback
    kind = payload_kind(control, command_id, cluster_id)
    payload: ChangeDebt | DefaultResponse | bytes
    if kind == "default_response":
        if len(frame) != 5:
            raise wire.Fallback
        payload = DefaultResponse(frame[3], _STATUS.get(frame[4], frame[4]))
    elif kind == "change_debt":
        label_end = 8 + frame[7]
        if len(frame) != label_end + _CHANGE_DEBT_TAIL.size:
            raise wire.Fallback
        amount, method, amount_type, start, collection, frequency, recovery, percentage = (
            _CHANGE_DEBT_TAIL.unpack_from(frame, label_end)
        )
        payload = ChangeDebt(
            int.from_bytes(frame[3:7], "little"), amount, _RECOVERY_METHOD[method],
            _AMOUNT_TYPE[amount_type], start, collection, _FREQUENCY[frequency], recovery,
            percentage, frame[8:label_end],
        )
    else:
        payload = frame[3:]
    return ZclFrame(control, sequence, command_id, payload)


def _fast_payload(payload: ChangeDebt | DefaultResponse | bytes) -> bytes:
    if isinstance(payload, ChangeDebt):
        return b"".join((
            _CHANGE_DEBT_HEAD.pack(payload.issuer_event_id, len(payload.debt_label)),
            payload.debt_label,
            _CHANGE_DEBT_TAIL.pack(
                payload.debt_amount, _RECOVERY_METHOD[payload.recovery_method],
                _AMOUNT_TYPE[payload.amount_type], payload.recovery_start_time,
                payload.collection_time, _FREQUENCY[payload.frequency],
                payload.recovery_amount, payload.balance_percentage,
            ),
        ))
    if isinstance(payload, DefaultResponse):
        return bytes((payload.command_id, int(payload.status)))
    if isinstance(payload, bytes):
        return payload
    raise wire.Fallback


def fast_frame_bytes(frame: ZclFrame) -> bytes:
    """Hand-rolled fast path of building ZclFrameStruct (raises wire.Fallback when in doubt)."""
    if frame.manufacturer_code is not None or frame.frame_control & FC_MANUFACTURER:
        raise wire.Fallback
    head = bytes((frame.frame_control, frame.sequence, frame.command_id))
    return head + _fast_payload(frame.payload)
