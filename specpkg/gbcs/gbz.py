"""GBZ, the GSME payload: ZigBee Smart Energy frames in a GBCS wrapper (SR-1, BR-5).

* GBZ: profile ``0109``, component count, then per component a control byte
  (bit 0 last component, bit 1 encrypted, bit 4 from-date-time present),
  cluster id, length (big-endian) and a ZCL frame.
* ZCL frame: frame control, [manufacturer code], sequence number, command id,
  payload; payload integers are little-endian.
* Prepayment cluster ``0705`` command ``02`` Change Debt: the command GCS04
  sends once per Debt Register, and that the GSME reset use cases reuse with
  parameters chosen so that the register becomes zero (SR-1).
* ZCL Default Response (``0B``): command id + status, all a GSME answers
  (BR-5: no register value, so no personal data).

Encrypted or from-date-time components are kept as opaque bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from construct import (
    Construct,
    ExplicitError,
    GreedyBytes,
    If,
    IfThenElse,
    Int8ub,
    Int16ub,
    Int16ul,
    Int32sl,
    Int32ul,
    PrefixedArray,
    Struct,
    Subconstruct,
    Switch,
    Terminated,
    this,
)

from specpkg.errors import ValidationError
from specpkg.gbcs import wire
from specpkg.meter.registers import DebtRegister

PROFILE_ID = 0x0109
PREPAYMENT_CLUSTER = 0x0705
CHANGE_DEBT = 0x02
DEFAULT_RESPONSE = 0x0B

CONTROL_LAST = 0x01
CONTROL_ENCRYPTED = 0x02
CONTROL_FROM_DATE_TIME = 0x10

FC_CLUSTER_SPECIFIC = 0x01
FC_MANUFACTURER = 0x04
FC_SERVER_TO_CLIENT = 0x08


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


class StrictEnum(Subconstruct):
    """An integer field that must be a member of ``enum`` (parsed as the member)."""

    def __init__(self, subcon: Construct, enum: type[IntEnum]) -> None:
        super().__init__(subcon)
        self.enum = enum

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        start = stream.tell()
        value = self.subcon._parsereport(stream, context, path)
        try:
            return self.enum(value)
        except ValueError:
            stream.seek(start)  # the error names the field's own offset
            raise ExplicitError(f"unknown {self.enum.__name__} {value:#04x}", path=path) from None

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        return self.subcon._build(int(self.enum(obj)), stream, context, path)


ChangeDebtStruct = Struct(
    "issuer_event_id" / Int32ul,
    "debt_label" / wire.Framed(Int8ub, GreedyBytes),
    "debt_amount" / Int32sl,
    "recovery_method" / StrictEnum(Int8ub, RecoveryMethod),
    "amount_type" / StrictEnum(Int8ub, DebtAmountType),
    "recovery_start_time" / Int32ul,
    "collection_time" / Int16ul,
    "frequency" / StrictEnum(Int8ub, RecoveryFrequency),
    "recovery_amount" / Int32sl,
    "balance_percentage" / Int16ul,
    Terminated,
)
"""ZCL Prepayment cluster Change Debt payload (little-endian)."""

DefaultResponseStruct = Struct("command_id" / Int8ub, "status" / Int8ub, Terminated)
"""ZCL Default Response payload."""


def _payload_kind(ctx: Any) -> str:
    frame_type = ctx.frame_control & 0x03
    if frame_type == 0 and ctx.command_id == DEFAULT_RESPONSE:
        return "default_response"
    if (
        frame_type == FC_CLUSTER_SPECIFIC
        and not ctx.frame_control & FC_SERVER_TO_CLIENT
        and ctx._.cluster_id == PREPAYMENT_CLUSTER
        and ctx.command_id == CHANGE_DEBT
    ):
        return "change_debt"
    return "raw"


ZclFrameStruct = Struct(
    "frame_control" / Int8ub,
    "manufacturer_code" / If(this.frame_control & FC_MANUFACTURER, Int16ul),
    "sequence" / Int8ub,
    "command_id" / Int8ub,
    "payload"
    / Switch(
        _payload_kind,
        {"change_debt": ChangeDebtStruct, "default_response": DefaultResponseStruct},
        default=GreedyBytes,
    ),
)
"""A ZCL frame: header and a Change Debt, Default Response or opaque payload."""

GbzComponentStruct = Struct(
    "control" / Int8ub,
    "cluster_id" / Int16ub,
    "frame"
    / wire.Framed(
        Int16ub,
        IfThenElse(
            this.control & (CONTROL_ENCRYPTED | CONTROL_FROM_DATE_TIME), GreedyBytes, ZclFrameStruct
        ),
    ),
)

GbzStruct = Struct(
    "profile" / wire.Fixed(PROFILE_ID.to_bytes(2, "big")),
    "components" / PrefixedArray(Int8ub, GbzComponentStruct),
    Terminated,
)
"""The GBZ payload."""


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


@dataclass(frozen=True, slots=True)
class GbzComponent:
    """One GBZ component: control byte, cluster id and ZCL frame (or opaque bytes)."""

    control: int
    cluster_id: int
    frame: ZclFrame | bytes

    @property
    def last(self) -> bool:
        return bool(self.control & CONTROL_LAST)

    @property
    def encrypted(self) -> bool:
        return bool(self.control & CONTROL_ENCRYPTED)


@dataclass(frozen=True, slots=True)
class Gbz:
    """A GBZ payload: its components in order."""

    components: tuple[GbzComponent, ...]


def _status(value: int) -> ZclStatus | int:
    try:
        return ZclStatus(value)
    except ValueError:
        return value


def _frame(parsed: Any) -> ZclFrame | bytes:
    if isinstance(parsed, bytes):
        return parsed
    payload = parsed.payload
    if isinstance(payload, bytes):
        value: ChangeDebt | DefaultResponse | bytes = payload
    elif "debt_amount" in payload:
        value = ChangeDebt(**{k: v for k, v in payload.items() if not k.startswith("_")})
    else:
        value = DefaultResponse(payload.command_id, _status(payload.status))
    return ZclFrame(
        parsed.frame_control, parsed.sequence, parsed.command_id, value, parsed.manufacturer_code
    )


def from_container(parsed: Any) -> Gbz:
    """The typed GBZ of a parsed ``GbzStruct`` container."""
    return Gbz(
        tuple(GbzComponent(c.control, c.cluster_id, _frame(c.frame)) for c in parsed.components)
    )


_CHANGE_DEBT_TAIL = struct.Struct("<iBBIHBiH")
_RECOVERY_METHOD = {m.value: m for m in RecoveryMethod}
_AMOUNT_TYPE = {m.value: m for m in DebtAmountType}
_FREQUENCY = {m.value: m for m in RecoveryFrequency}
_STATUS = {m.value: m for m in ZclStatus}


def _fast_frame(cluster_id: int, frame: bytes) -> ZclFrame:
    control, sequence, command_id = frame[0], frame[1], frame[2]
    if control & FC_MANUFACTURER:
        raise wire.Fallback
    frame_type = control & 0x03
    payload: ChangeDebt | DefaultResponse | bytes
    if frame_type == 0 and command_id == DEFAULT_RESPONSE:
        if len(frame) != 5:
            raise wire.Fallback
        payload = DefaultResponse(frame[3], _STATUS.get(frame[4], frame[4]))
    elif (
        frame_type == FC_CLUSTER_SPECIFIC
        and not control & FC_SERVER_TO_CLIENT
        and cluster_id == PREPAYMENT_CLUSTER
        and command_id == CHANGE_DEBT
    ):
        label_end = 8 + frame[7]
        if len(frame) != label_end + _CHANGE_DEBT_TAIL.size:
            raise wire.Fallback
        amount, method, kind, start, collection, frequency, recovery, percentage = (
            _CHANGE_DEBT_TAIL.unpack_from(frame, label_end)
        )
        payload = ChangeDebt(
            int.from_bytes(frame[3:7], "little"),
            amount,
            _RECOVERY_METHOD[method],
            _AMOUNT_TYPE[kind],
            start,
            collection,
            _FREQUENCY[frequency],
            recovery,
            percentage,
            frame[8:label_end],
        )
    else:
        payload = frame[3:]
    return ZclFrame(control, sequence, command_id, payload)


def _fast_decode(data: bytes) -> Gbz:
    """Hand-rolled fast path of GbzStruct for well-formed input."""
    if data[0] != 0x01 or data[1] != 0x09:
        raise wire.Fallback
    components = []
    pos = 3
    for _ in range(data[2]):
        control = data[pos]
        cluster_id = (data[pos + 1] << 8) | data[pos + 2]
        length = (data[pos + 3] << 8) | data[pos + 4]
        pos += 5
        frame = data[pos : pos + length]
        if len(frame) != length:
            raise wire.Fallback
        pos += length
        if control & (CONTROL_ENCRYPTED | CONTROL_FROM_DATE_TIME):
            components.append(GbzComponent(control, cluster_id, frame))
        else:
            components.append(GbzComponent(control, cluster_id, _fast_frame(cluster_id, frame)))
    if pos != len(data):
        raise wire.Fallback
    return Gbz(tuple(components))


def decode(data: bytes, base: int = 0, fast: bool = True) -> Gbz:
    """Decode a GBZ payload; malformed bytes raise DecodeError (offset from ``base``).

    ``fast`` tries a hand-rolled fast path first; whatever it does not accept
    goes to the construct definition, which alone decides errors.
    """
    if fast:
        try:
            return _fast_decode(data)
        except Exception:  # any doubt: let construct decide
            pass
    return from_container(wire.parse(GbzStruct, data, base))


def _payload_value(payload: ChangeDebt | DefaultResponse | bytes) -> Any:
    if isinstance(payload, ChangeDebt):
        return {
            "issuer_event_id": payload.issuer_event_id,
            "debt_label": payload.debt_label,
            "debt_amount": payload.debt_amount,
            "recovery_method": payload.recovery_method,
            "amount_type": payload.amount_type,
            "recovery_start_time": payload.recovery_start_time,
            "collection_time": payload.collection_time,
            "frequency": payload.frequency,
            "recovery_amount": payload.recovery_amount,
            "balance_percentage": payload.balance_percentage,
        }
    if isinstance(payload, DefaultResponse):
        return {"command_id": payload.command_id, "status": int(payload.status)}
    return payload


def _frame_value(frame: ZclFrame | bytes) -> Any:
    if isinstance(frame, bytes):
        return frame
    return {
        "frame_control": frame.frame_control,
        "manufacturer_code": frame.manufacturer_code,
        "sequence": frame.sequence,
        "command_id": frame.command_id,
        "payload": _payload_value(frame.payload),
    }


_CHANGE_DEBT_HEAD = struct.Struct("<IB")


def _fast_encode_payload(payload: ChangeDebt | DefaultResponse | bytes) -> bytes:
    if isinstance(payload, ChangeDebt):
        return b"".join(
            (
                _CHANGE_DEBT_HEAD.pack(payload.issuer_event_id, len(payload.debt_label)),
                payload.debt_label,
                _CHANGE_DEBT_TAIL.pack(
                    payload.debt_amount,
                    _RECOVERY_METHOD[payload.recovery_method],
                    _AMOUNT_TYPE[payload.amount_type],
                    payload.recovery_start_time,
                    payload.collection_time,
                    _FREQUENCY[payload.frequency],
                    payload.recovery_amount,
                    payload.balance_percentage,
                ),
            )
        )
    if isinstance(payload, DefaultResponse):
        return bytes((payload.command_id, int(payload.status)))
    if isinstance(payload, bytes):
        return payload
    raise wire.Fallback


def _fast_encode(gbz: Gbz) -> bytes:
    """Hand-rolled fast path of building GbzStruct (checked by tests)."""
    parts = [b"\x01\x09", bytes((len(gbz.components),))]
    for component in gbz.components:
        frame = component.frame
        if isinstance(frame, bytes):
            if not component.control & (CONTROL_ENCRYPTED | CONTROL_FROM_DATE_TIME):
                raise wire.Fallback
            body = frame
        else:
            if frame.manufacturer_code is not None or frame.frame_control & FC_MANUFACTURER:
                raise wire.Fallback
            if component.control & (CONTROL_ENCRYPTED | CONTROL_FROM_DATE_TIME):
                raise wire.Fallback
            body = bytes((frame.frame_control, frame.sequence, frame.command_id))
            body += _fast_encode_payload(frame.payload)
        parts += [
            bytes((component.control,)),
            component.cluster_id.to_bytes(2, "big"),
            len(body).to_bytes(2, "big"),
            body,
        ]
    data = b"".join(parts)
    if _fast_decode(data) != gbz:  # the payload kind must be what decode will see
        raise wire.Fallback
    return data


def encode(gbz: Gbz, fast: bool = True) -> bytes:
    """Encode a GBZ payload (the exact inverse of :func:`decode`)."""
    if fast:
        try:
            return _fast_encode(gbz)
        except Exception:  # any doubt: let construct decide
            pass
    value = {
        "components": [
            {"control": c.control, "cluster_id": c.cluster_id, "frame": _frame_value(c.frame)}
            for c in gbz.components
        ]
    }
    return wire.build(GbzStruct, value)


def change_debt_component(command: ChangeDebt, sequence: int, last: bool) -> GbzComponent:
    """A GBZ component carrying one Change Debt command (client to server)."""
    frame = ZclFrame(FC_CLUSTER_SPECIFIC, sequence, CHANGE_DEBT, command)
    return GbzComponent(CONTROL_LAST if last else 0, PREPAYMENT_CLUSTER, frame)


def default_response_component(
    command_id: int, status: ZclStatus | int, sequence: int, last: bool
) -> GbzComponent:
    """A GBZ component carrying one ZCL Default Response (server to client)."""
    frame = ZclFrame(
        FC_SERVER_TO_CLIENT, sequence, DEFAULT_RESPONSE, DefaultResponse(command_id, status)
    )
    return GbzComponent(CONTROL_LAST if last else 0, PREPAYMENT_CLUSTER, frame)


@dataclass(frozen=True, order=True, slots=True)
class ZclCommand:
    """Which ZigBee command a GBZ component carries on the SM HAN (SR-5).

    Cluster, frame type (cluster-specific or general), direction and command
    id: two components that agree on these use the same ZigBee command.
    """

    cluster_id: int
    cluster_specific: bool
    server_to_client: bool
    command_id: int

    def __str__(self) -> str:
        kind = "cluster-specific" if self.cluster_specific else "general"
        way = "server to client" if self.server_to_client else "client to server"
        return f"cluster 0x{self.cluster_id:04X} {kind} command 0x{self.command_id:02X} ({way})"


def zcl_commands(payload: Gbz) -> frozenset[ZclCommand]:
    """The ZigBee commands a GBZ payload uses (SR-5); ValidationError for an
    opaque frame, whose command cannot be told (it could hide a new one)."""
    found = set()
    for component in payload.components:
        frame = component.frame
        if not isinstance(frame, ZclFrame):
            raise ValidationError(
                "frame", f"opaque frame on cluster 0x{component.cluster_id:04X}: command unknown"
            )
        cluster_specific = (frame.frame_control & 0x03) == FC_CLUSTER_SPECIFIC
        to_client = bool(frame.frame_control & FC_SERVER_TO_CLIENT)
        found.add(ZclCommand(component.cluster_id, cluster_specific, to_client, frame.command_id))
    return frozenset(found)
