"""A-XDR Data, the values inside an xDLMS ACCESS-Request or -Response (SR-2, BR-5).

One item is a type tag and a value: integers (big-endian, signed or not),
strings (encoded length + bytes), bit strings (bit count + bytes), fixed-size
floats and dates, and arrays or structures (count + items, recursively).

The layout is defined once in :data:`DataStruct` (typed values and dump rows);
:func:`fast_items` and :func:`fast_data_bytes` are the hand-rolled fast paths,
checked equal by the property tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from construct import (
    Adapter,
    Bytes,
    Construct,
    ExplicitError,
    GreedyBytes,
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
    Switch,
    this,
)

from specpkg.errors import ValidationError
from specpkg.gbcs import wire
from specpkg.gbcs.typed import StrictEnum, Typed
from specpkg.gbcs.wire import (
    Counted,
    EncodedLength,
    Framed,
    NestingGuard,
    Shown,
    encode_length,
    read_length,
)


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


_INTEGERS: dict[DataType, tuple[Construct, int, bool]] = {
    DataType.DOUBLE_LONG: (Int32sb, 4, True),
    DataType.DOUBLE_LONG_UNSIGNED: (Int32ub, 4, False),
    DataType.BCD: (Int8sb, 1, True),
    DataType.INTEGER: (Int8sb, 1, True),
    DataType.LONG: (Int16sb, 2, True),
    DataType.UNSIGNED: (Int8ub, 1, False),
    DataType.LONG_UNSIGNED: (Int16ub, 2, False),
    DataType.LONG64: (Int64sb, 8, True),
    DataType.LONG64_UNSIGNED: (Int64ub, 8, False),
    DataType.ENUM: (Int8ub, 1, False),
}
"""The integer types: construct, size in bytes, signed."""

_FIXED_BYTES = {DataType.FLOAT32: 4, DataType.FLOAT64: 8, DataType.DATE_TIME: 12,
                DataType.DATE: 5, DataType.TIME: 4}
_STRINGS = (DataType.OCTET_STRING, DataType.VISIBLE_STRING, DataType.UTF8_STRING)
_LISTS = (DataType.ARRAY, DataType.STRUCTURE)


def _bounds(size: int, signed: bool) -> tuple[int, int]:
    bits = 8 * size
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


_RANGE = {kind: _bounds(size, signed) for kind, (_, size, signed) in _INTEGERS.items()}


@dataclass(frozen=True, slots=True)
class Data:
    """An A-XDR value: its type and a Python value (int, bool, bytes, None,
    a tuple of Data for array/structure, (bits, bytes) for bit-string)."""

    type: DataType
    value: Any = None

    def __post_init__(self) -> None:
        bounds = _RANGE.get(self.type)
        if bounds is not None:
            v = self.value
            if isinstance(v, bool) or not isinstance(v, int) or not bounds[0] <= v <= bounds[1]:
                raise ValidationError(self.type.name.lower(), f"{v!r} out of range {bounds}")
        if self.type in _LISTS:
            object.__setattr__(self, "value", tuple(self.value))

    def plain(self) -> Any:
        """The value with nested Data flattened to lists (for tables and JSON)."""
        if self.type in _LISTS:
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


class _BitString(Adapter):
    """A bit string as (number of bits, bytes)."""

    def _decode(self, obj: Any, context: Any, path: str) -> tuple[int, bytes]:
        return (obj.bits, obj.data)

    def _encode(self, obj: tuple[int, bytes], context: Any, path: str) -> dict[str, Any]:
        return {"bits": obj[0], "data": obj[1]}


def _items() -> Construct:
    return Counted(EncodedLength, NestingGuard(LazyBound(lambda: DataStruct)), "count",
                   "{outer}.{i}")


DataStruct: Construct = Typed(Struct(
    "type" / Shown(StrictEnum(Int8ub, DataType, "A-XDR data type"), "type",
                   show=lambda v: v.name.lower()),
    "value" / Switch(this.type, {
        DataType.NULL: Pass,
        DataType.ARRAY: _items(),
        DataType.STRUCTURE: _items(),
        DataType.BOOLEAN: Shown(CanonicalBoolean(), "value"),
        DataType.BIT_STRING: _BitString(Struct(
            "bits" / Shown(EncodedLength, "bit length"),
            "data" / Shown(Bytes((this.bits + 7) // 8), "value"),
        )),
        **{kind: Framed(Shown(EncodedLength, "length"), Shown(GreedyBytes, "value"))
           for kind in _STRINGS},
        **{kind: Shown(con, "value") for kind, (con, _, _) in _INTEGERS.items()},
        **{kind: Shown(Bytes(size), "value") for kind, size in _FIXED_BYTES.items()},
    }),
), Data)
"""One A-XDR Data item (recursive for array and structure)."""

# --- fast paths ------------------------------------------------------------------------

_FIXED_BY_TAG = {int(k): (k, size, signed) for k, (_, size, signed) in _INTEGERS.items()}
_STRING_TAGS = {int(t): t for t in _STRINGS}
_set = object.__setattr__
_new = object.__new__

INTERNED_KEPT = 4096
"""How many short leaf items (integers, strings up to 16 bytes) the fast path keeps,
keyed by their bytes: the same bytes always decode to the same immutable value."""
_INTERNED: dict[bytes, Data] = {}


def _trusted(kind: DataType, value: Any) -> Data:
    """A Data made from decoded bytes, whose range is right by construction."""
    item = _new(Data)
    _set(item, "type", kind)
    _set(item, "value", value)
    return item


def _intern(raw: bytes, item: Data) -> Data:
    if len(_INTERNED) < INTERNED_KEPT:
        _INTERNED[raw] = item
    return item


_LIST_KIND = {int(DataType.ARRAY): DataType.ARRAY, int(DataType.STRUCTURE): DataType.STRUCTURE}


def fast_items(data: bytes, pos: int, count: int) -> tuple[tuple[Data, ...], int]:
    """Hand-rolled fast path of ``count`` DataStruct items from ``pos``: (items,
    next position); raises wire.Fallback (or IndexError) when in doubt.

    Iterative, with a stack of the arrays and structures being filled.
    """
    top: list[Data] = []
    items, remaining = top, count
    open_lists: list[tuple[list[Data], int, DataType]] = []
    fixed_of, interned = _FIXED_BY_TAG.get, _INTERNED.get
    while True:
        if remaining == 0:
            if not open_lists:
                return tuple(top), pos
            parent, remaining, kind = open_lists.pop()
            parent.append(_trusted(kind, tuple(items)))
            items = parent
            continue
        remaining -= 1
        tag = data[pos]
        fixed = fixed_of(tag)
        if fixed is not None:
            end = pos + 1 + fixed[1]
            raw = data[pos:end]
            item = interned(raw)
            if item is None:
                if len(raw) != fixed[1] + 1:
                    raise wire.Fallback
                value = int.from_bytes(raw[1:], "big", signed=fixed[2])
                item = _intern(raw, _trusted(fixed[0], value))
            items.append(item)
            pos = end
        elif tag == 0:
            items.append(NULL)
            pos += 1
        elif tag in _LIST_KIND:
            if len(open_lists) + 1 >= wire.MAX_NESTING:
                raise wire.Fallback
            open_lists.append((items, remaining, _LIST_KIND[tag]))
            remaining, pos = read_length(data, pos + 1)
            items = []
        elif tag in _STRING_TAGS:
            length, start = read_length(data, pos + 1)
            end = start + length
            if end > len(data):
                raise wire.Fallback
            raw = data[pos:end]
            item = interned(raw) if length <= 16 else None
            if item is None:
                item = _trusted(_STRING_TAGS[tag], data[start:end])
                if length <= 16:
                    _intern(raw, item)
            items.append(item)
            pos = end
        else:
            raise wire.Fallback


def fast_data_bytes(item: Data, parts: list[bytes]) -> None:
    """Hand-rolled fast path of building DataStruct: appends the item's bytes to ``parts``."""
    kind = item.type
    fixed = _INTEGERS.get(kind)
    if fixed is not None:
        _, size, signed = fixed
        parts.append(bytes((kind,)) + item.value.to_bytes(size, "big", signed=signed))
    elif kind is DataType.NULL:
        parts.append(b"\x00")
    elif kind in _LISTS:
        parts.append(bytes((kind,)) + encode_length(len(item.value)))
        for child in item.value:
            fast_data_bytes(child, parts)
    elif kind in _STRINGS:
        parts.append(bytes((kind,)) + encode_length(len(item.value)) + item.value)
    else:
        raise wire.Fallback


def encode_data(item: Data) -> bytes:
    """The A-XDR encoding of one Data item (type tag included)."""
    return wire.build(DataStruct, item)
