"""Shared building blocks of the wire codecs (SR-1, SR-2).

Every codec module (``envelope``, ``zcl``, ``gbz``, ``axdr``, ``dlms``) defines
each wire layout once, as a ``construct`` struct whose fields say how the
annotated dump shows them (:class:`Shown`) and which adapter of
:mod:`specpkg.gbcs.typed` maps it straight to the module's frozen dataclass.
This module also turns construct's many exception types, and the odd
``RecursionError`` from hostile input, into one ``DecodeError(offset, reason)``
whose offset is absolute in the message, and records the dump rows
(:func:`record`) while a construct parses.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from enum import IntEnum
from typing import Any, TypeVar

from construct import (
    Construct,
    ConstructError,
    ExplicitError,
    Subconstruct,
    stream_read,
    stream_write,
)

from specpkg.errors import DecodeError, ValidationError

MAX_NESTING = 16
"""Deepest A-XDR structure/array nesting accepted (the debt use cases use 3)."""

Row = tuple[int, str, str, str, str]
"""One dump row: absolute offset, bytes (hex), field, value, meaning."""


class Fallback(Exception):
    """Raised by a hand-rolled fast path: let the construct definition decide."""


T = TypeVar("T")


def fast_first(fast: Callable[[], T] | None, definition: Callable[[], T],
               final: tuple[type[BaseException], ...] = ()) -> T:
    """The hand-rolled fast path's result when it gives one (``fast`` None: skip it),
    else the construct definition's, which alone decides errors; an exception of a
    ``final`` type from the fast path is its own answer."""
    if fast is not None:
        try:
            return fast()
        except final:
            raise
        except Exception:  # any doubt: let the definition decide
            pass
    return definition()


_state = threading.local()


class _Recorder:
    """The dump rows of one parse, and the names of the list items it is inside."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.prefix: list[str] = [""]

    def add(self, offset: int, raw: bytes, label: str, value: str, meaning: str) -> None:
        prefix = self.prefix[-1]
        name = f"{prefix} {label}" if prefix and label else (prefix or label)
        self.rows.append((offset, raw.hex(" ").upper(), name, value, meaning))


def _recorder() -> _Recorder | None:
    return getattr(_state, "recorder", None)


def _origin(stream: Any) -> int:
    return getattr(stream, "origin", 0)


def _text(value: Any) -> str:
    if value is None or isinstance(value, bytes | bytearray):
        return ""
    if isinstance(value, IntEnum):
        return value.name
    return str(value)


class Shown(Subconstruct):
    """A field as the annotated dump shows it, defined next to the field itself.

    ``label`` names the row (text, or a function of the context), ``show``
    renders the value (text, or a function of the value; default: numbers as
    decimals, enums by name, bytes only in the bytes column) and ``meaning``
    explains it (text, or a function of the value and the context). A field
    whose parts record rows of their own (a nested struct) adds no row itself.
    """

    def __init__(
        self,
        subcon: Construct,
        label: str | Callable[[Any], str],
        meaning: str | Callable[[Any, Any], str] = "",
        show: str | Callable[[Any], str] | None = None,
    ) -> None:
        super().__init__(subcon)
        self.label, self.meaning, self.show = label, meaning, show

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        recorder = _recorder()
        if recorder is None:
            return self.subcon._parsereport(stream, context, path)
        start, before = stream.tell(), len(recorder.rows)
        value = self.subcon._parsereport(stream, context, path)
        end = stream.tell()
        if len(recorder.rows) == before and end > start:
            stream.seek(start)
            raw = stream.read(end - start)
            label = self.label(context) if callable(self.label) else self.label
            show = self.show(value) if callable(self.show) else self.show
            meaning = self.meaning(value, context) if callable(self.meaning) else self.meaning
            recorder.add(_origin(stream) + start, raw, label,
                         _text(value) if show is None else show, meaning)
        return value


class Fixed(Construct):
    """Constant bytes (a tag or a fixed length byte). A mismatch names the
    field's own offset and both values; builds always write the constant."""

    def __init__(self, value: bytes) -> None:
        super().__init__()
        self.value = value
        self.flagbuildnone = True

    def _parse(self, stream: Any, context: Any, path: str) -> bytes:
        start = stream.tell()
        got = stream_read(stream, len(self.value), path)
        if got != self.value:
            stream.seek(start)
            raise ExplicitError(
                f"expected {self.value.hex().upper()}, found {got.hex().upper()}", path=path
            )
        return got

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> bytes:
        stream_write(stream, self.value, len(self.value), path)
        return self.value


class EncodedLengthConstruct(Construct):
    """The GBCS/BER encoded length: one byte < 0x80, else 0x81 + 1 byte or
    0x82 + 2 bytes. Only the shortest form is accepted, so that every decoded
    message re-encodes to the identical bytes."""

    def _parse(self, stream: Any, context: Any, path: str) -> int:
        start = stream.tell()
        try:
            return self._read(stream, path)
        except ExplicitError:
            stream.seek(start)  # the error names the length field's own offset
            raise

    def _read(self, stream: Any, path: str) -> int:
        first = stream_read(stream, 1, path)[0]
        if first < 0x80:
            return first
        if first == 0x81:
            value = stream_read(stream, 1, path)[0]
            if value < 0x80:
                raise ExplicitError(f"non-minimal length 81 {value:02X}", path=path)
            return value
        if first == 0x82:
            raw = stream_read(stream, 2, path)
            value = int.from_bytes(raw, "big")
            if value < 0x100:
                raise ExplicitError(f"non-minimal length 82 {raw.hex().upper()}", path=path)
            return value
        raise ExplicitError(f"unsupported length form {first:02X}", path=path)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> int:
        if not isinstance(obj, int) or obj < 0 or obj > 0xFFFF:
            raise ExplicitError(f"length {obj!r} out of range 0..65535", path=path)
        raw = encode_length(obj)
        stream_write(stream, raw, len(raw), path)
        return obj


EncodedLength = EncodedLengthConstruct()
"""The one reusable GBCS encoded length construct."""


def encode_length(value: int) -> bytes:
    """The encoded-length bytes of ``value`` (0..65535)."""
    if value < 0x80:
        return bytes([value])
    if value < 0x100:
        return bytes([0x81, value])
    return bytes([0x82]) + value.to_bytes(2, "big")


def read_length(data: bytes, pos: int) -> tuple[int, int]:
    """Fast path of :data:`EncodedLength`: (value, next position); raises
    :class:`Fallback` where the construct must decide (non-minimal, bad form)."""
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    if first == 0x81 and data[pos + 1] >= 0x80:
        return data[pos + 1], pos + 2
    if first == 0x82:
        value = (data[pos + 1] << 8) | data[pos + 2]
        if value >= 0x100:
            return value, pos + 3
    raise Fallback


class _Window(io.BytesIO):
    """The bytes of one length-prefixed field, knowing where they start."""

    origin = 0


def _parse_window(subcon: Construct, data: bytes, origin: int, context: Any, path: str) -> Any:
    window = _Window(data)
    window.origin = origin
    try:
        value = subcon._parsereport(window, context, path)
    except ConstructError as exc:
        if getattr(exc, "offset", None) is None:
            exc.offset = origin + window.tell()  # type: ignore[attr-defined]
        raise
    if window.tell() != len(data):
        exc = ExplicitError(f"{len(data) - window.tell()} unexpected bytes", path=path)
        exc.offset = origin + window.tell()  # type: ignore[attr-defined]
        raise exc
    return value


class Framed(Subconstruct):
    """A length field, then exactly that many bytes parsed by ``subcon``; errors
    and dump rows inside keep their absolute offsets (the window's ``origin``)."""

    def __init__(self, lengthfield: Construct, subcon: Construct) -> None:
        super().__init__(subcon)
        self.lengthfield = lengthfield

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        length = self.lengthfield._parsereport(stream, context, path)
        origin = _origin(stream) + stream.tell()
        return _parse_window(self.subcon, stream_read(stream, length, path), origin, context, path)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        inner = io.BytesIO()
        value = self.subcon._build(obj, inner, context, path)
        data = inner.getvalue()
        self.lengthfield._build(len(data), stream, context, path)
        stream_write(stream, data, len(data), path)
        return value


class AllBut(Subconstruct):
    """``subcon`` over every remaining byte except the last ``keep`` (which the
    fields after it read): the signed APDU between a MAC header and its tag."""

    def __init__(self, keep: int, subcon: Construct) -> None:
        super().__init__(subcon)
        self.keep = keep

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        here = stream.tell()
        size = stream.seek(0, io.SEEK_END) - here - self.keep
        stream.seek(here)
        if size < 0:
            raise ExplicitError(f"needs {self.keep} more bytes after it", path=path)
        data = stream_read(stream, size, path)
        return _parse_window(self.subcon, data, _origin(stream) + here, context, path)


class Counted(Subconstruct):
    """A count (``countfield``), then that many ``subcon`` items. The count cannot
    exceed the bytes left (no huge allocations or long loops on hostile input).
    In the dump the count row is ``label`` and each item's rows are named by
    ``item``, formatted with the enclosing name (``outer``) and ``i`` from 1."""

    def __init__(
        self, countfield: Construct, subcon: Construct, label: str = "count",
        item: str = "[{i}]",
    ) -> None:
        super().__init__(subcon)
        self.countfield = Shown(countfield, label)
        self.item = item

    def _parse(self, stream: Any, context: Any, path: str) -> list[Any]:
        start = stream.tell()
        count = self.countfield._parsereport(stream, context, path)
        here = stream.tell()
        left = stream.seek(0, io.SEEK_END) - here
        stream.seek(here)
        if count > left:
            stream.seek(start)
            raise ExplicitError(f"count {count} exceeds the {left} bytes left", path=path)
        recorder = _recorder()
        items = []
        for i in range(count):
            if recorder is not None:
                recorder.prefix.append(self.item.format(outer=recorder.prefix[-1], i=i + 1))
            try:
                items.append(self.subcon._parsereport(stream, context, f"{path} -> [{i}]"))
            finally:
                if recorder is not None:
                    recorder.prefix.pop()
        return items

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        self.countfield._build(len(obj), stream, context, path)
        for i, item in enumerate(obj):
            self.subcon._build(item, stream, context, f"{path} -> [{i}]")
        return obj


class ByTag(Construct):
    """One of several layouts, chosen by the first byte when parsing and by the value's
    type when building. ``choices`` maps each tag to (value type, layout); ``what``
    names the choices in the refusal of an empty input or any other tag."""

    def __init__(self, choices: dict[int, tuple[type, Construct]], what: str) -> None:
        super().__init__()
        self.by_tag = {tag: con for tag, (_, con) in choices.items()}
        self.by_type = dict(choices.values())
        self.what = what

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        here = stream.tell()
        first = stream.read(1)
        stream.seek(here)
        if not first:
            raise ExplicitError(f"empty input where {self.what} was expected", path=path)
        con = self.by_tag.get(first[0])
        if con is None:
            raise ExplicitError(f"tag {first[0]:02X} is not {self.what}", path=path)
        return con._parsereport(stream, context, path)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        con = self.by_type.get(type(obj))
        if con is None:
            raise ExplicitError(f"{type(obj).__name__} is not {self.what}", path=path)
        return con._build(obj, stream, context, path)


class NestingGuard(Subconstruct):
    """Refuse nesting deeper than ``limit`` (no RecursionError on hostile input)."""

    def __init__(self, subcon: Construct, limit: int = MAX_NESTING) -> None:
        super().__init__(subcon)
        self.limit = limit

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        level = getattr(_state, "level", 0)
        if level >= self.limit:
            raise ExplicitError(f"nesting deeper than {self.limit} levels", path=path)
        _state.level = level + 1
        try:
            return self.subcon._parsereport(stream, context, path)
        finally:
            _state.level = level


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    message = lines[-1] if lines else type(exc).__name__
    where = getattr(exc, "path", None)
    if where:
        where = where.replace("(parsing) -> ", "").replace("(parsing)", "").strip()
        where = where.replace("(building) -> ", "").replace("(building)", "").strip()
        where = where.replace(" -> ", ".")
    return f"{where}: {message}" if where else message


def parse(con: Construct, data: bytes, base: int = 0, **context: Any) -> Any:
    """Parse all of ``data`` with ``con``; any failure is ``DecodeError``.

    ``base`` is the offset of ``data`` within the whole message, so that the
    error names the absolute offset where decoding stopped.
    """
    stream = io.BytesIO(data)
    try:
        value = con.parse_stream(stream, **context)
    except ConstructError as exc:
        offset = getattr(exc, "offset", None)
        raise DecodeError(
            base + (stream.tell() if offset is None else offset), _reason(exc)
        ) from None
    except RecursionError:
        raise DecodeError(base + stream.tell(), "nesting too deep") from None
    except Exception as exc:  # the contract: nothing but DecodeError escapes
        raise DecodeError(base + stream.tell(), f"malformed: {exc}") from None
    if stream.tell() != len(data):
        raise DecodeError(
            base + stream.tell(), f"{len(data) - stream.tell()} unexpected trailing bytes"
        )
    return value


def record(con: Construct, data: bytes, **context: Any) -> tuple[Any, list[Row]]:
    """Parse ``data`` with ``con`` and return the value and the dump rows its
    :class:`Shown` fields recorded (DecodeError as :func:`parse`)."""
    recorder = _Recorder()
    _state.recorder = recorder
    try:
        value = parse(con, data, **context)
    finally:
        _state.recorder = None
    return value, recorder.rows


def build(con: Construct, value: Any, **context: Any) -> bytes:
    """Build bytes with ``con``; a value that cannot be encoded is a ValidationError."""
    try:
        return con.build(value, **context)
    except ConstructError as exc:
        raise ValidationError("message", f"cannot encode: {_reason(exc)}") from None
    except (ValueError, TypeError, OverflowError, KeyError, AttributeError) as exc:
        raise ValidationError("message", f"cannot encode: {exc}") from None
