"""The GBCS envelope: MAC header and general-signing APDU (SR-1, SR-2, BR-5).

Layout, as in ``GBCS-NOTES.md`` (big-endian):

* MAC header (commands only): ``DD`` + six ``00``, encoded length of the rest,
  security header ``11`` + 4-byte invocation counter, the signed
  general-signing APDU, a 12-byte AES-128-GCM tag (no ciphertext).
* general-signing APDU: ``DF``, transaction id (``09``, CRA flag, 8-byte
  originator counter), ``08`` + originator title, ``08`` + recipient title,
  date-time (length-prefixed, ``00`` = absent), other-information (encoded
  length, 2-byte message code, rest), content (encoded length, payload),
  optional signature ``40`` + 64 bytes r||s.

Responses are general-signing APDUs without MAC header or ciphering: they are
signed only, which is all BR-5 needs (no personal data, no encryption).
The payload is kept as bytes here; :mod:`specpkg.messages` decodes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from construct import (
    Bytes,
    Construct,
    ExplicitError,
    GreedyBytes,
    Int8ub,
    Int16ub,
    Int32ub,
    Int64ub,
    Rebuild,
    Struct,
    Subconstruct,
    Terminated,
    len_,
    stream_read,
    stream_write,
    this,
)

from specpkg.errors import DecodeError, ValidationError
from specpkg.gbcs import wire

SIGNATURE_LENGTH = 64
TAG_LENGTH = 12
SECURITY_HEADER = 0x11


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

    def _sizeof(self, context: Any, path: str) -> int:
        raise ExplicitError("encoded length has no fixed size", path=path)


def encode_length(value: int) -> bytes:
    """The encoded-length bytes of ``value`` (0..65535)."""
    if value < 0x80:
        return bytes([value])
    if value < 0x100:
        return bytes([0x81, value])
    return bytes([0x82]) + value.to_bytes(2, "big")


EncodedLength = EncodedLengthConstruct()
"""The one reusable GBCS encoded length construct."""


class Cra(IntEnum):
    """The CRA flag of the transaction id."""

    COMMAND = 1
    RESPONSE = 2
    ALERT = 3


class Trailing(Subconstruct):
    """``subcon`` if any bytes remain, else ``None`` (the optional signature)."""

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        here = stream.tell()
        more = stream.read(1)
        stream.seek(here)
        return self.subcon._parsereport(stream, context, path) if more else None

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        return None if obj is None else self.subcon._build(obj, stream, context, path)


TransactionIdStruct = Struct(
    "length" / wire.Fixed(b"\x09"),
    "cra" / Int8ub,
    "originator_counter" / Int64ub,
)

GeneralSigningStruct = Struct(
    "tag" / wire.Fixed(b"\xdf"),
    "transaction_id" / TransactionIdStruct,
    "originator_length" / wire.Fixed(b"\x08"),
    "originator" / Bytes(8),
    "recipient_length" / wire.Fixed(b"\x08"),
    "recipient" / Bytes(8),
    "date_time" / wire.Framed(Int8ub, GreedyBytes),
    "other_information"
    / wire.Framed(EncodedLength, Struct("message_code" / Int16ub, "rest" / GreedyBytes)),
    "content" / wire.Framed(EncodedLength, GreedyBytes),
    "signature" / Trailing(Struct("length" / wire.Fixed(b"\x40"), "value" / Bytes(64))),
    Terminated,
)
"""The general-signing APDU (grouping header, content, optional signature)."""

MacHeaderStruct = Struct(
    "tag" / wire.Fixed(b"\xdd"),
    "reserved" / wire.Fixed(bytes(6)),
    "length" / Rebuild(EncodedLength, len_(this.apdu) + 5 + TAG_LENGTH),
    "security_header" / wire.Fixed(bytes([SECURITY_HEADER])),
    "invocation_counter" / Int32ub,
    "apdu" / Bytes(this.length - 5 - TAG_LENGTH),
    "mac" / Bytes(TAG_LENGTH),
    Terminated,
)
"""The MAC header around a signed command; the APDU is kept as raw bytes."""


@dataclass(frozen=True, slots=True)
class GeneralSigning:
    """A general-signing APDU. ``payload`` is the content: raw bytes here,
    a decoded GBZ or DLMS object after :func:`specpkg.messages.decode`."""

    cra: Cra
    originator_counter: int
    originator: bytes
    recipient: bytes
    message_code: int
    payload: Any
    date_time: bytes = b""
    other_information_rest: bytes = b""
    signature: bytes | None = None

    @property
    def originator_id(self) -> str:
        return self.originator.hex().upper()

    @property
    def recipient_id(self) -> str:
        return self.recipient.hex().upper()


@dataclass(frozen=True, slots=True)
class MacHeader:
    """A command as it reaches the device: MAC header around a signed APDU."""

    apdu: GeneralSigning
    mac: bytes
    invocation_counter: int = 0


def read_length(data: bytes, pos: int) -> tuple[int, int]:
    """Fast path of :data:`EncodedLength`: (value, next position); raises
    ``wire.Fallback`` where the construct must decide (non-minimal, bad form)."""
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    if first == 0x81 and data[pos + 1] >= 0x80:
        return data[pos + 1], pos + 2
    if first == 0x82:
        value = (data[pos + 1] << 8) | data[pos + 2]
        if value >= 0x100:
            return value, pos + 3
    raise wire.Fallback


PayloadLookup = Callable[[int], Callable[[bytes, int], Any] | None]


def _no_payload(_code: int) -> None:
    return None


def _fast_general_signing(
    data: bytes, base: int, lookup: PayloadLookup
) -> tuple[GeneralSigning, int]:
    """Hand-rolled fast path of GeneralSigningStruct for well-formed input."""
    if data[0] != 0xDF or data[1] != 0x09 or data[11] != 0x08 or data[20] != 0x08:
        raise wire.Fallback
    cra = _CRA[data[2]]
    pos = 30 + data[29]
    date_time = data[30:pos]
    info_length, pos = read_length(data, pos)
    if info_length < 2:
        raise wire.Fallback
    message_code = (data[pos] << 8) | data[pos + 1]
    rest = data[pos + 2 : pos + info_length]
    pos += info_length
    content_length, pos = read_length(data, pos)
    content = data[pos : pos + content_length]
    content_offset = pos
    pos += content_length
    end = len(data)
    if pos > end or len(date_time) != data[29] or len(rest) != info_length - 2:
        raise wire.Fallback
    if pos == end:
        signature = None
    elif pos + 1 + SIGNATURE_LENGTH == end and data[pos] == 0x40:
        signature = data[pos + 1 :]
    else:
        raise wire.Fallback
    decoder = lookup(message_code)
    payload = content if decoder is None else decoder(content, base + content_offset)
    message = GeneralSigning(
        cra,
        int.from_bytes(data[3:11], "big"),
        data[12:20],
        data[21:29],
        message_code,
        payload,
        date_time,
        rest,
        signature,
    )
    return message, base + content_offset


_CRA = {c.value: c for c in Cra}


def decode_general_signing(
    data: bytes, base: int = 0, fast: bool = True, lookup: PayloadLookup = _no_payload
) -> tuple[GeneralSigning, int]:
    """Decode a general-signing APDU.

    ``lookup(message_code)`` gives the payload decoder (content bytes, absolute
    offset) or None to keep the content as bytes. Returns the APDU and the
    absolute offset of its content. ``fast`` tries the hand-rolled fast path
    first; anything it does not accept goes to the construct definition, which
    alone decides errors.
    """
    if fast:
        try:
            return _fast_general_signing(data, base, lookup)
        except DecodeError:
            raise
        except Exception:  # any doubt: let construct decide
            pass
    parsed = wire.parse(GeneralSigningStruct, data, base)
    cra_value = parsed.transaction_id.cra
    try:
        cra = Cra(cra_value)
    except ValueError:
        raise DecodeError(base + 2, f"unknown CRA flag {cra_value:02X}") from None
    content = parsed.content
    signature = parsed.signature.value if parsed.signature is not None else None
    content_end = len(data) - (1 + SIGNATURE_LENGTH if signature is not None else 0)
    content_offset = base + content_end - len(content)
    decoder = lookup(parsed.other_information.message_code)
    if decoder is not None:
        content = decoder(content, content_offset)
    message = GeneralSigning(
        cra=cra,
        originator_counter=parsed.transaction_id.originator_counter,
        originator=parsed.originator,
        recipient=parsed.recipient,
        message_code=parsed.other_information.message_code,
        payload=content,
        date_time=parsed.date_time,
        other_information_rest=parsed.other_information.rest,
        signature=signature,
    )
    return message, content_offset


def _fast_encode_general_signing(apdu: GeneralSigning, content: bytes) -> bytes:
    """Hand-rolled fast path of building GeneralSigningStruct (checked by tests)."""
    info_length = 2 + len(apdu.other_information_rest)
    if (
        apdu.cra not in _CRA
        or not 0 <= apdu.originator_counter < 1 << 64
        or not 0 <= apdu.message_code <= 0xFFFF
        or len(apdu.date_time) > 0xFF
        or info_length > 0xFFFF
        or len(content) > 0xFFFF
    ):
        raise wire.Fallback
    parts = [
        b"\xdf\x09",
        bytes((apdu.cra,)),
        apdu.originator_counter.to_bytes(8, "big"),
        b"\x08",
        apdu.originator,
        b"\x08",
        apdu.recipient,
        bytes((len(apdu.date_time),)),
        apdu.date_time,
        encode_length(info_length),
        apdu.message_code.to_bytes(2, "big"),
        apdu.other_information_rest,
        encode_length(len(content)),
        content,
    ]
    if apdu.signature is not None:
        parts += [b"\x40", apdu.signature]
    return b"".join(parts)


def encode_general_signing(apdu: GeneralSigning, content: bytes, fast: bool = True) -> bytes:
    """Encode ``apdu`` with the given content bytes (its signature if any)."""
    _check_title("originator", apdu.originator)
    _check_title("recipient", apdu.recipient)
    if apdu.signature is not None and len(apdu.signature) != SIGNATURE_LENGTH:
        raise ValidationError("signature", f"must be {SIGNATURE_LENGTH} bytes")
    if fast:
        try:
            return _fast_encode_general_signing(apdu, content)
        except Exception:  # any doubt: let construct decide
            pass
    value = {
        "transaction_id": {"cra": int(apdu.cra), "originator_counter": apdu.originator_counter},
        "originator": apdu.originator,
        "recipient": apdu.recipient,
        "date_time": apdu.date_time,
        "other_information": {
            "message_code": apdu.message_code,
            "rest": apdu.other_information_rest,
        },
        "content": content,
        "signature": None if apdu.signature is None else {"value": apdu.signature},
    }
    return wire.build(GeneralSigningStruct, value)


def signed_part(apdu_bytes: bytes, signed: bool) -> bytes:
    """The bytes a signature covers: after ``DF`` up to the end of the content."""
    end = len(apdu_bytes) - (1 + SIGNATURE_LENGTH if signed else 0)
    return apdu_bytes[1:end]


def decode_mac_header(data: bytes, fast: bool = True) -> tuple[int, bytes, bytes, int]:
    """Split a MAC header: (invocation counter, APDU bytes, MAC tag, APDU offset)."""
    if fast:
        try:
            length, pos = read_length(data, 7)
            if (
                data[:7] == _MAC_START
                and pos + length == len(data)
                and length >= 5 + TAG_LENGTH
                and data[pos] == SECURITY_HEADER
            ):
                counter = int.from_bytes(data[pos + 1 : pos + 5], "big")
                return counter, data[pos + 5 : -TAG_LENGTH], data[-TAG_LENGTH:], pos + 5
        except Exception:  # any doubt: let construct decide
            pass
    parsed = wire.parse(MacHeaderStruct, data)
    offset = len(data) - TAG_LENGTH - len(parsed.apdu)
    return parsed.invocation_counter, parsed.apdu, parsed.mac, offset


_MAC_START = b"\xdd" + bytes(6)


def encode_mac_header(
    invocation_counter: int, apdu_bytes: bytes, mac: bytes, fast: bool = True
) -> bytes:
    """Wrap signed APDU bytes in a MAC header."""
    if len(mac) != TAG_LENGTH:
        raise ValidationError("mac", f"must be {TAG_LENGTH} bytes")
    length = 5 + len(apdu_bytes) + TAG_LENGTH
    if fast and 0 <= invocation_counter < 1 << 32 and length <= 0xFFFF:
        return b"".join(
            (
                _MAC_START,
                encode_length(length),
                bytes((SECURITY_HEADER,)),
                invocation_counter.to_bytes(4, "big"),
                apdu_bytes,
                mac,
            )
        )
    return wire.build(
        MacHeaderStruct,
        {"invocation_counter": invocation_counter, "apdu": apdu_bytes, "mac": mac},
    )


def _check_title(field: str, value: bytes) -> None:
    if not isinstance(value, bytes) or len(value) != 8:
        raise ValidationError(field, "a system title is 8 bytes")
