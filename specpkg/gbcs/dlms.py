"""xDLMS ACCESS service, the ESME payload (SR-2, BR-5).

* ACCESS-Request ``D9``: long-invoke-id-and-priority (4 bytes), date-time
  octet string (``00`` = absent), a count of request specifications (``01``
  get, ``02`` set, ``03`` action; class id, 6-byte OBIS instance, attribute or
  method id), then a count of A-XDR data items (:mod:`specpkg.gbcs.axdr`), one
  per specification.
* ACCESS-Response ``DA``: invoke id, date-time, an OPTIONAL echo of the
  request specifications (``00`` = absent, as in every reference response),
  a count of data items, then a count of response specifications (kind +
  result byte).

The three Debt Registers are Charge objects (interface class 113); the ESME
reset use cases act on them with a Charge method (SR-2). A response carries only
result codes and null data (BR-5). Each layout is defined once, in the structs
below (typed values and dump rows); :func:`decode` and :func:`encode` try a
hand-rolled fast path first, checked equal by the property tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from construct import (
    Adapter,
    Bytes,
    Construct,
    GreedyBytes,
    If,
    Int8ub,
    Int16ub,
    Int32ub,
    Rebuild,
    Struct,
    Terminated,
    this,
)

from specpkg.errors import ValidationError
from specpkg.gbcs import wire
from specpkg.gbcs.axdr import (
    NULL,
    CanonicalBoolean,
    Data,
    DataStruct,
    DataType,
    array,
    double_long,
    double_long_unsigned,
    encode_data,
    fast_data_bytes,
    fast_items,
    integer,
    long,
    long_unsigned,
    octet_string,
    structure,
)
from specpkg.gbcs.cosem import (
    CHARGE_CLASS_ID,
    DEBT_REGISTER_OBIS,
    OBIS_DEBT_REGISTER,
    ChargeMethod,
    Obis,
    charge_method,
    debt_register_of,
)
from specpkg.gbcs.typed import OpenEnum, StrictEnum, Typed
from specpkg.gbcs.wire import (
    ByTag,
    Counted,
    EncodedLength,
    Fixed,
    Framed,
    Shown,
    encode_length,
    read_length,
)
from specpkg.meter.registers import DebtRegister

__all__ = [  # the A-XDR and COSEM names ACCESS users reach through this module
    "CHARGE_CLASS_ID", "DEBT_REGISTER_OBIS", "NULL", "OBIS_DEBT_REGISTER", "ChargeMethod", "Data",
    "DataType", "Obis", "array", "debt_register_of", "double_long", "double_long_unsigned",
    "encode_data", "integer", "long", "long_unsigned", "octet_string", "structure",
]

ACCESS_REQUEST = 0xD9
ACCESS_RESPONSE = 0xDA
INVOKE_ID_PRIORITY = 0x20000000


class SpecKind(IntEnum):
    """ACCESS request/response specification kinds."""

    GET = 0x01
    SET = 0x02
    ACTION = 0x03


class AccessResult(IntEnum):
    """Data-access-result / action-result codes of an ACCESS-Response."""

    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_ACTION_ABORTED = 15
    NO_LONG_ACTION_IN_PROGRESS = 16
    OTHER_REASON = 250


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """One ACCESS request specification: get/set an attribute or invoke a method."""

    kind: SpecKind
    class_id: int
    instance: Obis
    id: int

    @property
    def method(self) -> ChargeMethod | None:
        """The Charge method, for an action on a Charge object."""
        return charge_method(self.class_id, self.id) if self.kind is SpecKind.ACTION else None

    @property
    def register(self) -> DebtRegister | None:
        return debt_register_of(self.instance) if self.class_id == CHARGE_CLASS_ID else None


@dataclass(frozen=True, slots=True)
class ResponseSpec:
    """One ACCESS response specification: kind and result (BR-5)."""

    kind: SpecKind
    result: AccessResult | int

    @property
    def success(self) -> bool:
        return self.result == AccessResult.SUCCESS


@dataclass(frozen=True, slots=True)
class AccessRequest:
    """xDLMS ACCESS-Request: specifications and one data item each (SR-2)."""

    invoke_id: int
    specs: tuple[RequestSpec, ...]
    data: tuple[Data, ...]
    date_time: bytes = b""

    def __post_init__(self) -> None:
        object.__setattr__(self, "specs", tuple(self.specs))
        object.__setattr__(self, "data", tuple(self.data))


@dataclass(frozen=True, slots=True)
class AccessResponse:
    """xDLMS ACCESS-Response: data items and results (BR-5: no register values)."""

    invoke_id: int
    data: tuple[Data, ...]
    specs: tuple[ResponseSpec, ...]
    date_time: bytes = b""
    request_specs: tuple[RequestSpec, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "specs", tuple(self.specs))
        object.__setattr__(self, "data", tuple(self.data))
        if self.request_specs is not None:
            object.__setattr__(self, "request_specs", tuple(self.request_specs))


def invoke_id_for(originator_counter: int) -> int:
    """``20`` + the low three bytes of the originator counter."""
    return INVOKE_ID_PRIORITY | (originator_counter & 0xFFFFFF)


class _ObisBytes(Adapter):
    def _decode(self, obj: bytes, context: Any, path: str) -> Obis:
        return Obis.from_bytes(obj)

    def _encode(self, obj: Obis, context: Any, path: str) -> bytes:
        return bytes(obj)


def _instance_meaning(value: Obis, context: Any) -> str:
    register = debt_register_of(value) if context.class_id == CHARGE_CLASS_ID else None
    return register.label if register else ""


def _id_meaning(value: int, context: Any) -> str:
    action = context.kind is SpecKind.ACTION
    method = charge_method(context.class_id, value) if action else None
    return method.name.lower() if method else ""


def _kind_name(value: SpecKind) -> str:
    return value.name.lower()


RequestSpecStruct = Typed(Struct(
    "kind" / Shown(StrictEnum(Int8ub, SpecKind, "access request specification"), "kind",
                   show=_kind_name),
    "class_id" / Shown(Int16ub, "class id",
                       lambda v, _: "Charge" if v == CHARGE_CLASS_ID else ""),
    "instance" / Shown(_ObisBytes(Bytes(6)), "instance (OBIS)", _instance_meaning, show=str),
    "id" / Shown(Int8ub, lambda ctx: "method id" if ctx.kind is SpecKind.ACTION
                 else "attribute id", _id_meaning),
), RequestSpec)

ResponseSpecStruct = Typed(Struct(
    "kind" / Shown(StrictEnum(Int8ub, SpecKind, "access response specification"), "kind",
                   show=_kind_name),
    "result" / Shown(OpenEnum(Int8ub, AccessResult), "result",
                     lambda v, _: v.name if isinstance(v, AccessResult) else "unknown",
                     show=lambda v: str(int(v))),
), ResponseSpec)


def _head(tag: int, name: str) -> list[Construct]:
    """Tag, invoke id and date-time: the start of both ACCESS APDUs."""
    return [
        "tag" / Shown(Fixed(bytes([tag])), "xDLMS tag", name, show=f"{tag:02X}"),
        "invoke_id" / Shown(Int32ub, "long-invoke-id-and-priority", show=lambda v: f"0x{v:08X}"),
        "date_time" / Framed(
            Shown(EncodedLength, "date-time length", lambda v, _: "" if v else "00 = no date-time"),
            Shown(GreedyBytes, "date-time")),
    ]


def _request_specs() -> Construct:
    return Counted(EncodedLength, RequestSpecStruct, "request specification count", "spec[{i}]")


def _data_items() -> Construct:
    return Counted(EncodedLength, DataStruct, "data count", "data[{i}]")


AccessRequestStruct = Typed(Struct(
    *_head(ACCESS_REQUEST, "ACCESS-Request"),
    "specs" / _request_specs(),
    "data" / _data_items(),
    Terminated,
), AccessRequest)
"""xDLMS ACCESS-Request."""

AccessResponseStruct = Typed(Struct(
    *_head(ACCESS_RESPONSE, "ACCESS-Response"),
    "has_request_specs" / Rebuild(Shown(CanonicalBoolean(), "request specifications present"),
                                  lambda ctx: ctx.request_specs is not None),
    "request_specs" / If(this.has_request_specs, _request_specs()),
    "data" / _data_items(),
    "specs" / Counted(EncodedLength, ResponseSpecStruct, "response specification count",
                      "response[{i}]"),
    Terminated,
), AccessResponse)
"""xDLMS ACCESS-Response."""


XdlmsStruct = ByTag({ACCESS_REQUEST: (AccessRequest, AccessRequestStruct),
                     ACCESS_RESPONSE: (AccessResponse, AccessResponseStruct)},
                    "an xDLMS ACCESS-Request D9 or -Response DA")
"""The ESME payload: an ACCESS-Request or -Response."""

# --- fast paths ------------------------------------------------------------------------

_SPEC_KIND = {k.value: k for k in SpecKind}
_RESULT = {r.value: r for r in AccessResult}
SPECS_KEPT = 1024
"""How many request specifications the fast path keeps, keyed by their 10 bytes."""
_SPECS: dict[bytes, RequestSpec] = {}


def _spec(raw: bytes) -> RequestSpec:
    """The request specification of 10 bytes (kind, class id, OBIS, id), interned."""
    spec = _SPECS.get(raw)
    if spec is None:
        spec = RequestSpec(_SPEC_KIND[raw[0]], (raw[1] << 8) | raw[2], Obis(*raw[3:9]), raw[9])
        if len(_SPECS) < SPECS_KEPT:
            _SPECS[raw] = spec
    return spec


def _fast_request_specs(data: bytes, pos: int) -> tuple[tuple[RequestSpec, ...], int]:
    count, pos = read_length(data, pos)
    end = pos + 10 * count
    if end > len(data):
        raise wire.Fallback
    return tuple(_spec(data[p : p + 10]) for p in range(pos, end, 10)), end


def _fast_data_list(data: bytes, pos: int) -> tuple[tuple[Data, ...], int]:
    count, pos = read_length(data, pos)
    return fast_items(data, pos, count)


def _fast_decode(data: bytes) -> AccessRequest | AccessResponse:
    """Hand-rolled fast path of the ACCESS structs for well-formed input."""
    invoke_id = int.from_bytes(data[1:5], "big")
    date_length, pos = read_length(data, 5)
    date_time = data[pos : pos + date_length]
    if len(date_time) != date_length:
        raise wire.Fallback
    pos += date_length
    result: AccessRequest | AccessResponse
    if data[0] == ACCESS_REQUEST:
        specs, pos = _fast_request_specs(data, pos)
        items, pos = _fast_data_list(data, pos)
        result = AccessRequest(invoke_id, specs, items, date_time)
    elif data[0] == ACCESS_RESPONSE:
        if data[pos] != 0:
            raise wire.Fallback
        items, pos = _fast_data_list(data, pos + 1)
        count, pos = read_length(data, pos)
        if pos + 2 * count > len(data):
            raise wire.Fallback
        rsp = tuple(
            ResponseSpec(_SPEC_KIND[data[p]], _RESULT.get(data[p + 1], data[p + 1]))
            for p in range(pos, pos + 2 * count, 2)
        )
        pos += 2 * count
        result = AccessResponse(invoke_id, items, rsp, date_time)
    else:
        raise wire.Fallback
    if pos != len(data):
        raise wire.Fallback
    return result


def decode(data: bytes, base: int = 0, fast: bool = True) -> AccessRequest | AccessResponse:
    """Decode an ACCESS-Request or -Response; malformed bytes raise DecodeError.

    ``fast`` tries a hand-rolled fast path first; whatever it does not accept
    goes to the construct definition, which alone decides errors.
    """
    return wire.fast_first((lambda: _fast_decode(data)) if fast else None,
                           lambda: wire.parse(XdlmsStruct, data, base))


def _fast_encode(apdu: AccessRequest | AccessResponse) -> bytes:
    """Hand-rolled fast path of building the ACCESS structs (checked by tests)."""
    request = isinstance(apdu, AccessRequest)
    parts = [
        bytes((ACCESS_REQUEST if request else ACCESS_RESPONSE,)),
        apdu.invoke_id.to_bytes(4, "big"),
        encode_length(len(apdu.date_time)),
        apdu.date_time,
    ]
    if isinstance(apdu, AccessRequest):
        parts.append(encode_length(len(apdu.specs)))
        for s in apdu.specs:
            parts.append(bytes((_SPEC_KIND[s.kind],)) + s.class_id.to_bytes(2, "big")
                         + bytes(s.instance) + bytes((s.id,)))
    elif apdu.request_specs is not None:
        raise wire.Fallback
    else:
        parts.append(b"\x00")
    parts.append(encode_length(len(apdu.data)))
    for item in apdu.data:
        fast_data_bytes(item, parts)
    if isinstance(apdu, AccessResponse):
        parts.append(encode_length(len(apdu.specs)))
        for r in apdu.specs:
            parts.append(bytes((_SPEC_KIND[r.kind], int(r.result))))
    return b"".join(parts)


def encode(apdu: AccessRequest | AccessResponse, fast: bool = True) -> bytes:
    """Encode an ACCESS-Request or -Response (the exact inverse of :func:`decode`)."""
    if not isinstance(apdu, AccessRequest | AccessResponse):
        raise ValidationError("payload", f"not an ACCESS APDU: {type(apdu).__name__}")
    return wire.fast_first((lambda: _fast_encode(apdu)) if fast else None,
                           lambda: wire.build(XdlmsStruct, apdu))
