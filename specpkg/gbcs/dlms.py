"""xDLMS ACCESS service, the ESME payload (SR-2, BR-5).

* ACCESS-Request ``D9``: long-invoke-id-and-priority (4 bytes), date-time
  octet string (``00`` = absent), a count of request specifications (``01``
  get, ``02`` set, ``03`` action; class id, 6-byte OBIS instance, attribute or
  method id), then a count of A-XDR data items, one per specification.
* ACCESS-Response ``DA``: invoke id, date-time, an OPTIONAL echo of the
  request specifications (``00`` = absent, as in every reference response),
  a count of data items, then a count of response specifications (kind +
  result byte).

The three Debt Registers are Charge objects (interface class 113); the ESME
reset use cases act on them with a Charge method (SR-2). A response carries only
result codes and null data (BR-5).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from construct import (
    Bytes,
    Construct,
    ExplicitError,
    GreedyBytes,
    If,
    Int8sb,
    Int8ub,
    Int16sb,
    Int16ub,
    Int32sb,
    Int32ub,
    Int64sb,
    Int64ub,
    LazyBound,
    Pass,
    Struct,
    Subconstruct,
    Switch,
    Terminated,
    this,
)

from specpkg.errors import DecodeError, ValidationError
from specpkg.gbcs import wire
from specpkg.gbcs.envelope import EncodedLength, encode_length, read_length
from specpkg.gbcs.wire import NestingGuard, Reject
from specpkg.meter.registers import DebtRegister

ACCESS_REQUEST = 0xD9
ACCESS_RESPONSE = 0xDA
CHARGE_CLASS_ID = 113
INVOKE_ID_PRIORITY = 0x20000000


class DataType(IntEnum):
    """A-XDR data type tags."""

    NULL = 0x00
    ARRAY = 0x01
    STRUCTURE = 0x02
    BOOLEAN = 0x03
    BIT_STRING = 0x04
    DOUBLE_LONG = 0x05
    DOUBLE_LONG_UNSIGNED = 0x06
    OCTET_STRING = 0x09
    VISIBLE_STRING = 0x0A
    UTF8_STRING = 0x0C
    BCD = 0x0D
    INTEGER = 0x0F
    LONG = 0x10
    UNSIGNED = 0x11
    LONG_UNSIGNED = 0x12
    LONG64 = 0x14
    LONG64_UNSIGNED = 0x15
    ENUM = 0x16
    FLOAT32 = 0x17
    FLOAT64 = 0x18
    DATE_TIME = 0x19
    DATE = 0x1A
    TIME = 0x1B


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


class ChargeMethod(IntEnum):
    """The five methods of the Charge interface class 113 (SR-2)."""

    UPDATE_UNIT_CHARGE = 1
    ACTIVATE_PASSIVE_UNIT_CHARGE = 2
    COLLECT = 3
    UPDATE_TOTAL_AMOUNT_REMAINING = 4
    SET_TOTAL_AMOUNT_REMAINING = 5


@dataclass(frozen=True, order=True, slots=True)
class Obis:
    """An OBIS code (logical name), shown as ``A-B:C.D.E.F``."""

    a: int
    b: int
    c: int
    d: int
    e: int
    f: int

    @classmethod
    def from_bytes(cls, raw: bytes) -> Obis:
        if len(raw) != 6:
            raise ValidationError("obis", "an OBIS code is 6 bytes")
        return cls(*raw)

    @classmethod
    def parse(cls, text: str) -> Obis:
        """``"0-0:19.20.1.255"`` -> Obis."""
        try:
            ab, cdef = text.split(":")
            a, b = ab.split("-")
            parts = [int(a), int(b), *(int(p) for p in cdef.split("."))]
            return cls(*parts)
        except (ValueError, TypeError):
            raise ValidationError("obis", f"not an OBIS code: {text!r}") from None

    def __post_init__(self) -> None:
        for name in "abcdef":
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
                raise ValidationError("obis", f"{name} must be 0..255, got {value!r}")

    def __bytes__(self) -> bytes:
        return bytes((self.a, self.b, self.c, self.d, self.e, self.f))

    def __str__(self) -> str:
        return f"{self.a}-{self.b}:{self.c}.{self.d}.{self.e}.{self.f}"


DEBT_REGISTER_OBIS: dict[DebtRegister, Obis] = {
    DebtRegister.TIME_DEBT_1: Obis(0, 0, 19, 20, 1, 255),
    DebtRegister.TIME_DEBT_2: Obis(0, 0, 19, 20, 2, 255),
    DebtRegister.PAYMENT_DEBT: Obis(0, 0, 19, 20, 3, 255),
}
"""The Charge objects holding the three Debt Registers (SR-2)."""

OBIS_DEBT_REGISTER: dict[Obis, DebtRegister] = {v: k for k, v in DEBT_REGISTER_OBIS.items()}


def debt_register_of(obis: Obis) -> DebtRegister | None:
    """The Debt Register a Charge object OBIS code holds, if any."""
    return OBIS_DEBT_REGISTER.get(obis)


class CanonicalBoolean(Construct):
    """A-XDR boolean, accepted only as 00 or 01 so that it re-encodes exactly."""

    def _parse(self, stream: Any, context: Any, path: str) -> bool:
        value = Int8ub._parsereport(stream, context, path)
        if value > 1:
            stream.seek(stream.tell() - 1)
            raise ExplicitError(f"boolean {value:#04x} is not 00 or 01", path=path)
        return bool(value)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        return Int8ub._build(1 if obj else 0, stream, context, path)


class BoundedArray(Subconstruct):
    """A count-prefixed list whose count cannot exceed the bytes left (no huge
    allocations or long loops on hostile input)."""

    def _parse(self, stream: Any, context: Any, path: str) -> list[Any]:
        start = stream.tell()
        count = EncodedLength._parsereport(stream, context, path)
        here = stream.tell()
        left = len(stream.getbuffer()) - here if hasattr(stream, "getbuffer") else count
        if count > left:
            stream.seek(start)
            raise ExplicitError(f"count {count} exceeds the {left} bytes left", path=path)
        return [self.subcon._parsereport(stream, context, f"{path} -> [{i}]") for i in range(count)]

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        EncodedLength._build(len(obj), stream, context, path)
        for i, item in enumerate(obj):
            self.subcon._build(item, stream, context, f"{path} -> [{i}]")
        return obj


DataStruct: Construct = Struct(
    "type" / Int8ub,
    "value"
    / Switch(
        this.type,
        {
            DataType.NULL: Pass,
            DataType.ARRAY: BoundedArray(NestingGuard(LazyBound(lambda: DataStruct))),
            DataType.STRUCTURE: BoundedArray(NestingGuard(LazyBound(lambda: DataStruct))),
            DataType.BOOLEAN: CanonicalBoolean(),
            DataType.BIT_STRING: Struct(
                "bits" / EncodedLength, "data" / Bytes((this.bits + 7) // 8)
            ),
            DataType.DOUBLE_LONG: Int32sb,
            DataType.DOUBLE_LONG_UNSIGNED: Int32ub,
            DataType.OCTET_STRING: wire.Framed(EncodedLength, GreedyBytes),
            DataType.VISIBLE_STRING: wire.Framed(EncodedLength, GreedyBytes),
            DataType.UTF8_STRING: wire.Framed(EncodedLength, GreedyBytes),
            DataType.BCD: Int8sb,
            DataType.INTEGER: Int8sb,
            DataType.LONG: Int16sb,
            DataType.UNSIGNED: Int8ub,
            DataType.LONG_UNSIGNED: Int16ub,
            DataType.LONG64: Int64sb,
            DataType.LONG64_UNSIGNED: Int64ub,
            DataType.ENUM: Int8ub,
            DataType.FLOAT32: Bytes(4),
            DataType.FLOAT64: Bytes(8),
            DataType.DATE_TIME: Bytes(12),
            DataType.DATE: Bytes(5),
            DataType.TIME: Bytes(4),
        },
        default=Reject(lambda ctx: f"unknown A-XDR data type {ctx.type:#04x}"),
    ),
)
"""One A-XDR Data item (recursive for array and structure)."""

RequestSpecStruct = Struct(
    "kind" / Int8ub,
    "_known"
    / Switch(
        this.kind,
        {SpecKind.GET: Pass, SpecKind.SET: Pass, SpecKind.ACTION: Pass},
        default=Reject(lambda ctx: f"unsupported access request specification {ctx.kind:#04x}"),
    ),
    "class_id" / Int16ub,
    "instance" / Bytes(6),
    "id" / Int8ub,
)

ResponseSpecStruct = Struct(
    "kind" / Int8ub,
    "_known"
    / Switch(
        this.kind,
        {SpecKind.GET: Pass, SpecKind.SET: Pass, SpecKind.ACTION: Pass},
        default=Reject(lambda ctx: f"unsupported access response specification {ctx.kind:#04x}"),
    ),
    "result" / Int8ub,
)

AccessRequestStruct = Struct(
    "tag" / wire.Fixed(bytes([ACCESS_REQUEST])),
    "invoke_id" / Int32ub,
    "date_time" / wire.Framed(EncodedLength, GreedyBytes),
    "specs" / BoundedArray(RequestSpecStruct),
    "data" / BoundedArray(DataStruct),
    Terminated,
)
"""xDLMS ACCESS-Request."""

AccessResponseStruct = Struct(
    "tag" / wire.Fixed(bytes([ACCESS_RESPONSE])),
    "invoke_id" / Int32ub,
    "date_time" / wire.Framed(EncodedLength, GreedyBytes),
    "has_request_specs" / CanonicalBoolean(),
    "request_specs" / If(this.has_request_specs, BoundedArray(RequestSpecStruct)),
    "data" / BoundedArray(DataStruct),
    "specs" / BoundedArray(ResponseSpecStruct),
    Terminated,
)
"""xDLMS ACCESS-Response."""

_SCALAR_INT = {
    DataType.DOUBLE_LONG: (-(2**31), 2**31 - 1),
    DataType.DOUBLE_LONG_UNSIGNED: (0, 2**32 - 1),
    DataType.BCD: (-128, 127),
    DataType.INTEGER: (-128, 127),
    DataType.LONG: (-(2**15), 2**15 - 1),
    DataType.UNSIGNED: (0, 255),
    DataType.LONG_UNSIGNED: (0, 2**16 - 1),
    DataType.LONG64: (-(2**63), 2**63 - 1),
    DataType.LONG64_UNSIGNED: (0, 2**64 - 1),
    DataType.ENUM: (0, 255),
}


@dataclass(frozen=True, slots=True)
class Data:
    """An A-XDR value: its type and a Python value (int, bool, bytes, None,
    a tuple of Data for array/structure, (bits, bytes) for bit-string)."""

    type: DataType
    value: Any = None

    def __post_init__(self) -> None:
        bounds = _SCALAR_INT.get(self.type)
        if bounds is not None:
            v = self.value
            if isinstance(v, bool) or not isinstance(v, int) or not bounds[0] <= v <= bounds[1]:
                raise ValidationError(self.type.name.lower(), f"{v!r} out of range {bounds}")
        if self.type in (DataType.ARRAY, DataType.STRUCTURE):
            object.__setattr__(self, "value", tuple(self.value))

    def plain(self) -> Any:
        """The value with nested Data flattened to lists (for tables and JSON)."""
        if self.type in (DataType.ARRAY, DataType.STRUCTURE):
            return [item.plain() for item in self.value]
        if isinstance(self.value, bytes):
            return self.value.hex().upper()
        if self.type is DataType.BIT_STRING:
            return [self.value[0], self.value[1].hex().upper()]
        return self.value


NULL = Data(DataType.NULL)


def integer(value: int) -> Data:
    return Data(DataType.INTEGER, value)


def long(value: int) -> Data:
    return Data(DataType.LONG, value)


def long_unsigned(value: int) -> Data:
    return Data(DataType.LONG_UNSIGNED, value)


def double_long(value: int) -> Data:
    return Data(DataType.DOUBLE_LONG, value)


def double_long_unsigned(value: int) -> Data:
    return Data(DataType.DOUBLE_LONG_UNSIGNED, value)


def octet_string(value: bytes) -> Data:
    return Data(DataType.OCTET_STRING, bytes(value))


def structure(*items: Data) -> Data:
    return Data(DataType.STRUCTURE, items)


def array(*items: Data) -> Data:
    return Data(DataType.ARRAY, items)


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
        if self.kind is SpecKind.ACTION and self.class_id == CHARGE_CLASS_ID:
            try:
                return ChargeMethod(self.id)
            except ValueError:
                return None
        return None

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


def _data(parsed: Any) -> Data:
    kind = DataType(parsed.type)
    value = parsed.value
    if kind in (DataType.ARRAY, DataType.STRUCTURE):
        return Data(kind, tuple(_data(item) for item in value))
    if kind is DataType.BIT_STRING:
        return Data(kind, (value.bits, value.data))
    return Data(kind, value)


def _data_value(item: Data) -> Any:
    if item.type in (DataType.ARRAY, DataType.STRUCTURE):
        return {"type": int(item.type), "value": [_data_value(i) for i in item.value]}
    if item.type is DataType.BIT_STRING:
        bits, raw = item.value
        return {"type": int(item.type), "value": {"bits": bits, "data": raw}}
    return {"type": int(item.type), "value": item.value}


def _result(value: int) -> AccessResult | int:
    try:
        return AccessResult(value)
    except ValueError:
        return value


def _request_specs(parsed: Any) -> tuple[RequestSpec, ...]:
    return tuple(
        RequestSpec(SpecKind(s.kind), s.class_id, Obis.from_bytes(s.instance), s.id) for s in parsed
    )


def _request_spec_values(specs: tuple[RequestSpec, ...]) -> list[dict[str, Any]]:
    return [
        {
            "kind": int(s.kind),
            "class_id": s.class_id,
            "instance": bytes(s.instance),
            "id": s.id,
            "_known": None,
        }
        for s in specs
    ]


_FIXED = {
    DataType.DOUBLE_LONG: (4, True),
    DataType.DOUBLE_LONG_UNSIGNED: (4, False),
    DataType.BCD: (1, True),
    DataType.INTEGER: (1, True),
    DataType.LONG: (2, True),
    DataType.UNSIGNED: (1, False),
    DataType.LONG_UNSIGNED: (2, False),
    DataType.LONG64: (8, True),
    DataType.LONG64_UNSIGNED: (8, False),
    DataType.ENUM: (1, False),
}
_FIXED_BY_TAG = {int(k): (DataType(k), n, signed) for k, (n, signed) in _FIXED.items()}
_STRING_TAGS = {
    int(t): DataType(t)
    for t in (DataType.OCTET_STRING, DataType.VISIBLE_STRING, DataType.UTF8_STRING)
}
_NULL = Data(DataType.NULL)
_set = object.__setattr__


def _trusted(kind: DataType, value: Any) -> Data:
    """A Data made from decoded bytes, whose range is right by construction."""
    item = object.__new__(Data)
    _set(item, "type", kind)
    _set(item, "value", value)
    return item


def _fast_data(data: bytes, pos: int, depth: int) -> tuple[Data, int]:
    tag = data[pos]
    pos += 1
    fixed = _FIXED_BY_TAG.get(tag)
    if fixed is not None:
        kind, size, signed = fixed
        raw = data[pos : pos + size]
        if len(raw) != size:
            raise wire.Fallback
        return _trusted(kind, int.from_bytes(raw, "big", signed=signed)), pos + size
    if tag == 0:
        return _NULL, pos
    if tag in _STRING_TAGS:
        length, pos = read_length(data, pos)
        raw = data[pos : pos + length]
        if len(raw) != length:
            raise wire.Fallback
        return _trusted(_STRING_TAGS[tag], raw), pos + length
    if tag in (1, 2) and depth < wire.MAX_NESTING:
        count, pos = read_length(data, pos)
        items = []
        for _ in range(count):
            item, pos = _fast_data(data, pos, depth + 1)
            items.append(item)
        return _trusted(DataType.ARRAY if tag == 1 else DataType.STRUCTURE, tuple(items)), pos
    raise wire.Fallback


_SPEC_KIND = {k.value: k for k in SpecKind}
_RESULT = {r.value: r for r in AccessResult}
_OBIS_CACHE: dict[bytes, Obis] = {}


def _obis(raw: bytes) -> Obis:
    obis = _OBIS_CACHE.get(raw)
    if obis is None:
        obis = Obis.from_bytes(raw)
        if len(_OBIS_CACHE) < 1024:
            _OBIS_CACHE[raw] = obis
    return obis


def _fast_request_specs(data: bytes, pos: int) -> tuple[tuple[RequestSpec, ...], int]:
    count, pos = read_length(data, pos)
    specs = []
    for _ in range(count):
        if pos + 10 > len(data):
            raise wire.Fallback
        specs.append(
            RequestSpec(
                _SPEC_KIND[data[pos]],
                (data[pos + 1] << 8) | data[pos + 2],
                _obis(data[pos + 3 : pos + 9]),
                data[pos + 9],
            )
        )
        pos += 10
    return tuple(specs), pos


def _fast_data_list(data: bytes, pos: int) -> tuple[tuple[Data, ...], int]:
    count, pos = read_length(data, pos)
    items = []
    for _ in range(count):
        item, pos = _fast_data(data, pos, 1)
        items.append(item)
    return tuple(items), pos


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
    if fast:
        try:
            return _fast_decode(data)
        except Exception:  # any doubt: let construct decide
            pass
    if not data:
        raise DecodeError(base, "empty xDLMS APDU")
    if data[0] == ACCESS_REQUEST:
        req = wire.parse(AccessRequestStruct, data, base)
        return AccessRequest(
            invoke_id=req.invoke_id,
            specs=_request_specs(req.specs),
            data=tuple(_data(d) for d in req.data),
            date_time=req.date_time,
        )
    if data[0] == ACCESS_RESPONSE:
        rsp = wire.parse(AccessResponseStruct, data, base)
        return AccessResponse(
            invoke_id=rsp.invoke_id,
            data=tuple(_data(d) for d in rsp.data),
            specs=tuple(ResponseSpec(SpecKind(s.kind), _result(s.result)) for s in rsp.specs),
            date_time=rsp.date_time,
            request_specs=None if rsp.request_specs is None else _request_specs(rsp.request_specs),
        )
    raise DecodeError(base, f"xDLMS tag {data[0]:02X} is not ACCESS-Request D9 or -Response DA")


def _fast_encode_data(item: Data, parts: list[bytes]) -> None:
    kind = item.type
    fixed = _FIXED.get(kind)
    if fixed is not None:
        size, signed = fixed
        parts.append(bytes((kind,)) + item.value.to_bytes(size, "big", signed=signed))
    elif kind is DataType.NULL:
        parts.append(b"\x00")
    elif kind in (DataType.ARRAY, DataType.STRUCTURE):
        parts.append(bytes((kind,)) + encode_length(len(item.value)))
        for child in item.value:
            _fast_encode_data(child, parts)
    elif kind in (DataType.OCTET_STRING, DataType.VISIBLE_STRING, DataType.UTF8_STRING):
        parts.append(bytes((kind,)) + encode_length(len(item.value)) + item.value)
    else:
        raise wire.Fallback


def _fast_encode(apdu: AccessRequest | AccessResponse) -> bytes:
    """Hand-rolled fast path of building the ACCESS structs (checked by tests)."""
    parts = [
        bytes((ACCESS_REQUEST if isinstance(apdu, AccessRequest) else ACCESS_RESPONSE,)),
        apdu.invoke_id.to_bytes(4, "big"),
        encode_length(len(apdu.date_time)),
        apdu.date_time,
    ]
    if isinstance(apdu, AccessRequest):
        parts.append(encode_length(len(apdu.specs)))
        for s in apdu.specs:
            parts.append(
                bytes((_SPEC_KIND[s.kind],))
                + s.class_id.to_bytes(2, "big")
                + bytes(s.instance)
                + bytes((s.id,))
            )
    elif apdu.request_specs is not None:
        raise wire.Fallback
    else:
        parts.append(b"\x00")
    parts.append(encode_length(len(apdu.data)))
    for item in apdu.data:
        _fast_encode_data(item, parts)
    if isinstance(apdu, AccessResponse):
        parts.append(encode_length(len(apdu.specs)))
        for r in apdu.specs:
            parts.append(bytes((_SPEC_KIND[r.kind], int(r.result))))
    return b"".join(parts)


def encode(apdu: AccessRequest | AccessResponse, fast: bool = True) -> bytes:
    """Encode an ACCESS-Request or -Response (the exact inverse of :func:`decode`)."""
    if fast and isinstance(apdu, AccessRequest | AccessResponse):
        try:
            return _fast_encode(apdu)
        except Exception:  # any doubt: let construct decide
            pass
    if isinstance(apdu, AccessRequest):
        value = {
            "invoke_id": apdu.invoke_id,
            "date_time": apdu.date_time,
            "specs": _request_spec_values(apdu.specs),
            "data": [_data_value(d) for d in apdu.data],
        }
        return wire.build(AccessRequestStruct, value)
    value = {
        "invoke_id": apdu.invoke_id,
        "date_time": apdu.date_time,
        "has_request_specs": apdu.request_specs is not None,
        "request_specs": None
        if apdu.request_specs is None
        else _request_spec_values(apdu.request_specs),
        "data": [_data_value(d) for d in apdu.data],
        "specs": [
            {"kind": int(s.kind), "result": int(s.result), "_known": None} for s in apdu.specs
        ],
    }
    return wire.build(AccessResponseStruct, value)


def encode_data(item: Data) -> bytes:
    """The A-XDR encoding of one Data item (type tag included)."""
    return wire.build(DataStruct, _data_value(item))
