"""Whole GBCS messages: decode, encode, sign, MAC and verify (SR-1, SR-2, BR-5).

:func:`decode` turns bytes into a typed message (a :class:`MacHeader` around
a signed command, or a bare :class:`GeneralSigning` pre-command or response)
whose payload is decoded by the codec registered for its message code, or
left as opaque bytes. :func:`encode` gives the identical bytes back.

New use cases (the reset use cases of SECMP0002) are added with one
:func:`register_use_case` line each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass, replace
from enum import Enum, StrEnum
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from specpkg.errors import DecodeError, ValidationError
from specpkg.gbcs import dlms, gbz, security
from specpkg.gbcs.envelope import (
    Cra,
    GeneralSigning,
    MacHeader,
    decode_general_signing,
    decode_mac_header,
    encode_general_signing,
    encode_mac_header,
    signed_part,
)
from specpkg.meter.registers import Device

Message = MacHeader | GeneralSigning


@dataclass(frozen=True)
class PayloadCodec:
    """How a payload is decoded (bytes, offset, fast=...) and encoded (payload, fast=...)."""

    name: str
    decode: Callable[..., Any]
    encode: Callable[[Any], bytes]
    types: tuple[type, ...]


GBZ = PayloadCodec("GBZ", gbz.decode, gbz.encode, (gbz.Gbz,))
XDLMS = PayloadCodec("xDLMS", dlms.decode, dlms.encode, (dlms.AccessRequest, dlms.AccessResponse))


@dataclass(frozen=True)
class UseCase:
    """A GBCS use case: message code, short name, title, target device, payload codec."""

    message_code: int
    name: str
    title: str
    device: Device
    codec: PayloadCodec


USE_CASES: dict[int, UseCase] = {}


def register_use_case(
    message_code: int, name: str, title: str, device: Device, codec: PayloadCodec
) -> UseCase:
    """Register a use case so that its payload decodes to typed objects."""
    if message_code in USE_CASES and USE_CASES[message_code].name != name:
        raise ValidationError("message_code", f"{message_code:#06x} already registered")
    use_case = UseCase(message_code, name, title, device, codec)
    USE_CASES[message_code] = use_case
    return use_case


register_use_case(0x001E, "ECS07", "Manage Debt on the ESME", Device.ESME, XDLMS)
register_use_case(0x006E, "GCS04", "Manage Debt on the GSME", Device.GSME, GBZ)


def use_case_of(message: Message) -> UseCase | None:
    """The registered use case of a message, if any."""
    return USE_CASES.get(apdu_of(message).message_code)


def apdu_of(message: Message) -> GeneralSigning:
    """The general-signing APDU of a message (inside the MAC header, if any)."""
    return message.apdu if isinstance(message, MacHeader) else message


def _lookup(fast: bool) -> Callable[[int], Callable[[bytes, int], Any] | None]:
    def lookup(message_code: int) -> Callable[[bytes, int], Any] | None:
        use_case = USE_CASES.get(message_code)
        if use_case is None:
            return None
        decoder = use_case.codec.decode
        return decoder if fast else lambda data, base: decoder(data, base, fast=False)

    return lookup


_FAST_LOOKUP = _lookup(True)
_SLOW_LOOKUP = _lookup(False)


def _opaque(_message_code: int) -> None:
    return None


def decode(data: bytes, payloads: bool = True, fast: bool = True) -> Message:
    """Decode a whole GBCS message; malformed input raises only DecodeError.

    With ``payloads=False`` every payload stays opaque bytes. ``fast=False``
    uses only the construct definitions (no hand-rolled fast paths).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise DecodeError(0, f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise DecodeError(0, "empty message")
    lookup = (_FAST_LOOKUP if fast else _SLOW_LOOKUP) if payloads else _opaque
    if data[0] == 0xDD:
        counter, apdu_bytes, mac, offset = decode_mac_header(data, fast=fast)
        apdu, _ = decode_general_signing(apdu_bytes, offset, fast=fast, lookup=lookup)
        return MacHeader(apdu, mac, counter)
    if data[0] == 0xDF:
        return decode_general_signing(data, fast=fast, lookup=lookup)[0]
    raise DecodeError(0, f"tag {data[0]:02X} is neither MAC header DD nor general-signing DF")


def content_bytes(apdu: GeneralSigning, fast: bool = True) -> bytes:
    """The content bytes of an APDU (its payload encoded)."""
    payload = apdu.payload
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    use_case = USE_CASES.get(apdu.message_code)
    codecs = [use_case.codec] if use_case else [GBZ, XDLMS]
    for codec in codecs:
        if isinstance(payload, codec.types):
            return codec.encode(payload, fast=fast)
    raise ValidationError("payload", f"cannot encode {type(payload).__name__} as content")


def encode_apdu(apdu: GeneralSigning, fast: bool = True) -> bytes:
    """Encode a general-signing APDU (with its signature, if any)."""
    return encode_general_signing(apdu, content_bytes(apdu, fast), fast=fast)


def encode(message: Message, fast: bool = True) -> bytes:
    """Encode a message: the exact inverse of :func:`decode`. ``fast=False``
    builds with the construct definitions only (no hand-rolled fast paths)."""
    if isinstance(message, MacHeader):
        apdu_bytes = encode_apdu(message.apdu, fast)
        return encode_mac_header(message.invocation_counter, apdu_bytes, message.mac, fast=fast)
    return encode_apdu(message, fast)


def signed_data(apdu: GeneralSigning) -> bytes:
    """The bytes the signature covers: after ``DF`` to the end of the content."""
    return signed_part(
        encode_general_signing(apdu, content_bytes(apdu)), apdu.signature is not None
    )


def sign_apdu(apdu: GeneralSigning, private_key: ec.EllipticCurvePrivateKey) -> GeneralSigning:
    """The APDU with a deterministic signature by ``private_key``."""
    unsigned = replace(apdu, signature=None)
    return replace(unsigned, signature=security.sign(private_key, signed_data(unsigned)))


def mac_inputs(
    apdu_bytes: bytes, apdu: GeneralSigning, invocation_counter: int
) -> tuple[bytes, bytes]:
    """(IV, AAD) of the command MAC.

    IV = originator title || invocation counter. AAD = ``11 00 00 00 00 00``
    || the signed APDU, literally as GBCS-NOTES gives it (all reference
    vectors have invocation counter zero, so how a non-zero counter would enter
    the AAD is not pinned down by them).
    """
    iv = apdu.originator + invocation_counter.to_bytes(4, "big")
    return iv, security.AAD_PREFIX + apdu_bytes


def mac_key(
    apdu: GeneralSigning,
    private_key: ec.EllipticCurvePrivateKey,
    peer_public_key: ec.EllipticCurvePublicKey,
) -> bytes:
    """The derived AES key of this command (ACB ka key and device ka key)."""
    info = security.other_info(
        apdu.originator, int(apdu.cra), apdu.originator_counter, apdu.recipient
    )
    return security.derive_mac_key(private_key, peer_public_key, info)


def add_mac(
    apdu: GeneralSigning,
    private_key: ec.EllipticCurvePrivateKey,
    peer_public_key: ec.EllipticCurvePublicKey,
    invocation_counter: int = 0,
) -> MacHeader:
    """Wrap a signed command in a MAC header (ACB ka private key, device ka public key)."""
    if apdu.signature is None:
        raise ValidationError("signature", "sign the command before adding the MAC")
    apdu_bytes = encode_apdu(apdu)
    iv, aad = mac_inputs(apdu_bytes, apdu, invocation_counter)
    tag = security.gcm_tag(mac_key(apdu, private_key, peer_public_key), iv, aad)
    return MacHeader(apdu, tag, invocation_counter)


def protect(
    apdu: GeneralSigning, keys: security.Keys, signer: str | bytes,
    acb: str = security.ACB_ENTITY_ID, invocation_counter: int = 0,
) -> MacHeader:
    """A command as it leaves the DCC: signed by ``signer`` (the Remote Party's ds
    key), then MAC'd by the ACB for the recipient (ACB ka key, device ka certificate)."""
    signer_key = keys.private_key(signer, "ds")
    acb_key = keys.private_key(acb, "ka")
    device_ka = keys.public_key(apdu.recipient, "ka")
    if signer_key is None or acb_key is None or device_ka is None:
        raise ValidationError("keys", "protect needs the signer's ds key, the ACB's ka key "
                                      "and the recipient's ka certificate")
    return add_mac(sign_apdu(apdu, signer_key), acb_key, device_ka, invocation_counter)


class Check(StrEnum):
    """Outcome of a signature or MAC check."""

    VALID = "valid"
    INVALID = "invalid"
    ABSENT = "absent"
    NO_KEY = "no-key"


@dataclass(frozen=True)
class Verdict:
    signature: Check
    mac: Check


def check_signature(apdu: GeneralSigning, public_key: ec.EllipticCurvePublicKey | None) -> Check:
    """Check the originator's signature of an APDU."""
    if apdu.signature is None:
        return Check.ABSENT
    if public_key is None:
        return Check.NO_KEY
    ok = security.verify(public_key, signed_data(apdu), apdu.signature)
    return Check.VALID if ok else Check.INVALID


def check_mac(message: Message, key: bytes | None) -> Check:
    """Check the MAC of a command with an already derived key."""
    if not isinstance(message, MacHeader):
        return Check.ABSENT
    if key is None:
        return Check.NO_KEY
    iv, aad = mac_inputs(encode_apdu(message.apdu), message.apdu, message.invocation_counter)
    return Check.VALID if security.check_tag(key, iv, aad, message.mac) else Check.INVALID


def mac_key_from(
    keys: security.Keys, apdu: GeneralSigning, acb: str = security.ACB_ENTITY_ID
) -> bytes | None:
    """Derive the MAC key from whichever side's ka private key is in ``keys``."""
    acb_private = keys.private_key(acb, "ka")
    device_public = keys.public_key(apdu.recipient, "ka")
    if acb_private is not None and device_public is not None:
        return mac_key(apdu, acb_private, device_public)
    device_private = keys.private_key(apdu.recipient, "ka")
    acb_public = keys.public_key(acb, "ka")
    if device_private is not None and acb_public is not None:
        return mac_key(apdu, device_private, acb_public)
    return None


def verify(
    message: Message, keys: security.Keys | None, acb: str = security.ACB_ENTITY_ID
) -> Verdict:
    """Check signature (originator ds key) and MAC (ACB and device ka keys)."""
    apdu = apdu_of(message)
    public = keys.public_key(apdu.originator, "ds") if keys is not None else None
    signature = check_signature(apdu, public)
    if not isinstance(message, MacHeader):
        return Verdict(signature, Check.ABSENT)
    key = mac_key_from(keys, apdu, acb) if keys is not None else None
    return Verdict(signature, check_mac(message, key))


def command(
    message_code: int,
    originator: bytes,
    recipient: bytes,
    originator_counter: int,
    payload: Any,
    date_time: bytes = b"",
) -> GeneralSigning:
    """An unsigned command APDU (a pre-command before signing)."""
    return GeneralSigning(
        Cra.COMMAND, originator_counter, originator, recipient, message_code, payload, date_time
    )


def response(
    message_code: int, originator: bytes, recipient: bytes, originator_counter: int,
    payload: Any, date_time: bytes = b"",
) -> GeneralSigning:
    """An unsigned response APDU (the device is the originator)."""
    return replace(command(message_code, originator, recipient, originator_counter, payload,
                           date_time), cra=Cra.RESPONSE)


def to_plain(value: Any) -> Any:
    """JSON-ready view of a decoded message or payload: enums by name, bytes as
    upper-case hex, OBIS codes as text, dataclasses as dicts."""
    if isinstance(value, dlms.Data):
        return {"type": value.type.name.lower(), "value": value.plain()}
    if isinstance(value, dlms.Obis):
        return str(value)
    if isinstance(value, Enum):
        return value.name.lower()
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex().upper()
    if is_dataclass(value) and not isinstance(value, type):
        out = {"kind": type(value).__name__}
        out.update({f.name: to_plain(getattr(value, f.name)) for f in fields(value)})
        return out
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    return value
