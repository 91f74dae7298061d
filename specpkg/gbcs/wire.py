"""Shared helpers for the wire codecs: run a construct and refuse bad bytes
with :class:`specpkg.errors.DecodeError` only (SR-1, SR-2).

Every codec module (``envelope``, ``gbz``, ``dlms``) defines its formats with
``construct``; this module turns construct's many exception types, and the odd
``RecursionError`` or ``OverflowError`` from hostile input, into one
``DecodeError(offset, reason)`` whose offset is absolute in the whole message.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

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


class Fallback(Exception):
    """Raised by a hand-rolled fast path: let the construct definition decide."""


class Reject(Construct):
    """A construct that always refuses, with a readable reason (text, or a
    function of the context)."""

    def __init__(self, reason: str | Callable[[Any], str]) -> None:
        super().__init__()
        self.reason = reason
        self.flagbuildnone = True

    def _text(self, context: Any) -> str:
        return self.reason(context) if callable(self.reason) else self.reason

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        raise ExplicitError(self._text(context), path=path)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        raise ExplicitError(self._text(context), path=path)

    def _sizeof(self, context: Any, path: str) -> int:
        raise ExplicitError(self.reason, path=path)


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

    def _sizeof(self, context: Any, path: str) -> int:
        return len(self.value)


class _Window(io.BytesIO):
    """The bytes of one length-prefixed field, knowing where they start."""

    origin = 0


class Framed(Subconstruct):
    """Like ``Prefixed``: a length field, then exactly that many bytes parsed by
    ``subcon``, but errors inside keep their absolute offset (``exc.offset``)."""

    def __init__(self, lengthfield: Construct, subcon: Construct) -> None:
        super().__init__(subcon)
        self.lengthfield = lengthfield

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        length = self.lengthfield._parsereport(stream, context, path)
        origin = getattr(stream, "origin", 0) + stream.tell()
        data = stream_read(stream, length, path)
        window = _Window(data)
        window.origin = origin
        try:
            return self.subcon._parsereport(window, context, path)
        except ConstructError as exc:
            if getattr(exc, "offset", None) is None:
                exc.offset = origin + window.tell()  # type: ignore[attr-defined]
            raise

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        inner = io.BytesIO()
        value = self.subcon._build(obj, inner, context, path)
        data = inner.getvalue()
        self.lengthfield._build(len(data), stream, context, path)
        stream_write(stream, data, len(data), path)
        return value


_depth = threading.local()


class NestingGuard(Subconstruct):
    """Refuse nesting deeper than ``limit`` (no RecursionError on hostile input)."""

    def __init__(self, subcon: Construct, limit: int = MAX_NESTING) -> None:
        super().__init__(subcon)
        self.limit = limit

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        level = getattr(_depth, "level", 0)
        if level >= self.limit:
            raise ExplicitError(f"nesting deeper than {self.limit} levels", path=path)
        _depth.level = level + 1
        try:
            return self.subcon._parsereport(stream, context, path)
        finally:
            _depth.level = level


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    message = lines[-1] if lines else type(exc).__name__
    where = getattr(exc, "path", None)
    if where:
        where = where.replace("(parsing) -> ", "").replace("(parsing)", "").strip()
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


def build(con: Construct, value: Any, **context: Any) -> bytes:
    """Build bytes with ``con``; a value that cannot be encoded is a ValidationError."""
    try:
        return con.build(value, **context)
    except ConstructError as exc:
        raise ValidationError("message", f"cannot encode: {_reason(exc)}") from None
    except (ValueError, TypeError, OverflowError, KeyError, AttributeError) as exc:
        raise ValidationError("message", f"cannot encode: {exc}") from None
