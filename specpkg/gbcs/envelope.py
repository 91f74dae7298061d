"""The GBCS envelope: MAC header and general-signing APDU (SR-1, SR-2, BR-5).

Layout, as in ``GBCS-NOTES.md`` (big-endian), defined once in
:data:`GeneralSigningStruct` and :data:`MacHeaderStruct`:

* MAC header: ``DD`` + six ``00``, encoded length of the rest, security header
  ``11`` + 4-byte invocation counter, the general-signing APDU, a 12-byte
  AES-128-GCM tag (no ciphertext). Commands carry one; so do MAC'd responses
  and alerts.
* general-signing APDU: ``DF``, transaction id (``09``, CRA flag, 8-byte
  originator counter), ``08`` + originator title, ``08`` + recipient title,
  date-time (length-prefixed, ``00`` = absent), other-information (encoded
  length, 2-byte message code, rest), content (encoded length, payload), then
  the signature: ``40`` + 64 bytes r||s when signed, ``00`` when the message
  carries none; a pre-command ends before it.

The content is decoded by the payload codecs passed in (the use-case registry,
:mod:`specpkg.gbcs.usecases`); without them it stays bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Protocol

from construct import (
    Adapter,
    Bytes,
    Computed,
    Construct,
    GreedyBytes,
    Int8ub,
    Int16ub,
    Int32ub,
    Int64ub,
    Rebuild,
    Struct,
    Subconstruct,
    Switch,
    Terminated,
    this,
)

from specpkg.errors import DecodeError, ValidationError
from specpkg.gbcs import wire
from specpkg.gbcs.typed import Joined, StrictEnum, Typed
from specpkg.gbcs.wire import (
    AllBut,
    ByTag,
    EncodedLength,
    Fixed,
    Framed,
    Shown,
    encode_length,
    read_length,
)

#: The largest originator counter: 8 octets, unsigned (a DUIS RequestID counter too).
COUNTER_MAX = (1 << 64) - 1
SIGNATURE_LENGTH = 64
TAG_LENGTH = 12
SECURITY_HEADER = 0x11
MAC_TAG = 0xDD
GENERAL_SIGNING_TAG = 0xDF


class Cra(IntEnum):
    """The CRA flag of the transaction id."""

    COMMAND = 1
    RESPONSE = 2
    ALERT = 3


class SignatureForm(IntEnum):
    """The signature length byte: a signed message, or one sent without signature."""

    UNSIGNED = 0x00
    SIGNED = 0x40


@dataclass(frozen=True, slots=True)
class GeneralSigning:
    """A general-signing APDU. ``payload`` is the content: a decoded GBZ or
    xDLMS object for a modelled use case, else bytes. ``signature`` is the
    64-byte r||s, ``b""`` for a message sent without signature (length ``00``)
    or None for a pre-command, which ends before the signature field."""

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

    @property
    def signed(self) -> bool:
        """True iff the APDU carries a signature (not a pre-command, not ``00``)."""
        return bool(self.signature)


@dataclass(frozen=True, slots=True)
class MacHeader:
    """A MAC'd message: the MAC header around a general-signing APDU, which ends
    with its signature field (``00`` when unsigned): only a pre-command lacks it,
    and pre-commands are never MAC'd."""

    apdu: GeneralSigning
    mac: bytes
    invocation_counter: int = 0

    def __post_init__(self) -> None:
        if self.apdu.signature is None:
            raise ValidationError("signature", "a MAC'd APDU ends with its signature field "
                                               "(00 when it carries no signature)")


Message = MacHeader | GeneralSigning


class PayloadCodecs(Protocol):
    """How the content of each message code is read, written and named
    (implemented by the use-case registry)."""

    def construct(self, message_code: int) -> Construct | None: ...
    def construct_of(self, payload: Any) -> Construct | None: ...
    def decode(self, message_code: int, content: bytes, offset: int) -> Any: ...
    def encode(self, message_code: int, payload: Any, fast: bool = True) -> bytes: ...
    def describe(self, message_code: int) -> str: ...


class Opaque:
    """Payload codecs that keep every content as bytes."""

    def construct(self, message_code: int) -> None:
        return None

    def construct_of(self, payload: Any) -> None:
        return None

    def decode(self, message_code: int, content: bytes, offset: int) -> bytes:
        return content

    def encode(self, message_code: int, payload: Any, fast: bool = True) -> bytes:
        if isinstance(payload, bytes | bytearray):
            return bytes(payload)
        raise ValidationError("payload", f"cannot encode {type(payload).__name__} as content")

    def describe(self, message_code: int) -> str:
        return "use case not modelled"


OPAQUE = Opaque()


def _codecs(context: Any) -> PayloadCodecs:
    return context._params.get("codecs") or OPAQUE


_OPAQUE_CONTENT = Shown(GreedyBytes, "payload", "opaque (use case not modelled)")


class Content(Construct):
    """The content: parsed by the construct the payload codecs give for the
    message code (bytes when there is none); built from bytes or a typed payload."""

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        con = _codecs(context).construct(context.other_information["message_code"])
        return (con or _OPAQUE_CONTENT)._parsereport(stream, context, path)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        con = None if isinstance(obj, bytes) else _codecs(context).construct_of(obj)
        return (con or GreedyBytes)._build(obj, stream, context, path)


class Trailing(Subconstruct):
    """``subcon`` if any bytes remain, else ``None`` (the pre-command's missing signature)."""

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        here = stream.tell()
        more = stream.read(1)
        stream.seek(here)
        return self.subcon._parsereport(stream, context, path) if more else None

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        return None if obj is None else self.subcon._build(obj, stream, context, path)


class _Value(Adapter):
    """The ``value`` member of a length + value struct."""

    def _decode(self, obj: Any, context: Any, path: str) -> Any:
        return obj.value

    def _encode(self, obj: Any, context: Any, path: str) -> dict[str, Any]:
        return {"value": obj}


_CRA_MEANING = {Cra.COMMAND: "a command", Cra.RESPONSE: "a response", Cra.ALERT: "an alert"}


def _hex(value: bytes) -> str:
    return value.hex().upper()


SignatureStruct = _Value(Struct(
    "length" / Rebuild(
        Shown(StrictEnum(Int8ub, SignatureForm, "signature length"), "signature length",
              lambda v, _: "" if v else "no signature (the message is MAC'd only)",
              show=lambda v: str(int(v))),
        lambda ctx: len(ctx.value)),
    "value" / Switch(this.length, {
        SignatureForm.UNSIGNED: Computed(b""),
        SignatureForm.SIGNED: Joined(Struct(
            "r" / Shown(Bytes(32), "signature r", "ECDSA P-256 over the bytes after DF up to here"),
            "s" / Shown(Bytes(32), "signature s"),
        ), (32, 32)),
    }),
))
"""The signature field: ``40`` + r||s, or ``00`` for a message sent without one."""

GeneralSigningStruct = Typed(Struct(
    "tag" / Shown(Fixed(b"\xdf"), "general-signing tag", "general-signing APDU", show="DF"),
    "transaction_id_length" / Shown(Fixed(b"\x09"), "transaction id length", show="9"),
    "cra" / Shown(StrictEnum(Int8ub, Cra, "CRA flag"), "CRA flag",
                  lambda v, _: _CRA_MEANING[v], show=lambda v: v.name.lower()),
    "originator_counter" / Shown(Int64ub, "originator counter",
                                 "unique per originator; replay protection"),
    "originator_length" / Shown(Fixed(b"\x08"), "originator title length", show="8"),
    "originator" / Shown(Bytes(8), "originator system title", "who sent (and signed) it",
                         show=_hex),
    "recipient_length" / Shown(Fixed(b"\x08"), "recipient title length", show="8"),
    "recipient" / Shown(Bytes(8), "recipient system title", "who it is for", show=_hex),
    "date_time" / Framed(
        Shown(Int8ub, "date-time length", lambda v, _: "" if v else "00 = no date-time"),
        Shown(GreedyBytes, "date-time")),
    "other_information" / Framed(Shown(EncodedLength, "other-information length"), Struct(
        "message_code" / Shown(Int16ub, "message code", lambda v, ctx: _codecs(ctx).describe(v),
                               show=lambda v: f"0x{v:04X}"),
        "other_information_rest" / Shown(GreedyBytes, "other-information rest"),
    )),
    "content" / Framed(Shown(EncodedLength, "content length", "the payload follows"), Content()),
    "signature" / Trailing(SignatureStruct),
    Terminated,
), GeneralSigning, renamed={"content": "payload"})
"""The general-signing APDU (grouping header, content, signature if any)."""

MacHeaderStruct = Typed(Struct(
    "tag" / Shown(Fixed(b"\xdd"), "MAC header tag",
                  "general-ciphering (MAC only, no encryption)", show="DD"),
    "reserved" / Shown(Fixed(bytes(6)), "reserved", show="00 x 6"),
    "body" / Framed(Shown(EncodedLength, "MAC header length", "bytes that follow"), Struct(
        "security_header" / Shown(Fixed(bytes([SECURITY_HEADER])), "security header",
                                  "authentication only", show="0x11"),
        "invocation_counter" / Shown(Int32ub, "invocation counter"),
        "apdu" / AllBut(TAG_LENGTH, GeneralSigningStruct),
        "mac" / Shown(Bytes(TAG_LENGTH), "MAC (GCM tag)", "AES-128-GCM tag, 12 bytes"),
    )),
    Terminated,
), MacHeader)
"""A MAC header around a general-signing APDU."""


MessageStruct = ByTag({MAC_TAG: (MacHeader, MacHeaderStruct),
                       GENERAL_SIGNING_TAG: (GeneralSigning, GeneralSigningStruct)},
                      "a MAC header DD or a general-signing APDU DF")
"""Any GBCS message this package reads."""

# --- fast paths: the same layouts by hand, checked equal by the property tests -------

_CRA = {c.value: c for c in Cra}
_MAC_START = bytes([MAC_TAG]) + bytes(6)


def _fast_general_signing(data: bytes, base: int, codecs: PayloadCodecs) -> GeneralSigning:
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
    signature: bytes | None
    if pos == end:
        signature = None
    elif pos + 1 == end and data[pos] == SignatureForm.UNSIGNED:
        signature = b""
    elif pos + 1 + SIGNATURE_LENGTH == end and data[pos] == SignatureForm.SIGNED:
        signature = data[pos + 1 :]
    else:
        raise wire.Fallback
    payload = codecs.decode(message_code, content, base + content_offset)
    return GeneralSigning(cra, int.from_bytes(data[3:11], "big"), data[12:20], data[21:29],
                          message_code, payload, date_time, rest, signature)


def _mac_header_size(data: bytes) -> int:
    """Bytes before the APDU in a MAC'd message: tag, reserved, length, security header."""
    first = data[7]
    return 13 + (0 if first < 0x80 else first - 0x80)


def _fast_decode(data: bytes, codecs: PayloadCodecs) -> Message:
    if data[0] == MAC_TAG:
        length, pos = read_length(data, 7)
        if (data[:7] != _MAC_START or pos + length != len(data) or length < 5 + TAG_LENGTH
                or data[pos] != SECURITY_HEADER):
            raise wire.Fallback
        apdu = _fast_general_signing(data[pos + 5 : -TAG_LENGTH], pos + 5, codecs)
        return MacHeader(apdu, data[-TAG_LENGTH:], int.from_bytes(data[pos + 1 : pos + 5], "big"))
    return _fast_general_signing(data, 0, codecs)


def decode(data: bytes, codecs: PayloadCodecs = OPAQUE, fast: bool = True) -> Message:
    """Decode a whole message; malformed bytes raise DecodeError only.

    ``fast`` tries the hand-rolled fast path first; anything it does not accept
    goes to the construct definition, which alone decides errors.
    """
    return wire.fast_first((lambda: _fast_decode(data, codecs)) if fast else None,
                           lambda: wire.parse(MessageStruct, data, codecs=codecs),
                           final=(DecodeError,))


def _check(apdu: GeneralSigning) -> None:
    for name in ("originator", "recipient"):
        value = getattr(apdu, name)
        if not isinstance(value, bytes) or len(value) != 8:
            raise ValidationError(name, "a system title is 8 bytes")
    if apdu.signature is not None and len(apdu.signature) not in (0, SIGNATURE_LENGTH):
        raise ValidationError("signature", f"must be {SIGNATURE_LENGTH} bytes, or empty")


def _signature_field(signature: bytes | None) -> bytes:
    if signature is None:
        return b""
    return bytes((SignatureForm.SIGNED if signature else SignatureForm.UNSIGNED,)) + signature


def encode_general_signing(apdu: GeneralSigning, content: bytes) -> bytes:
    """Hand-rolled fast path of building GeneralSigningStruct from content bytes."""
    _check(apdu)
    info_length = 2 + len(apdu.other_information_rest)
    if (apdu.cra not in _CRA or not 0 <= apdu.originator_counter <= COUNTER_MAX
            or not 0 <= apdu.message_code <= 0xFFFF or len(apdu.date_time) > 0xFF
            or info_length > 0xFFFF or len(content) > 0xFFFF):
        raise wire.Fallback
    return b"".join((
        b"\xdf\x09", bytes((apdu.cra,)), apdu.originator_counter.to_bytes(8, "big"),
        b"\x08", apdu.originator, b"\x08", apdu.recipient,
        bytes((len(apdu.date_time),)), apdu.date_time,
        encode_length(info_length), apdu.message_code.to_bytes(2, "big"),
        apdu.other_information_rest,
        encode_length(len(content)), content, _signature_field(apdu.signature),
    ))


def wrap_mac(invocation_counter: int, apdu_bytes: bytes, mac: bytes) -> bytes:
    """Hand-rolled fast path of building MacHeaderStruct around APDU bytes."""
    if len(mac) != TAG_LENGTH:
        raise ValidationError("mac", f"must be {TAG_LENGTH} bytes")
    length = 5 + len(apdu_bytes) + TAG_LENGTH
    if not 0 <= invocation_counter < 1 << 32 or length > 0xFFFF:
        raise wire.Fallback
    return b"".join((_MAC_START, encode_length(length), bytes((SECURITY_HEADER,)),
                     invocation_counter.to_bytes(4, "big"), apdu_bytes, mac))


def encode(message: Message, codecs: PayloadCodecs = OPAQUE, fast: bool = True) -> bytes:
    """Encode a message: the exact inverse of :func:`decode`. ``fast=False``
    builds with the construct definitions only."""
    apdu = message.apdu if isinstance(message, MacHeader) else message
    _check(apdu)
    if isinstance(message, MacHeader) and len(message.mac) != TAG_LENGTH:
        raise ValidationError("mac", f"must be {TAG_LENGTH} bytes")
    if fast:
        content = codecs.encode(apdu.message_code, apdu.payload, fast=True)
        try:
            apdu_bytes = encode_general_signing(apdu, content)
            if isinstance(message, MacHeader):
                return wrap_mac(message.invocation_counter, apdu_bytes, message.mac)
            return apdu_bytes
        except wire.Fallback:
            pass
    return wire.build(MessageStruct, message, codecs=codecs)


def apdu_bytes_of(data: bytes) -> bytes:
    """The general-signing APDU inside the bytes of a decoded message (MAC'd or bare)."""
    if data[0] == MAC_TAG:
        return data[_mac_header_size(data) : -TAG_LENGTH]
    return data


def signed_bytes(apdu_bytes: bytes, apdu: GeneralSigning) -> bytes:
    """The bytes a signature covers: after ``DF`` up to the end of the content."""
    tail = 0 if apdu.signature is None else 1 + len(apdu.signature)
    return apdu_bytes[1 : len(apdu_bytes) - tail]
